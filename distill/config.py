"""One typed configuration object for a run, loadable from YAML and saved into the run folder."""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from distill.evaluate import EvalConfig, default_eval_paths
from distill.filters import FilterConfig
from distill.models import DEFAULT_STUDENT
from distill.monitor import MonitorConfig
from distill.paths import DATA_DIR
from distill.student import SamplingConfig
from distill.train import TrainConfig



class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message names the file and the key."""


@dataclass
class RunConfig:
    """Everything one run needs. Nested sections are the typed configs of the parts they configure."""

    run_dir: str = "runs/self-bootstrap"
    student: str = DEFAULT_STUDENT
    # "self", "local:<model spec>", "openai", or "module.path:ClassName"
    teacher: str = "self"
    teacher_kwargs: dict[str, Any] = field(default_factory=dict)
    principles: str | None = None  # default: data/principles.yaml
    prompts: str = str(DATA_DIR / "prompts.jsonl")  # JSONL/JSON/CSV/Parquet file or dataset id; see distill.prompts
    prompts_per_round: int = 32
    fresh_prompts_each_round: bool = True  # False: the same prompts every round
    rounds: int = 2  # at most this many training rounds in all
    max_rounds_per_stage: int = 2
    # A stage also ends, before this, when the teacher finds faults in fewer than
    # monitor.converged_fault_rate of the answers.
    # Prompts answered, critiqued, revised and written per step: the generation batch and the resume unit.
    chunk_size: int = 32
    replay: str | None = str(DATA_DIR / "replay.jsonl")  # original instruction data mixed into training
    replay_heldout: str | None = str(DATA_DIR / "replay_heldout.jsonl")  # for the forgetting measure
    replay_share: float = 0.5  # share of original instruction data in each round's training mix
    eval_sets: list[str] = field(default_factory=lambda: [str(p) for p in default_eval_paths()])
    approval_items: int = 16  # held-out questions the judge rates each round
    seed: int = 0
    # Budgets sized so the default demo (2 rounds of 32 prompts) fits in 15 minutes on 2 CPU cores.
    answer: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=64))
    critique: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=64))
    revision: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=96))
    filters: FilterConfig = field(default_factory=FilterConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    # 20 items per set keeps a round's evaluation near a minute; raise it for tighter intervals.
    eval: EvalConfig = field(default_factory=lambda: EvalConfig(limit=20))
    monitor: MonitorConfig = field(default_factory=MonitorConfig)

    def __post_init__(self) -> None:
        if not 0 <= self.replay_share < 1:
            raise ValueError(f"replay_share must be in [0, 1), got {self.replay_share}")
        for name in ("rounds", "prompts_per_round", "max_rounds_per_stage", "chunk_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def to_dict(self) -> dict:
        return _plain(dataclasses.asdict(self))

    def save(self, path: str | os.PathLike) -> None:
        """Write the config as YAML (atomically: a killed write leaves the old file)."""
        path = Path(path)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike, **overrides: Any) -> "RunConfig":
        """Read a YAML config; unknown keys and wrong types are errors naming the file and key."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return from_dict(cls, data, str(path))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def from_dict(cls: type, data: dict, source: str = "<config>", prefix: str = "") -> Any:
    """Build a (nested) dataclass from plain data, checking keys and simple types."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        where = f"{source}: key {prefix}{key}"
        if key not in names:
            raise ConfigError(f"{where}: unknown key (known: {', '.join(sorted(names))})")
        kwargs[key] = _convert(hints[key], value, where, source, f"{prefix}{key}.")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{source}: section {prefix.rstrip('.') or 'top level'}: {e}") from None


def _convert(hint: Any, value: Any, where: str, source: str, prefix: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return from_dict(hint, value, source, prefix)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value, where, source, prefix)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: expected one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return origin(value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return value
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value
