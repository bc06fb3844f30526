"""Finished runs from the same round 0 side by side: every round's gold accuracy (all items with its
95% interval, per set), held-out loss, answer length, the guard sets, the pooled paired test against
round 0, what the round asked of its teacher, minutes per round (:mod:`run_phases`), and the paired
test between the runs' kept rounds (and their last rounds) on the same items.

    .venv/bin/python bench/compare_runs.py sft=runs/sft grpo=runs/grpo distill=runs/distill

Each ``NAME=RUN_DIR`` is a run folder (its ``round-NN/eval.json`` hold the per-item results); the runs
must have scored the same eval items (same files and ``eval.limit``) for the paired tests. Prints
markdown for the README.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from run_phases import phases  # run as a script: its own folder is on sys.path


def rounds(run: Path) -> list[dict]:
    """Each scored round's metrics, per-item results included."""
    out = []
    for path in sorted(run.glob("round-[0-9]*/eval.json")):
        out.append(json.loads(path.read_text())["metrics"])
    return out


def teacher_work(run: Path, summary: dict) -> str:
    """What round ``summary`` asked of its teacher: the calls and tokens written (critiques and revisions
    in the collect phase, the ``answers`` objective's answers) and the answer tokens it scored
    (on-policy distillation)."""
    from distill.store.jsonl import read_records

    calls = written = 0
    path = run / f"round-{summary['round']:02d}" / "samples.jsonl"
    for r in read_records(path, repair=False) if path.is_file() else []:
        for phase in ("critique", "revision"):
            used = (r.get("usage") or {}).get(phase) or {}
            if used.get("completion"):  # a verdict the check gave alone costs the teacher nothing
                calls += 1
                written += used["completion"]
    m = summary.get("train_metrics") or {}
    answers = m.get("teacher_answers") or {}
    if answers:
        calls += answers["asked"]
        written += answers.get("teacher_tokens", 0)  # prompt and answer tokens: an upper bound on what it wrote
    out = [f"{calls} calls, {written} tokens written"] if calls else []
    if m.get("distilled_tokens"):
        out.append(f"{m['distilled_tokens']} answer tokens scored")
    return "; ".join(out) or "-"


def paired(base: dict, cur: dict) -> str:
    from distill.eval.verdict import pooled

    t = pooled(base, cur)
    if t is None:
        return "not the same items"
    return f"{t.b} / {t.c}, {100 * t.diff:+.1f} ({100 * t.lo:+.1f} to {100 * t.hi:+.1f}), p {t.p:.2g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR")
    args = ap.parse_args()
    runs = {}
    for spec in args.runs:
        name, _, path = spec.partition("=")
        if not path or not Path(path, "manifest.json").is_file():
            raise SystemExit(f"compare_runs.py: {spec!r} is not NAME=RUN_DIR of a run folder with a manifest.json")
        runs[name] = Path(path)
    data = {name: rounds(path) for name, path in runs.items()}
    manifests = {name: json.loads((path / "manifest.json").read_text()) for name, path in runs.items()}
    summaries = {name: m.get("rounds", []) for name, m in manifests.items()}
    sets = sorted({k for rs in data.values() for m in rs for k in m.get("sets", {})})
    guards = sorted({k for rs in data.values() for m in rs for k in m.get("guard", {})})
    head = ["run", "round", "all items (95% CI)", *sets, *guards, "held-out loss", "mean tokens",
            "paired vs round 0, pooled: newly right / wrong, change (95% CI), p", "teacher", "minutes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    first = next(iter(data))
    for name, rs in data.items():
        minutes = {p["round"]: sum(v for k, v in p.items() if k in ("collect", "train", "evaluate"))
                   for p in phases(runs[name])}
        best = manifests[name].get("best_round")
        for m in rs:
            n = m["round"]
            if n == 0 and name != first:
                continue
            lo, hi = m["gold_ci95"]
            cells = [("(round 0)" if n == 0 else name), f"**{n}** (kept)" if n == best and n else str(n),
                     f"{100 * m['gold_accuracy']:.1f} ({100 * lo:.1f}-{100 * hi:.1f})",
                     *[f"{100 * m['sets'][s]['accuracy']:.1f}" if s in m.get("sets", {}) else "-" for s in sets],
                     *[f"{100 * m['guard'][g]['accuracy']:.1f}" if g in m.get("guard", {}) else "-" for g in guards],
                     "-" if m.get("heldout_loss") is None else f"{m['heldout_loss']:.3f}",
                     "-" if m.get("mean_answer_tokens") is None else f"{m['mean_answer_tokens']:.1f}",
                     "-" if n == 0 else paired(rs[0], m),
                     "" if n == 0 else teacher_work(runs[name], summaries[name][n - 1]),
                     f"{minutes[n]:.1f}" if n and n in minutes else ""]
            lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))
    print("\nBetween runs (the first named against the second, on the same items):\n")
    for a, b in itertools.combinations(data, 2):
        for which in ("kept", "last"):
            ra = manifests[a].get("best_round") if which == "kept" else len(data[a]) - 1
            rb = manifests[b].get("best_round") if which == "kept" else len(data[b]) - 1
            print(f"- {a} round {ra} vs {b} round {rb} ({which}): {paired(data[b][rb], data[a][ra])}")
    for name, m in manifests.items():
        print(f"- {name}: {m['status']}, keeps round {m.get('best_round')}: {m['decision']['reason'][:240]}")


if __name__ == "__main__":
    main()
