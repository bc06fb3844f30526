"""Which round does each best-round rule recommend, deciding with a recipe's small eval, when the
truly best round is judged with the full eval? Run folders evaluated on every item keep each item's
result in ``round-NN/eval.json``; this script cuts them to the first ``--limit`` items a set (what a
recipe's ``eval.limit: 20`` would have scored), applies each rule, and compares with the round the
full eval ranks best.

    .venv/bin/python bench/best_round_rules.py RUN_DIR [RUN_DIR ...] [--limit 20]

Rules: ``two-proportion`` (before paired verdicts: Bonferroni-corrected two-proportion tests, the
highest accuracy, ties by equal accuracy only), ``paired-later`` (exact McNemar, Holm, ties inside
the noise go to the later round: the default), ``paired-loss`` (the same, ties to the lower held-out
loss). The truly best round is the trained round with the highest full-eval gold accuracy, or round 0
when none is above it beyond noise (paired, full eval). Prints a table per run and the agreement counts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from distill.eval.metrics import wilson_interval
from distill.loop.monitor import MonitorConfig, best_round, significant_drop


def history(run: Path, limit: int | None) -> list[dict]:
    """The run's metric history rebuilt from its eval.json files, each set cut to ``limit`` items."""
    out = []
    for path in sorted(run.glob("round-*/eval.json")):
        saved = json.loads(path.read_text(encoding="utf-8"))
        m = dict(saved["metrics"])
        sets, right, total = {}, 0, 0
        for name, s in saved["eval"]["sets"].items():
            items = "".join("1" if r["correct"] else "0" for r in s["items"])[:limit]
            c, n = items.count("1"), len(items)
            sets[name] = {"accuracy": c / n, "n": n, "correct": c, "ci95": list(wilson_interval(c, n)),
                          "format": s["format"], "items": items}
            right, total = right + c, total + n
        m.update(sets=sets, gold_accuracy=right / total, gold_n=total, gold_correct=right,
                 gold_ci95=list(wilson_interval(right, total)))
        out.append(m)
    return out


def unpaired(h: list[dict]) -> list[dict]:
    return [{**m, "sets": {k: {kk: vv for kk, vv in s.items() if kk != "items"} for k, s in m["sets"].items()}}
            for m in h]


def truly_best(full: list[dict], config: MonitorConfig) -> int:
    top = max(full[1:], key=lambda m: m["gold_accuracy"])
    return top["round"] if significant_drop(top, full[0], config) else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--limit", type=int, default=20, help="items per set the deciding eval scores (a recipe's default)")
    args = ap.parse_args()
    rules = {"two-proportion": lambda h: best_round(unpaired(h), MonitorConfig()),
             "paired-later": lambda h: best_round(h, MonitorConfig(tie_break="later")),
             "paired-loss": lambda h: best_round(h, MonitorConfig(tie_break="heldout_loss"))}
    hits = {name: 0 for name in rules}
    print("| run | full-eval gold accuracy by round | truly best | " + " | ".join(rules) + " |")
    print("|---|---|---|" + "---|" * len(rules))
    counted = 0
    for run in args.runs:
        full = history(run, None)
        if len(full) < 2:
            continue
        small = history(run, args.limit)
        truth = truly_best(full, MonitorConfig())
        picks = {name: rule(small) for name, rule in rules.items()}
        counted += 1
        for name, pick in picks.items():
            hits[name] += pick == truth
        accs = ", ".join(f"{m['round']}: {100 * m['gold_accuracy']:.1f}" for m in full)
        print(f"| {run.name} | {accs} | {truth} | " + " | ".join(str(p) for p in picks.values()) + " |")
    print()
    for name, n in hits.items():
        print(f"- {name}: picks the truly best round in {n} of {counted} runs")


if __name__ == "__main__":
    main()
