"""What a training objective is: one module behind one declared contract, found in one table.

An objective declares (as TRL pairs a trainer with its config, kept smaller here) everything about
itself, so that the config, the loop, the monitor, the report, the model card and the recipes read
objectives only through this contract:

* its **steps**, in order, each a :class:`Step`: the TRL config class and this project's defaults
  for it, the run config's section that passes any field of that class (``train.<section>``), and
  the function that builds the step's TRL trainer (named ``"module:function"``, imported only when
  training, so the table loads without torch);
* its **options**: a dataclass of its own settings (defaults, and a ``__post_init__`` that raises
  ``ValueError`` naming a bad one), given as ``train.<option>`` keys of the run config; the
  **flags** a recipe offers for some of them (:class:`Flag`);
* its **rows**: what each step trains on, built from the round's :class:`RoundInputs` (kept records,
  preference pairs, prompts, replay data, the teacher) — :func:`round_data`;
* what it **needs** from the loop (:data:`NEEDS`): ``prompts`` (it trains on the round's prompts,
  not on kept records, so the collect phase gathers answers only), ``judge`` (the teacher's verdicts
  as a reward), ``targets`` (with ``prompts``: it reads the round's kept targets too, so the collect
  phase critiques and revises as for SFT); ``needs_for`` when what it needs depends on the config;
  ``draw``: how many candidate prompts, and answers to each, the collect phase gathers (:class:`Draw`);
* a **check** of the run config before any work (``check(train_config, prompts, student)``: the
  run's prompt pool and student spec, both None when only the config is known);
* what it adds to the **round summary**: ``metrics`` read from its training log, ``summary`` read
  from its training folder; and what is said of it: its display ``line`` after a round, its
  ``rise`` (its own score within a round, which rising while gold falls is divergence), its monitor
  ``warnings``, its ``columns`` in the report's training-data table and its own ``report`` section.

The built-in objectives are :data:`BUILT_IN`; any other is named ``module.path:NAME`` in the run
config (``train.objective``), NAME being an :class:`Objective` in that module — a new objective is
one new module. Its option and section names must not be the ``train`` section's own keys.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Protocol, Sequence

from distill.errors import SpecError
from distill.loading import load_object

if TYPE_CHECKING:
    from distill.core import Principle, SamplingConfig, Teacher
    from distill.curate.targets import LeakCheck
    from distill.data.questions import Question
    from distill.store.records import RoundSummary, Sample

# name -> where its Objective is declared
BUILT_IN: dict[str, str] = {
    "sft": "distill.train.sft:SFT",
    "dpo": "distill.train.dpo:DPO",
    "sft_then_dpo": "distill.train.dpo:SFT_THEN_DPO",
    "grpo": "distill.train.grpo:GRPO",
    "distill": "distill.train.onpolicy:DISTILL",
    "answers": "distill.train.answers:ANSWERS",
}
DEFAULT = "sft"  # the objective of a run config that names none (and of summaries written before it was kept)
NEEDS = ("prompts", "judge", "targets")


class TrainSettings(Protocol):
    """What this contract reads of a round's training config (:class:`distill.train.config.TrainConfig`,
    which imports this module: named here by what it offers, so nothing imports back)."""

    objective: str
    options: Any  # the objective's options object (None for an objective without options)

    def section(self, name: str) -> dict[str, Any]: ...


@dataclass(frozen=True, kw_only=True)
class Step:
    """One TRL trainer an objective runs (see the module docstring). ``optional``: skipped when the
    round has no rows for it; ``takes``: extras the trainer is given by keyword (``judge``)."""

    name: str
    trl_config: str
    defaults: dict[str, Any]
    section: str
    trainer: str
    optional: bool = False
    takes: tuple[str, ...] = ()

    def build_trainer(self, *args: Any, **kwargs: Any) -> Any:
        """The step's TRL trainer: ``trainer(model, tokenizer, rows, out_dir, config, callbacks, quiet,
        precision, **extras)``."""
        build = load_object(self.trainer, "trainer", accept=callable, expected="a function")
        return build(*args, **kwargs)  # type: ignore[operator]


@dataclass(frozen=True, kw_only=True)
class Flag:
    """A command-line flag every recipe offers for one of an objective's options: ``--<option>``
    (underscores as dashes), its help, and how its text becomes the option's value (``type``)."""

    option: str
    help: str
    metavar: str | None = None
    type: Callable[[str], Any] | None = None

    @property
    def name(self) -> str:
        return "--" + self.option.replace("_", "-")


