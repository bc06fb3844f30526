"""What every recipe script shares: the common flags, turning them into a run, and running it.

Precedence, lowest first: ``RunConfig``'s defaults, the recipe's own defaults, the ``--config``
YAML file, then the flags actually given on the command line. A flag left out never overrides
the file. (transformers' ``HfArgumentParser`` / TRL's ``TrlParser`` cannot say which flags were
given, and flatten nested sections such as ``eval.limit``; a flag left at its default would
overwrite the file, which is the bug this order exists to prevent.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from distill.config import RunConfig
from distill.train.objective import BUILT_IN, flags, get
from distill.ui.entry import guarded, make_display

# common flag -> the config field it sets (dotted for nested sections); the objectives' own flags
# (distill.train.objective.Flag) set their options, train.<option>
COMMON = {
    "run_dir": "run_dir", "student": "student", "rounds": "rounds", "prompts": "prompts_per_round",
    "prompt_file": "prompts", "seed": "seed", "eval_limit": "eval.limit", "objective": "train.objective",
    "schedule": "train.schedule", "precision": "precision",
}


# What the recipes that answer "does it help?" evaluate by default: enough items a set for a paired test
# to find a change of eval.detect_change (10 points) at 80% power (236), all of a smaller set; about
# 7 points over the project's 506 eval items pooled. The demo keeps its small eval and says what it cannot see.
POWERED = {"eval.limit": "auto"}


def eval_limit(text: str) -> int | str:
    """``--eval-limit``: a number of items a set, or ``auto``."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of items or 'auto', got {text!r}") from None


def schedule(text: str) -> list[str]:
    """``--schedule``: comma-separated objective names."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected objective names separated by commas, got {text!r}")
    return names


def parser(description: str, run_dir: str, **defaults: Any) -> argparse.ArgumentParser:
    """An argument parser with the flags common to every recipe.

    ``run_dir`` and ``defaults`` (config fields, dotted for nested ones) are the recipe's own
    defaults: a ``--config`` file overrides them, a flag given overrides both."""
    ap = argparse.ArgumentParser(description=description)
    ap.set_defaults(_recipe_defaults={"run_dir": run_dir, **defaults})
    base = RunConfig()
    shown = {**{field: _get(base, field) for field in COMMON.values()}, "run_dir": run_dir, **defaults}

    def default(field: str) -> str:
        value = shown[field]
        value = [_short(v) for v in value] if isinstance(value, list) else _short(value)
        return f" (default: from --config, else {value})"

    ap.add_argument("--run-dir", help="run folder; an existing one is resumed" + default("run_dir"))
    ap.add_argument("--student", help="student model spec: embedded name, HF folder, .gguf or hub id" + default("student"))
    ap.add_argument("--rounds", type=int, help="training rounds at most" + default("rounds"))
    ap.add_argument("--prompts", type=int, help="prompts per round" + default("prompts_per_round"))
    ap.add_argument("--prompt-file", action="append",
                    help="prompts (JSONL/JSON/CSV/Parquet/TXT or dataset id); repeat for several" + default("prompts"))
    ap.add_argument("--seed", type=int, help="random seed" + default("seed"))
    ap.add_argument("--config", help="YAML run config; flags given here override it")
    ap.add_argument("--eval-limit", type=eval_limit,
                    help="score at most this many items of each eval set, or 'auto': enough to find a 10-point change "
                         "a set" + default("eval.limit"))
    ap.add_argument("--objective", metavar="{" + ",".join(BUILT_IN) + ",module.path:NAME}",
                    help="what each round trains on: "
                         + ", ".join(f"{get(name).about} ({name})" for name in BUILT_IN)
                         + ", or an objective of your own" + default("train.objective"))
    ap.add_argument("--schedule", type=schedule, metavar="OBJECTIVE,OBJECTIVE,...",
                    help="each round's objective in turn, the last repeating (distill,distill,grpo: two rounds of "
                         "distillation, then GRPO); instead of --objective")
    for flag, value in flags():  # the objectives' own, for their options
        shown.setdefault(f"train.{flag.option}", value)
        ap.add_argument(flag.name, dest=flag.option, metavar=flag.metavar, type=flag.type,
                        help=flag.help + default(f"train.{flag.option}"))
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"),
                    help="what generation, scoring and training compute in" + default("precision"))
    out = ap.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="no progress output")
    out.add_argument("--plain", action="store_true", help="line-by-line progress even on a terminal")
    ap.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    return ap


def _short(value: Any) -> Any:
    """A path inside the project shown relative to it (help texts stay readable)."""
    from distill.data.paths import DATA_DIR

    text = str(value)
    root = str(DATA_DIR.parent) + "/"
    return text[len(root):] if text.startswith(root) else value


def _get(config: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        config = getattr(config, part)
    return config


def _set(data: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def build_config(args: argparse.Namespace, **fields: Any) -> RunConfig:
    """A RunConfig from the recipe's defaults, ``--config``, the common flags given, and ``fields``
    (recipe-specific config fields, dotted for nested ones; ``None`` means not given)."""
    from distill.config import load_yaml

    data: dict = {}
    for key, value in getattr(args, "_recipe_defaults", {}).items():
        _set(data, key, value)
    if args.config:
        file_data = load_yaml(args.config)
        for key, value in file_data.items():  # one level deep: sections merge, so a file's `eval` keeps `limit`
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
    fields_of = {**COMMON, **{flag.option: f"train.{flag.option}" for flag, _ in flags()}}
    given = {field: getattr(args, k) for k, field in fields_of.items() if getattr(args, k, None) is not None}
    given.update({k: v for k, v in fields.items() if v is not None})
    if "train.schedule" in given and "train.objective" not in given:
        data.get("train", {}).pop("objective", None)  # a schedule names the first objective itself
    for key, value in given.items():
        _set(data, key, value)
    if isinstance(data.get("prompts"), list) and len(data["prompts"]) == 1:
        data["prompts"] = data["prompts"][0]
    return RunConfig.from_data(data, args.config or "<recipe flags>")


def run_recipe(args: argparse.Namespace, **fields: Any) -> int:
    """Build the config (see :func:`build_config`), run or resume it, and say where the report is.

    Returns the exit status: a user's mistake is one line on stderr and status 2, no traceback
    (``--debug`` shows it)."""
    def go() -> int:
        from distill.loop.bootstrap import run

        cfg = build_config(args, **fields)
        manifest = run(cfg, make_display(quiet=args.quiet, plain=args.plain))
        if not args.quiet:
            print(f"report: {manifest.report or Path(cfg.run_dir) / 'report.md'}", file=sys.stdout)
        return 0

    return guarded(Path(sys.argv[0]).name, go, debug=args.debug)
