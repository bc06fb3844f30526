"""What every recipe script shares: the common flags, and turning them into a run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from distill.config import RunConfig
from distill.models import DEFAULT_STUDENT


def parser(description: str, run_dir: str) -> argparse.ArgumentParser:
    """An argument parser with the flags common to every recipe."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--run-dir", default=run_dir, help="run folder; an existing one is resumed")
    ap.add_argument("--student", default=DEFAULT_STUDENT, help="student model spec: embedded name, HF folder, .gguf or hub id")
    ap.add_argument("--rounds", type=int, default=2, help="training rounds at most")
    ap.add_argument("--prompts", type=int, default=32, help="prompts per round")
    ap.add_argument("--prompt-file", default=None, help="prompts (JSONL/JSON/CSV/Parquet/TXT or dataset id); default data/prompts.jsonl")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--config", default=None, help="YAML run config; flags given here override it")
    ap.add_argument("--eval-limit", type=int, default=None, help="score at most this many items of each eval set")
    ap.add_argument("--quiet", action="store_true", help="no progress output")
    ap.add_argument("--plain", action="store_true", help="line-by-line progress even on a terminal")
    return ap


def build_config(args: argparse.Namespace, **fields: Any) -> RunConfig:
    """A RunConfig from the common flags plus recipe-specific fields."""
    base = RunConfig.load(args.config) if args.config else RunConfig()
    base.run_dir = args.run_dir
    base.student = args.student
    base.rounds = args.rounds
    base.prompts_per_round = args.prompts
    base.seed = args.seed
    if args.prompt_file:
        base.prompts = args.prompt_file
    if args.eval_limit is not None:
        base.eval.limit = args.eval_limit
    for key, value in fields.items():
        setattr(base, key, value)
    return base


def choose_display(args: argparse.Namespace):
    """Live rich display on a terminal, plain lines elsewhere, nothing with --quiet."""
    from distill.display import make_display

    return make_display(quiet=args.quiet, plain=args.plain)


def run_recipe(args: argparse.Namespace, config: RunConfig) -> dict:
    """Run (or resume) and say where the report is."""
    from distill.loop import run

    manifest = run(config, choose_display(args))
    if not args.quiet:
        print(f"report: {Path(config.run_dir) / 'report.md'}", file=sys.stdout)
    return manifest
