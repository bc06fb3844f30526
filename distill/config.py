"""One typed configuration object for a run, loadable from YAML and saved into the run folder.

Importable without torch or TRL: ``distill show`` and ``distill --help`` read configs too.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from distill.core import SamplingConfig
from distill.curate.filters import FilterConfig
from distill.data.evalsets import default_eval_paths, default_guard_paths
from distill.data.paths import DATA_DIR
from distill.errors import ConfigError
from distill.eval.gold import EvalConfig
from distill.eval.verdict import MonitorConfig
from distill.model.resolve import DEFAULT_STUDENT
from distill.model.serving import StudentServerConfig
from distill.schema import plain, from_dict, load_yaml
from distill.store.atomic import write_text
from distill.train.config import TrainConfig


@dataclass
class AnswerConfig(SamplingConfig):
    """How the student answers the round's prompts.

    ``num_samples`` > 1 draws that many answers per prompt (needs ``temperature`` > 0); with a
    teacher that checks answers against references, the first answer that passes is the one
    kept (rejection sampling, as in ReST-EM), else the first is critiqued."""

    num_samples: int = 1

    def __post_init__(self) -> None:
        if self.num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {self.num_samples}")
        if self.num_samples > 1 and self.greedy:
            raise ValueError("num_samples > 1 needs temperature > 0 (greedy answers would all be the same)")


@dataclass
class RunConfig:
    """Everything one run needs. Nested sections are the typed configs of the parts they configure."""

    run_dir: str = "runs/self-bootstrap"
    student: str = DEFAULT_STUDENT
    # None: the student generates in-process; else through an OpenAI-compatible server (distill.model.serving)
    student_server: StudentServerConfig | None = None
    # what generation, scoring and training compute in: fp32, bf16, or auto (from this machine; distill.model.precision)
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    # "self", "local:<model spec>", "openai", "grounded:<spec>", "arithmetic" or "module.path:ClassName"
    teacher: str = "self"
    teacher_kwargs: dict[str, Any] = field(default_factory=dict)  # the teacher's constructor arguments
    principles: str | None = None  # default: data/principles.yaml
    # One or more JSONL/JSON/CSV/Parquet/TXT files or dataset ids; see distill.data.prompts
    prompts: str | list[str] = str(DATA_DIR / "prompts.jsonl")
    prompts_per_round: int = 32
    fresh_prompts_each_round: bool = True  # False: the same prompts every round
    rounds: int = 2  # at most this many training rounds in all
    # A stage also ends before this when the teacher finds faults in fewer than
    # monitor.converged_fault_rate of the answers.
    max_rounds_per_stage: int = 2
    # Prompts answered, critiqued, revised and written per step: the generation batch and the resume unit.
    chunk_size: int = 32
    replay: str | None = str(DATA_DIR / "replay.jsonl")  # original instruction data mixed into training
    replay_heldout: str | None = str(DATA_DIR / "replay_heldout.jsonl")  # for the forgetting measure
    replay_share: float = 0.5  # share of original instruction data in each round's training mix
    eval_sets: list[str] = field(default_factory=lambda: [str(p) for p in default_eval_paths()])
    # gold sets unlike the training data whose drop beyond noise is forgetting (data/guard/: spelling, sequences, misconceptions)
    guard_sets: list[str] = field(default_factory=lambda: [str(p) for p in default_guard_paths()])
    # eval answers the judge rates each round, spread evenly: its approval, and how well it tells
    # right from wrong (enough of both for an interval worth reading)
    approval_items: int = 128
    seed: int = 0
    answer: AnswerConfig = field(default_factory=lambda: AnswerConfig(max_new_tokens=64))
    critique: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=64))
    revision: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=96))
    filters: FilterConfig = field(default_factory=FilterConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=lambda: EvalConfig(limit=20))  # raise the limit for tighter intervals
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    # After the run ends, upload the recommended round's model/ (and its card) to the Hub (distill.publish.hub)
    push_to_hub: bool = False
    hub_model_id: str | None = None  # "user/name"
    hub_private_repo: bool | None = None  # None: the Hub's default for a new repo

    def __post_init__(self) -> None:
        if self.push_to_hub and not self.hub_model_id:
            raise ValueError("push_to_hub needs hub_model_id (the repo to push to, e.g. user/my-model)")
        if not 0 <= self.replay_share < 1:
            raise ValueError(f"replay_share must be in [0, 1), got {self.replay_share}")
        for name in ("rounds", "prompts_per_round", "max_rounds_per_stage", "chunk_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def prompt_files(self) -> list[str]:
        return [self.prompts] if isinstance(self.prompts, str) else list(self.prompts)

    def to_dict(self) -> dict:
        """Plain data, as saved in ``config.yaml`` (the ``train`` section in its YAML shape:
        :meth:`~distill.train.config.TrainConfig.to_dict`)."""
        return {**plain(dataclasses.asdict(self)), "train": plain(self.train.to_dict())}

    def save(self, path: str | os.PathLike) -> None:
        """Write the config as YAML (atomically: a killed write leaves the old file)."""
        write_text(path, yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def load(cls, path: str | os.PathLike, **overrides: Any) -> "RunConfig":
        """Read a YAML config; unknown keys and wrong types are errors naming the file and key.
        ``overrides`` that are not None replace top-level keys."""
        data = load_yaml(path)
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_data(data, str(path))

    @classmethod
    def from_data(cls, data: dict, source: str = "<config>") -> "RunConfig":
        """Build from plain (YAML-shaped) data, checking keys and types; errors name ``source``."""
        monitor = data.get("monitor")
        if isinstance(monitor, dict) and "max_rounds" in monitor:  # a config saved before the one round budget
            if monitor["max_rounds"] is not None:
                raise ConfigError(f"{source}: key monitor.max_rounds: the round budget is `rounds` now; set that instead")
            data = {**data, "monitor": {k: v for k, v in monitor.items() if k != "max_rounds"}}
        return from_dict(cls, data, source)