@dataclass(frozen=True, kw_only=True)
class Column:
    """A column an objective adds to the report's table of training data, shown when some round's
    training metrics have ``key``: its ``header``, and its cell from a round's training metrics."""

    header: str
    key: str
    cell: Callable[[dict], str]


class Draw(NamedTuple):
    """What the collect phase gathers for an objective that trains on prompts: ``candidates`` prompts
    drawn per prompt trained on, and ``samples`` answers to each (checked, so the rows can choose).
    Several answers are sampled with ``sampling`` (:class:`~distill.core.SamplingConfig` fields over
    the run's ``answer`` settings: as the objective samples its own answers), each prompt asked as
    the evaluation asks it; without ``sampling``, at temperature 1 to the bare prompt."""

    candidates: float = 1.0
    samples: int = 1
    sampling: Mapping[str, Any] | None = None

    @property
    def screens(self) -> bool:
        """Whether the rows choose among candidates (more than one prompt, or answer, per row)."""
        return self.candidates > 1 or self.samples > 1


@dataclass(kw_only=True)
class RoundInputs:
    """What a round offers to train on: its kept records and preference pairs, its prompts (with the
    evaluation's suffix per answer format), original instruction data for replay and its share, and
    the run's teacher with the stage's first principle and the leak check of what it is given (for
    rows in the teacher's own templates: the critic's)."""

    kept: list["Sample"]
    pairs: list[dict]
    replay: Any
    replay_share: float
    seed: int
    config: TrainSettings
    prompts: Sequence["Question"] = ()
    suffix: dict[str, str] = field(default_factory=dict)
    records: Sequence["Sample"] = ()  # every record of the round, kept or not
    teacher: "Teacher | None" = None
    principle: "Principle | None" = None
    leaks: "LeakCheck | None" = None
    # the round's training folder: what its rows cost to make (a teacher's answers) is kept here,
    # so a round resumed after a kill does not pay for it again
    workdir: Path | None = None

    def asked(self, q: "Question") -> str:
        """Prompt ``q`` as the evaluation asks it (with its answer format's suffix)."""
        from distill.data.questions import as_asked

        return as_asked(q.prompt, q.format, self.suffix)

    @property
    def replay_ratio(self) -> float:
        """Replay examples per training row, for a mix whose replay share is ``replay_share``."""
        return self.replay_share / (1 - self.replay_share)


@dataclass
class RoundData:
    """The training config actually used (None: nothing to train), the rows of each of its steps,
    and why it differs from what was asked, if it does (e.g. no preference pairs, so DPO is skipped);
    what choosing the rows adds to the round's training metrics, and what the display should say of
    it (``info``) or warn of (``warnings``)."""

    config: TrainSettings | None
    rows: dict[str, Any] = field(default_factory=dict)  # step -> its rows (a list or a Dataset)
    note: str | None = None
    metrics: dict = field(default_factory=dict)
    info: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def examples(self) -> int:
        return sum(len(r) for r in self.rows.values())


