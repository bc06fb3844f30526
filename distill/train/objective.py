"""What a training objective is: one module behind one declared contract, found in one table.

An objective declares (as TRL pairs a trainer with its config, kept smaller here):

* its **steps**, in order, each a :class:`Step`: the TRL config class and this project's defaults
  for it, the run config's section that passes any field of that class (``train.sft``, ...), and
  the function that builds the step's TRL trainer (named ``"module:function"``, imported only when
  training, so the table loads without torch);
* its **rows**: what each step trains on, built from the round's :class:`RoundInputs` (kept records,
  preference pairs, prompts, replay data) — :func:`round_data`;
* what it **needs** from the loop (:data:`NEEDS`): ``prompts`` (it trains on the round's prompts,
  not on kept records, so the collect phase gathers answers only), ``judge`` (the teacher's verdicts
  as a reward), ``targets`` (with ``prompts``: it reads the round's kept targets too, so the collect
  phase critiques and revises as for SFT); ``needs_for`` when what it needs depends on the config;
* optionally, a **check** of the run config before any work (``check(train_config, prompts,
  student)``: the run's prompt pool and student spec, both None when only the config is known), and
  a **summary**: what it adds to the round's summary from its training folder (GRPO: the policy's
  most common answer per format).

The built-in objectives are :data:`BUILT_IN`; any other is named ``module.path:NAME`` in the run
config (``train.objective``), NAME being an :class:`Objective` in that module — a new objective is
one new module. The loop, the rows, the trainer, the config, the metrics and the report read
objectives only through this contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from distill.errors import SpecError
from distill.loading import load_object

if TYPE_CHECKING:
    from distill.core import Principle, SamplingConfig, Teacher
    from distill.data.questions import Question
    from distill.store.records import Sample
    from distill.train.config import TrainConfig

# name -> where its Objective is declared
BUILT_IN: dict[str, str] = {
    "sft": "distill.train.sft:SFT",
    "dpo": "distill.train.dpo:DPO",
    "sft_then_dpo": "distill.train.dpo:SFT_THEN_DPO",
    "grpo": "distill.train.grpo:GRPO",
    "distill": "distill.train.onpolicy:DISTILL",
}
NEEDS = ("prompts", "judge", "targets")


@dataclass(frozen=True)
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


@dataclass
class RoundInputs:
    """What a round offers to train on: its kept records and preference pairs, its prompts (with the
    evaluation's suffix per answer format), original instruction data for replay and its share."""

    kept: list["Sample"]
    pairs: list[dict]
    replay: Any
    replay_share: float
    seed: int
    config: "TrainConfig"
    prompts: Sequence["Question"] = ()
    suffix: dict[str, str] = field(default_factory=dict)
    records: Sequence["Sample"] = ()  # every record of the round, kept or not
    critic: list[dict] = field(default_factory=list)  # critique and correction rows (train.critic_share)

    @property
    def replay_ratio(self) -> float:
        """Replay examples per training row, for a mix whose replay share is ``replay_share``."""
        return self.replay_share / (1 - self.replay_share)


@dataclass
class RoundData:
    """The training config actually used (None: nothing to train), the rows of each of its steps,
    and why it differs from what was asked, if it does (e.g. no preference pairs, so DPO is skipped)."""

    config: "TrainConfig | None"
    rows: dict[str, Any] = field(default_factory=dict)  # step -> its rows (a list or a Dataset)
    note: str | None = None
    metrics: dict = field(default_factory=dict)  # what choosing the rows adds to the round's train_metrics

    @property
    def examples(self) -> int:
        return sum(len(r) for r in self.rows.values())


@dataclass(frozen=True)
class Objective:
    """A training objective (see the module docstring)."""

    name: str
    steps: tuple[Step, ...]
    rows: Callable[[RoundInputs], RoundData]
    needs: frozenset[str] = frozenset()
    needs_for: Callable[["TrainConfig"], frozenset[str]] | None = None
    check: Callable[["TrainConfig", "Sequence[Question] | None", "str | None"], None] | None = None
    summary: Callable[[Path, "TrainConfig", Sequence["Question"]], dict] | None = None
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

    def needs_of(self, config: "TrainConfig") -> frozenset[str]:
        """What this objective needs from the loop under ``config`` (:data:`NEEDS`)."""
        needs = self.needs if self.needs_for is None else self.needs_for(config)
        unknown = set(needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"objective {self.name!r}: unknown needs {sorted(unknown)}; known: {', '.join(NEEDS)}")
        return frozenset(needs)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


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
