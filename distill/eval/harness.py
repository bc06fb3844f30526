"""EleutherAI's lm-evaluation-harness, every round: the standard tasks people already track (and their
own task files), scored in process on the round's loaded model — no second load.

In a run config::

    eval:
      lm_eval:
        tasks: [guard_spelling, guard_sequences, guard_misconceptions]   # names: the harness's own tasks, or tasks in include_path
        include_path: data/guard                   # folders of task YAMLs (default: the project's guard tasks)
        limit: null                                # items per task (None: all)
        num_fewshot: null
        apply_chat_template: true
        guard: [guard_spelling]                    # tasks whose drop beyond noise counts as forgetting

Each task's main metric (``acc`` first, else the first the harness reports) and its standard error
go into the round's metrics, with each item's score (from the harness's logged samples) for paired
comparisons between rounds. Task files may name their data files relative to themselves. The
harness is an optional extra (``pip install -e ".[lmeval]"``); asking for it without is one line
saying what to install. Hub-hosted tasks (gsm8k, truthfulqa_mc1, hellaswag, ...) need the network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from distill.data.paths import DATA_DIR
from distill.errors import ConfigError, DataError

GUARD_TASKS = DATA_DIR / "guard"
INSTALL = 'pip install -e ".[lmeval]" (lm-eval is an optional extra)'
METRICS = ("acc", "exact_match", "acc_norm", "f1", "mcc")  # the first of these a task reports is its main metric


@dataclass
class LmEvalConfig:
    """Which lm-evaluation-harness tasks each round is scored on (see the module docstring)."""

    tasks: list[str] = field(default_factory=lambda: ["guard_spelling", "guard_sequences", "guard_misconceptions"])
    include_path: str | list[str] | None = str(GUARD_TASKS)
    limit: int | float | None = None
    num_fewshot: int | None = None
    apply_chat_template: bool = True
    batch_size: int = 8
    guard: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.tasks:
            raise ValueError("eval.lm_eval.tasks must name at least one task")
        unknown = sorted(set(self.guard) - set(self.tasks))
        if unknown:
            raise ValueError(f"eval.lm_eval.guard names {', '.join(unknown)}, which is not among its tasks")

    @property
    def include_paths(self) -> list[str]:
        paths = self.include_path if isinstance(self.include_path, list) else [self.include_path] if self.include_path else []
        return [str(Path(p).expanduser()) for p in paths]


def _lm_eval():
    if os.environ.get("HF_HUB_OFFLINE"):  # local task files load through `datasets`, which must not try the hub
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    try:
        import lm_eval
        from lm_eval.tasks import TaskManager
    except ImportError:
        raise ConfigError(f"eval.lm_eval needs lm-evaluation-harness, which is not installed: {INSTALL}") from None
    return lm_eval, TaskManager


def _local_configs(config: LmEvalConfig) -> dict[str, dict]:
    """The task YAMLs under the include paths, by task name, with data files made absolute (relative
    ones are relative to the YAML). A YAML that does not parse is a one-line error naming it."""
    out: dict[str, dict] = {}
    for folder in config.include_paths:
        if not Path(folder).is_dir():
            raise ConfigError(f"eval.lm_eval.include_path: {folder}: no such folder")
        for path in sorted(Path(folder).rglob("*.yaml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as e:
                raise DataError(f"{path}: not a valid task file: {' '.join(str(e).split())}") from None
            if not isinstance(data, dict) or not isinstance(data.get("task"), str):
                continue  # a group or include file: the harness's own include_path handles those
            files = ((data.get("dataset_kwargs") or {}).get("data_files"))
            if isinstance(files, dict):
                resolved = {}
                for split, f in files.items():
                    target = Path(f) if Path(f).is_absolute() else path.parent / f
                    if not target.is_file():
                        raise DataError(f"task {data['task']!r} ({path}): data file {target} does not exist")
                    resolved[split] = str(target)
                data = {**data, "dataset_kwargs": {**data["dataset_kwargs"], "data_files": resolved}}
            out[data["task"]] = data
    return out


def resolve_tasks(config: LmEvalConfig) -> tuple[list[str | dict], Any]:
    """The tasks as the harness takes them — local task configs (data files resolved) or names it
    knows — and the harness's task manager for them (its own tasks indexed only when one is named:
    indexing them takes many seconds). An unknown task, a task file that does not parse or a
    missing data file is a one-line error naming the task and the file, before any generation."""
    _, TaskManager = _lm_eval()
    local = _local_configs(config)
    named = [name for name in config.tasks if name not in local]
    manager = TaskManager(include_path=config.include_paths or None, include_defaults=bool(named))
    for name in named:
        if name not in manager.all_tasks:
            raise ConfigError(f"eval.lm_eval.tasks: {name!r} is no task the harness knows "
                              f"(nor in {', '.join(config.include_paths) or 'an include_path'})")
    return [local.get(name, name) for name in config.tasks], manager


def check(config: LmEvalConfig) -> None:
    """Build every task now (its data loaded), so a broken one fails before any generation."""
    from lm_eval.tasks import get_task_dict

    tasks, manager = resolve_tasks(config)
    for task in tasks:
        name = task["task"] if isinstance(task, dict) else task
        try:
            get_task_dict([task], manager)
        except Exception as e:  # noqa: BLE001 - the harness raises many kinds; say which task broke
            raise DataError(f"eval.lm_eval: task {name!r} cannot be loaded: {' '.join(str(e).split())[:300]}") from None


def _main_metric(result: dict) -> str | None:
    names = {k.split(",")[0] for k in result if "," in k and not k.split(",")[0].endswith("_stderr")}
    return next((m for m in METRICS if m in names), sorted(names)[0] if names else None)


def evaluate_tasks(model: Any, tokenizer: Any, config: LmEvalConfig) -> dict:
    """Score the loaded ``model`` on the tasks: ``{task: {metric, value, stderr, n, items, guard}}``
    (``items``: each sample's score as 0/1 in document order, when the metric is per item)."""
    lm_eval, _ = _lm_eval()
    from lm_eval.models.huggingface import HFLM

    tasks, manager = resolve_tasks(config)
    was_training = model.training
    model.eval()
    try:
        out = lm_eval.simple_evaluate(
            model=HFLM(pretrained=model, tokenizer=tokenizer, batch_size=config.batch_size), tasks=tasks,
            task_manager=manager, limit=config.limit, num_fewshot=config.num_fewshot,
            apply_chat_template=config.apply_chat_template, log_samples=True)
    finally:
        model.train(was_training)
    scores: dict[str, dict] = {}
    for name, result in (out or {}).get("results", {}).items():
        metric = _main_metric(result)
        if metric is None:
            continue
        key = next(k for k in result if k.split(",")[0] == metric)
        samples = sorted(out.get("samples", {}).get(name, []), key=lambda s: s["doc_id"])
        values = [s.get(metric) for s in samples]
        items = "".join("1" if v else "0" for v in values) if values and all(v in (0, 1, 0.0, 1.0, True, False)
                                                                             for v in values) else None
        stderr = result.get(key.replace(metric, f"{metric}_stderr", 1))
        scores[name] = {"metric": metric, "value": float(result[key]),
                        "stderr": float(stderr) if isinstance(stderr, (int, float)) else None,
                        "n": len(samples), "items": items, "guard": name in config.guard}
    return scores
