"""Command line: ``distill <command> ...``.

Commands:
  eval   score a model on gold-answer JSONL files (prints a table, writes JSON)
  run    run (or resume) the bootstrap loop described by a YAML config
  show   draw a run from its folder: finished or still running
  export write a run's kept training data as a Hugging Face dataset (SFT or DPO)
  push   upload a run's recommended model (with its model card) to the Hugging Face Hub
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from distill.data.evalsets import default_eval_paths, load_eval_set
from distill.data.questions import FORMATS
from distill.errors import ConfigError, DataError
from distill.eval.gold import EvalConfig, evaluate
from distill.model.resolve import DEFAULT_STUDENT
from distill.ui.entry import guarded, make_display


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score a model on gold-answer eval files",
        description="Score MODEL on JSONL eval files (short answers with aliases, GSM8K-style '#### n', "
        "multiple choice, yes/no). Prints a table and writes the per-item results as JSON.",
    )
    p.add_argument("model", nargs="?", default=DEFAULT_STUDENT,
                   help=f"model spec: embedded name, HF folder, .gguf file or hub id (default: {DEFAULT_STUDENT})")
    p.add_argument("--data", action="append", type=Path, metavar="FILE",
                   help="JSONL eval file; repeat for several (default: the shipped data/eval/*.jsonl)")
    p.add_argument("--format", choices=FORMATS, help="force the format instead of detecting it from the fields")
    p.add_argument("--limit", type=int, help="score only the first N items of each file")
    p.add_argument("--out", type=Path, default=Path("eval.json"), help="where to write the JSON results (default: eval.json)")
    p.add_argument("--max-new-tokens", type=int, default=EvalConfig.max_new_tokens)
    p.add_argument("--batch-size", type=int, default=EvalConfig.batch_size, help="rows per batch (default: from free memory)")
    p.add_argument("--lm-eval", metavar="TASK[,TASK]",
                   help="also score lm-evaluation-harness tasks: the harness's own (gsm8k, ...: online) or those in "
                        "--include-path (default: the project's guard tasks, data/guard/); needs the lmeval extra")
    p.add_argument("--include-path", action="append", metavar="DIR", help="a folder of lm-eval task YAMLs; repeatable")
    p.add_argument("--best-of", type=int, metavar="N",
                   help="also answer each question N times and let --critic pick one; scored against greedy, paired")
    p.add_argument("--critic", metavar="TEACHER",
                   help="with --best-of: the teacher that picks, e.g. critic:runs/critic/model (a trained critic) or self")
    p.add_argument("--temperature", type=float, default=0.7, help="with --best-of: sampling temperature (default: 0.7)")
    p.add_argument("--seed", type=int, default=0, help="with --best-of: sampling seed (default: 0)")
    p.set_defaults(func=cmd_eval)


def print_eval_table(result: dict, title: str = "Gold-answer evaluation") -> None:
    """A rich table of per-set accuracy with 95% Wilson intervals."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col, justify in (("set", "left"), ("format", "left"), ("n", "right"), ("correct", "right"),
                         ("accuracy", "right"), ("95% CI", "right")):
        table.add_column(col, justify=justify)
    rows = list(result["sets"].values()) + [dict(result["overall"], name="all", format="")]
    for i, s in enumerate(rows):
        table.add_row(s["name"], s["format"], str(s["n"]), str(s["correct"]), f"{s['accuracy']:.1%}",
                      f"{s['ci95'][0]:.1%} - {s['ci95'][1]:.1%}", end_section=i == len(rows) - 2)
    Console().print(table)


