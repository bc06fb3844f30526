"""Build a critic from the check: sample and label answers, train the verdict, measure it on held-out
prompts. One folder, resumable and locked like a run's::

    RUN_DIR/config.yaml     the CriticConfig
    RUN_DIR/answers.jsonl   every labelled answer (appended chunk by chunk: a killed build resumes)
    RUN_DIR/data.json       counts per split, format and label: sampled, unique, trained on
    RUN_DIR/adapter/ train/ the critic's LoRA adapter and its training log
    RUN_DIR/model/          the critic (the student with its verdict LoRA merged), written atomically
    RUN_DIR/measure.json    the untouched student and the critic on the held-out prompts' answers

A trained critic is used as ``teacher: critic:RUN_DIR/model`` (``teachers/critic.py``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal

import yaml

from distill.core import Principle, SamplingConfig
from distill.schema import from_dict, load_yaml, plain
from distill.data.evalsets import default_eval_paths, default_guard_paths
from distill.data.paths import DATA_DIR
from distill.errors import ConfigError
from distill.eval.gold import EvalConfig
from distill.model.resolve import DEFAULT_STUDENT
from distill.store.atomic import is_complete, write_json, write_text
from distill.train.config import TrainConfig

# The critic's training: one pass over thousands of short verdicts (the project's SFT defaults otherwise).
CRITIC_TRAIN = {"num_train_epochs": 1.0}


def _train_files() -> list[str]:
    return [str(p) for p in sorted((DATA_DIR / "train").glob("*.jsonl"))]


@dataclass
class CriticConfig:
    """Everything a critic build needs (YAML-loadable like a run's config).

    The student answers every prompt of ``prompts`` (files with references) once at each of
    ``temperatures`` (0: greedy, the way the evaluation answers), and so does every model of
    ``answer_models``; answers recorded in the folders of ``answer_runs`` join them. About
    ``heldout_share`` of the prompts are held out whole for measurement. The critic is ``student``
    with a LoRA adapter trained (``train``: the SFT section as in a run) on the balanced training side."""

    run_dir: str = "runs/critic"
    student: str = DEFAULT_STUDENT
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    prompts: list[str] = field(default_factory=_train_files)
    temperatures: list[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 1.0])
    answer_models: list[str] = field(default_factory=list)
    answer_runs: list[str] = field(default_factory=list)
    max_new_tokens: int = 64
    heldout_share: float = 0.2
    per_format: int | None = None  # at most this many training answers a format (None: all, balanced)
    # the critic writes the right answer (its reason) before the verdict; False: the verdict at once
    # (one forward pass, but near chance at 135M: docs/critic.md)
    reason: bool = True
    principles: str | None = None  # the run's principles: each training answer is asked under one of them
    # no prompt that near-duplicates a question of these is used
    eval_sets: list[str] = field(default_factory=lambda: [str(p) for p in default_eval_paths() + default_guard_paths()])
    near_duplicate_threshold: float = 0.7
    # asked as the evaluation asks: its answer-format suffixes
    prompt_suffix: dict[str, str] = field(default_factory=lambda: dict(EvalConfig().prompt_suffix))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(sft=dict(CRITIC_TRAIN)))
    # with the measurement: the untouched student as the loop's judge (a critique, then its verdict) on
    # the held-out answers; False skips it (minutes of generation)
    measure_student: bool = True
    chunk: int = 256  # prompts answered per appended chunk (the resume unit)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.temperatures or any(t < 0 for t in self.temperatures):
            raise ValueError(f"temperatures must be a non-empty list of numbers >= 0, got {self.temperatures}")
        if not 0 < self.heldout_share < 1:
            raise ValueError(f"heldout_share must be in (0, 1), got {self.heldout_share}")
        for name in ("max_new_tokens", "chunk"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.per_format is not None and self.per_format < 2:
            raise ValueError(f"per_format must be >= 2 (one right and one wrong answer), got {self.per_format}")
        if not self.prompts:
            raise ValueError("prompts: name at least one file of prompts with references")

    def save(self, path: str | os.PathLike) -> None:
        data = {**dataclasses.asdict(self), "train": self.train.to_dict()}
        write_text(path, yaml.safe_dump(plain(data), sort_keys=False))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CriticConfig":
        """Read a YAML config; unknown keys and wrong types are errors naming the file and key."""
        return cls.from_data(load_yaml(path), str(path))

    @classmethod
    def from_data(cls, data: dict, source: str = "<config>") -> "CriticConfig":
        """Build from plain (YAML-shaped) data, checking keys and types; errors name ``source``."""
        return from_dict(cls, data, source)


@dataclass
class CriticResult:
    """A finished build: where the critic is, what it was trained on and how well it tells."""

    folder: Path
    model: Path
    data: dict
    measure: dict


def build_critic(config: CriticConfig, log: Callable[[str], None] = print) -> CriticResult:
    """Run (or resume) the build described by ``config``; a folder that holds a config already keeps
    its own (as a run does). ``log`` gets one line per phase."""
    from distill.store.folder import RunFolder, read_json

    folder = RunFolder(config.run_dir)
    saved = folder.path / "config.yaml"
    if saved.exists():
        config = replace(CriticConfig.load(saved), run_dir=config.run_dir)
    with folder.lock() as took_over:
        if took_over:
            log(took_over)
        if not saved.exists():
            config.save(saved)
        from distill.model.precision import choose

        precision = read_json(folder.path / "precision.json") or {}
        if not precision:
            choice = choose(config.precision)
            precision = {"name": choice.name, "reason": choice.reason}
            write_json(folder.path / "precision.json", precision)
        answers = _answers(config, folder.path, precision["name"], log)
        data = _data(config, answers)
        write_json(folder.path / "data.json", data["counts"])
        model = _train(config, folder.path, data["train"], precision["name"], log)
        measure = read_json(folder.path / "measure.json")
        if measure is None:
            measure = _measure(config, model, data["heldout"], precision["name"], log)
            write_json(folder.path / "measure.json", measure)
    return CriticResult(folder.path, model, data["counts"], measure)


def _questions(config: CriticConfig) -> tuple[list, int]:
    from distill.critic.data import pool
    from distill.data.evalsets import load_eval_set
    from distill.data.prompts import load_prompts

    evals = [q.question for p in config.eval_sets for q in load_eval_set(p).items]
    questions, dropped = pool((q for p in config.prompts for q in load_prompts(p)), evals, config.near_duplicate_threshold)
    if not questions:
        raise ConfigError(f"prompts: {', '.join(config.prompts)} hold no prompt with a checkable reference")
    return questions, dropped


def _answers(config: CriticConfig, folder: Path, precision: str, log: Callable[[str], None]) -> list[dict]:
    """Every labelled answer: sampled chunk by chunk (appended; a chunk on disk is not sampled
    again), then those of earlier runs' folders."""
    from distill.critic.data import sample_answers
    from distill.store.jsonl import append_records, read_records

    path = folder / "answers.jsonl"
    done = read_records(path)
    have = {r["chunk"] for r in done}
    questions, dropped = _questions(config)
    if dropped and not done:
        log(f"{dropped} prompts near-duplicate an eval question and are not used")
    plan = [(source, i, start) for source in [config.student, *config.answer_models]
            for i in range(len(config.temperatures)) for start in range(0, len(questions), config.chunk)]
    todo = [p for p in plan if _chunk_key(*p) not in have]
    if todo:
        from distill.model.student import Student

        log(f"sampling {len(todo)} chunks of answers ({len(plan) - len(todo)} on disk)")
    generators: dict[str, Any] = {}
    for source, i, start in todo:
        if source not in generators:
            generators.clear()  # one model in memory at a time
            generators[source] = Student(source, precision=precision)
        t = config.temperatures[i]
        rows = sample_answers(generators[source], questions[start:start + config.chunk], t, suffix=config.prompt_suffix,
                              max_new_tokens=config.max_new_tokens, seed=config.seed * 1000 + i,
                              heldout_share=config.heldout_share, split_seed=config.seed, source=str(source))
        append_records(path, [{**r, "chunk": _chunk_key(source, i, start)} for r in rows])
        done += rows
        log(f"  {source} at temperature {t}: prompts {start}-{start + len(rows)}, {sum(r['right'] for r in rows)} right")
    generators.clear()
    return done + _run_answers(config, questions)


def _run_answers(config: CriticConfig, questions: list) -> list[dict]:
    """The labelled answers of ``config.answer_runs`` to ``questions``."""
    from distill.critic.data import answers_from_runs

    return answers_from_runs(config.answer_runs, questions, config.prompt_suffix, config.heldout_share, config.seed)


def heldout_answers(config: CriticConfig, folder: str | os.PathLike) -> list[dict]:
    """A built folder's held-out answers, in the order its ``measure.json`` judged them."""
    from distill.store.jsonl import read_records

    answers = read_records(Path(folder) / "answers.jsonl") + _run_answers(config, _questions(config)[0])
    return _data(config, answers)["heldout"]


def _chunk_key(source: str, i: int, start: int) -> str:
    return f"{source}|{i}|{start}"


def _data(config: CriticConfig, answers: list[dict]) -> dict:
    """The training side (unique answers, balanced by label within format) and the held-out side
    (unique answers, all), with their counts."""
    from distill.critic.data import balance, counts, unique

    distinct = unique(answers)
    train = balance([a for a in distinct if a["split"] == "train"], config.seed, config.per_format)
    heldout = [a for a in distinct if a["split"] == "heldout"]
    return {"train": train, "heldout": heldout,
            "counts": {"sampled": counts(answers), "unique": counts(distinct), "trained_on": counts(train)["train"]
                       if train else {}}}


def _train(config: CriticConfig, folder: Path, train: list[dict], precision: str, log: Callable[[str], None]) -> Path:
    """The critic: the student with a LoRA adapter trained on the verdict rows, merged (``model/``)."""
    out = folder / "model"
    about = {"judging": "reason" if config.reason else "verdict"}  # how it judges, beside its weights (teachers/critic.py)
    if is_complete(out):
        if not (out / "critic.json").is_file():  # killed between the two writes
            write_json(out / "critic.json", about)
        return out
    if not train:
        raise ConfigError("the check found no format with both right and wrong answers to train the critic on")
    from distill.critic.rows import verdict_rows
    from distill.data.principles import load_principles
    from distill.model.student import Student
    from distill.train.lora import train_lora
    from teachers import load_teacher

    student = Student(config.student, precision="fp32")
    template = load_teacher("self", student=student)  # the critique chat a judge is sent
    principles = [p for stage in load_principles(config.principles) for p in stage.principles]
    reasons = None
    if config.reason:
        from distill.train.onpolicy import reference_text

        reasons = {q.prompt: reference_text(q) for q in _questions(config)[0]}
    rows = verdict_rows(train, template, principles, config.seed, reasons)
    log(f"training the critic on {len(rows)} verdicts")
    # writes adapter/, train/ (the logs) and model/ (last, atomically: present means trained)
    train_lora(student.model, student.tokenizer, rows, folder, config.train, quiet=False, precision=precision)
    write_json(out / "critic.json", about)
    return out


# how measure.json asks every judge (bench/critic_compare.py judges other critics the same way)
MEASURE_SAMPLING = SamplingConfig(max_new_tokens=64)


def measure_principle(config: CriticConfig) -> Principle:
    """The principle every judge is asked under when measured: the first, what the loop's judge is asked under."""
    from distill.data.principles import load_principles

    return load_principles(config.principles)[0].principles[0]


def greedy_indices(config: CriticConfig, answers: list[dict]) -> list[int]:
    """Where the student's own greedy answers are: the kind an evaluation gives (sampled answers
    include easy wrong ones, noise and answers cut off; other models' answers are of another kind)."""
    return [i for i, a in enumerate(answers) if a["temperature"] == 0 and a["source"] == str(config.student)]


def _measure(config: CriticConfig, model: Path, heldout: list[dict], precision: str, log: Callable[[str], None]) -> dict:
    """The critic (read from its logits) and the untouched student (as the loop's judge: a critique,
    then its verdict; and read from its logits at once) on the held-out prompts' answers: all of them,
    and the student's greedy ones alone (``greedy``, :func:`greedy_indices`)."""
    from distill.critic.measure import judge, line, quality
    from distill.model.student import Student
    from teachers import load_teacher

    principle = measure_principle(config)
    greedy = greedy_indices(config, heldout)
    ways: dict[str, Any] = {}
    student = Student(config.student, precision=precision)
    ways["student, verdict read at once"] = load_teacher(f"critic:{config.student}", student=student)
    if config.measure_student:
        ways["student as the loop's judge (critique, then verdict)"] = load_teacher("self", student=student)
    ways["critic"] = load_teacher(f"critic:{model}", student=student)
    out = {"answers": len(heldout), "principle": principle.name, "ways": {}}
    for name, teacher in ways.items():
        log(f"measuring {name} on {len(heldout)} held-out answers")
        verdicts = judge(teacher, heldout, principle, MEASURE_SAMPLING)
        out["ways"][name] = {**quality(heldout, verdicts),
                             "greedy": quality([heldout[i] for i in greedy], [verdicts[i] for i in greedy]),
                             "confidence": [v["confidence"] for v in verdicts],
                             "approved": [v["approved"] for v in verdicts]}
        log(f"  {name}: {line(out['ways'][name]['all'])}")
    return out