@dataclass(frozen=True, kw_only=True)
class Objective:
    """A training objective (see the module docstring); every member but the first three is optional."""

    name: str
    steps: tuple[Step, ...]
    rows: Callable[[RoundInputs], RoundData]
    about: str = ""  # what each round trains on, in a few words (the recipes' --objective help)
    needs: frozenset[str] = frozenset()
    needs_for: Callable[[TrainSettings], frozenset[str]] | None = None
    draw: Callable[[TrainSettings], Draw] | None = None
    options: type | None = None
    flags: tuple[Flag, ...] = ()
    check: Callable[[TrainSettings, "Sequence[Question] | None", "str | None"], None] | None = None
    metrics: Callable[[Sequence[dict]], dict] | None = None  # its training log's entries -> summary metrics
    summary: Callable[[Path, TrainSettings, Sequence["Question"]], dict] | None = None
    line: Callable[[dict], "str | None"] | None = None  # a round's training metrics, in words
    rise: Callable[[dict], "tuple[str, float, float] | None"] | None = None  # (what, first, last) within a round
    warnings: Callable[[dict, float], list[str]] | None = None  # (training metrics, the monitor's bias_share)
    columns: tuple[Column, ...] = ()
    report: Callable[[Sequence["RoundSummary"]], list[str]] | None = None  # its rounds -> markdown lines
    # texts the objective shows the model in training (a template around privileged context): what the
    # student must not learn to say, found by the target review's leak check in its answers
    instructions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"objective {self.name!r}: unknown needs {sorted(unknown)}; known: {', '.join(NEEDS)}")

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    @property
    def sections(self) -> tuple[str, ...]:
        """The run config's TRL sections its steps read, each once."""
        return tuple(dict.fromkeys(s.section for s in self.steps))

    def needs_of(self, config: TrainSettings) -> frozenset[str]:
        """What this objective needs from the loop under ``config`` (:data:`NEEDS`)."""
        needs = self.needs if self.needs_for is None else self.needs_for(config)
        unknown = set(needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"objective {self.name!r}: unknown needs {sorted(unknown)}; known: {', '.join(NEEDS)}")
        return frozenset(needs)

    def draw_of(self, config: TrainSettings) -> Draw:
        """What the collect phase gathers for it under ``config`` (:class:`Draw`; one of each by default)."""
        return Draw() if self.draw is None else self.draw(config)

    def defaults(self) -> dict[str, Any]:
        """Its options' default values, by name ({} without options)."""
        if self.options is None:
            return {}
        return {f.name: f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
                for f in dataclasses.fields(self.options)}


@dataclass
class Judge:
    """The loop's teacher as a judge, given to a step that ``takes`` ``judge`` (an objective that
    ``needs`` one): its verdicts on answers under the stage's first principle, with the critique's
    sampling settings."""

    teacher: "Teacher"
    principle: "Principle"
    config: "SamplingConfig"


def get(spec: str) -> Objective:
    """The objective a run config names: a built-in name or ``module.path:NAME``. Raises a one-line
    :class:`~distill.errors.SpecError` (a ``ValueError``: the run config reports it as its own error)
    naming what is wrong."""
    path = BUILT_IN.get(spec, spec if ":" in str(spec) else None)
    if path is None:
        raise SpecError(f"objective must be one of {', '.join(BUILT_IN)} or module.path:NAME, got {spec!r}")
    found = load_object(path, "objective", accept=lambda o: isinstance(o, Objective), expected="an Objective")
    return found  # type: ignore[return-value]


def round_data(inputs: RoundInputs) -> RoundData:
    """The data of a round for its objective (the objective's own ``rows``)."""
    return get(inputs.config.objective).rows(inputs)


def built_in_sections() -> set[str]:
    """The TRL sections the built-in objectives' steps read."""
    return {section for name in BUILT_IN for section in get(name).sections}


def option_owners(key: str) -> dict[str, Any]:
    """The built-in objectives that have option ``key``, with its default there, by name. A config
    saved before objectives owned their options holds every built-in objective's options: these say
    which it may drop."""
    return {name: get(name).defaults()[key] for name in BUILT_IN if key in get(name).defaults()}


def flags() -> list[tuple[Flag, Any]]:
    """The flags the built-in objectives offer every recipe, each once, with its option's default."""
    out: dict[str, tuple[Flag, Any]] = {}
    for name in BUILT_IN:
        objective = get(name)
        for flag in objective.flags:
            out.setdefault(flag.option, (flag, objective.defaults()[flag.option]))
    return list(out.values())


def log_mean(entries: Sequence[dict], key: str) -> float | None:
    """The mean of ``key`` over the training log ``entries`` that hold a number there (NaN left out)."""
    values = [float(e[key]) for e in entries if e.get(key) is not None and not math.isnan(float(e[key]))]
    return sum(values) / len(values) if values else None


def first_last(steps: Sequence[dict], key: str) -> tuple[float | None, float | None]:
    """``key``'s mean over the first and over the last quarter of a training log's ``steps`` (one entry
    per optimizer step): how it moved within the round."""
    quarter = max(1, len(steps) // 4)
    return log_mean(steps[:quarter], key), log_mean(steps[-quarter:], key)