def cmd_eval(args: argparse.Namespace) -> int:
    """``distill eval``: load the sets first (cheap, and bad files fail before the model loads)."""
    paths = args.data or default_eval_paths()
    if not paths:
        raise DataError("no eval files given and none found in data/eval/")
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    if args.best_of is not None and (args.best_of < 2 or not args.critic):
        raise ConfigError("--best-of N needs N >= 2 and --critic TEACHER (the teacher that picks)")
    if args.critic and args.best_of is None:
        raise ConfigError("--critic picks among answers: give --best-of N too")
    if args.best_of is not None and args.temperature <= 0:
        raise ConfigError(f"--temperature must be above 0 to sample N answers, got {args.temperature}")
    sets = [load_eval_set(p, format=args.format) for p in paths]
    harness = None
    if args.lm_eval:
        from distill.eval.harness import LmEvalConfig, check

        tasks = [t.strip() for t in args.lm_eval.split(",") if t.strip()]
        harness = LmEvalConfig(tasks=tasks, limit=args.limit,
                               **({"include_path": args.include_path} if args.include_path else {}))
        check(harness)  # an unknown task or a missing data file: one line, before the model loads
    names = [s.name for s in sets]
    for i, s in enumerate(sets):  # two files with one stem would overwrite each other's results
        if names.count(s.name) > 1:
            s.name = f"{s.name}#{i}"
    from rich.progress import Progress

    from distill.model.student import Student  # imports torch: only once the files are known to be good

    student = Student(args.model)
    config = EvalConfig(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, limit=args.limit)
    total = sum(min(len(s.items), args.limit or len(s.items)) for s in sets)
    with Progress(transient=True) as bar:  # a live bar that disappears when done, leaving the table
        task = bar.add_task("evaluating", total=total)
        result = evaluate(student, sets, config, progress=lambda k, _tokens: bar.advance(task, k))
    result["model"] = str(args.model)
    print_eval_table(result, title=f"Gold-answer evaluation of {args.model}")
    if harness is not None:
        from distill.eval.harness import evaluate_tasks

        result["lm_eval"] = evaluate_tasks(student.model, student.tokenizer, harness)
        for task, score in result["lm_eval"].items():
            se = f" ± {score['stderr']:.3f}" if score["stderr"] is not None else ""
            print(f"lm-eval {task}: {score['metric']} {score['value']:.3f}{se} ({score['n']} items)")
    if args.best_of:
        result["best_of"] = _best_of(args, student, sets, config, result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _best_of(args: argparse.Namespace, student, sets, config: EvalConfig, greedy: dict) -> dict:
    """``--best-of N --critic TEACHER``: the critic's pick of N samples against greedy, printed as a table."""
    from rich.console import Console
    from rich.table import Table

    from distill.data.principles import load_principles
    from distill.eval.best_of import WAYS, best_of_n, paired_text
    from teachers import load_teacher

    critic = load_teacher(args.critic, student=student)
    principle = load_principles(None)[0].principles[0]  # what a default run's judge is asked under
    out = best_of_n(student, sets, config, critic, principle, args.best_of, args.temperature, args.seed,
                    greedy={"sets": {k: v for k, v in greedy["sets"].items() if v["format"] != "mc"}})
    table = Table(title=f"Best of {args.best_of} at temperature {args.temperature}, picked by {critic.name}")
    for col in ("set", *WAYS, "best of n vs greedy: newly right / wrong, change (95% CI), p"):
        table.add_column(col)
    rows = [*out["per_set"].items(), ("all (pooled)", {**out["overall"], "paired": out["paired"]["vs greedy"]})]
    for name, s in rows:
        table.add_row(name, *(f"{s[w]['accuracy']:.1%}" for w in WAYS), paired_text(s["paired"]))
    Console().print(table)
    return out


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run (or resume) the loop from a YAML config",
        description="Run the bootstrap loop described by CONFIG (YAML; see distill.config.RunConfig). An existing "
        "run folder is resumed with its own saved config. Live display on a terminal, plain lines elsewhere.",
    )
    p.add_argument("config", type=Path, metavar="CONFIG.yaml", help="YAML run config")
    p.add_argument("--run-dir", help="run folder (overrides the config's run_dir)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="no progress output")
    out.add_argument("--plain", action="store_true", help="line-by-line progress even on a terminal")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """``distill run``: the loop with the display for where output goes; exit 0 once the run has ended."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run  # imports torch: only once the config is known to be good

    config = RunConfig.load(args.config, run_dir=args.run_dir)
    manifest = run(config, make_display(quiet=args.quiet, plain=args.plain))
    if not args.quiet:
        print(f"report: {manifest.report or Path(config.run_dir) / 'report.md'}")
    return 0


def _add_show(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="draw a run from its folder",
        description="Draw RUN_DIR once: status, stage, the monitor's decision, the table of rounds and the latest "
        "sample. Works while the run is still going (read-only).",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--follow", action="store_true", help="keep redrawing until the run ends")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between redraws with --follow")
    p.set_defaults(func=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    """``distill show``: render a run folder."""
    from distill.ui.show import show

    return show(args.run_dir, follow=args.follow, interval=args.interval)


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a run's kept training data as a Hugging Face dataset",
        description="Write RUN_DIR's kept training data to OUT: --kind sft (prompt/completion) or --kind dpo "
        "(prompt/chosen/rejected), as datasets.save_to_disk output plus data.jsonl and a dataset card.",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--kind", choices=("sft", "dpo"), default="sft")
    p.add_argument("--out", type=Path, required=True, help="a new (or empty) folder")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """``distill export``."""
    from distill.publish.export import export

    out = export(args.run_dir, args.kind, args.out)
    print(f"wrote {out} (load with datasets.load_from_disk)")
    return 0


def _add_push(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "push",
        help="upload a run's recommended model to the Hugging Face Hub",
        description="Upload round-NN/model/ of RUN_DIR (weights, tokenizer and its README.md model card) to a model "
        "repo on the Hub as one commit: the round the run recommends unless --round is given. The token is "
        "huggingface_hub's (HF_TOKEN or `hf auth login`); HF_ENDPOINT picks another hub.",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--repo-id", help="user/name (default: the run config's hub_model_id)")
    p.add_argument("--round", type=int, help="the round to push (default: the recommended one)")
    p.add_argument("--private", action="store_true", default=None, help="create the repo private")
    p.set_defaults(func=cmd_push)


def cmd_push(args: argparse.Namespace) -> int:
    """``distill push``: push the round and record it in the run's manifest (under the run's lock)."""
    from distill.config import RunConfig
    from distill.publish.hub import push_round
    from distill.store.folder import RunFolder

    folder = RunFolder(args.run_dir)
    repo_id = args.repo_id
    if repo_id is None and folder.config_path.exists():
        repo_id = RunConfig.load(folder.config_path).hub_model_id
    if not repo_id:
        raise ConfigError(f"{args.run_dir}: no repo to push to; pass --repo-id user/name or set hub_model_id in its config")
    if not folder.manifest_path.exists():  # checked before the lock, which would create the folder
        raise DataError(f"{args.run_dir}: not a run folder (no manifest.json)")
    with folder.lock():
        manifest = folder.manifest()
        pushed = push_round(folder, manifest, repo_id, args.round, args.private)
    print(f"pushed round {pushed.round} of {args.run_dir} to {pushed.repo_id}: {pushed.commit_url}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``distill`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="distill", description="Self-correction distillation toolkit.")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_eval(sub)
    _add_run(sub)
    _add_show(sub)
    _add_export(sub)
    _add_push(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``distill`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return guarded(f"distill {args.command}", lambda: args.func(args), debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
