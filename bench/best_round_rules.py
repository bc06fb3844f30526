"""Which round does each best-round rule recommend, deciding with a recipe's eval, when the truly best
round is judged on every item the run scored? Run folders keep each item's result in
``round-NN/eval.json``; this script applies each rule at the run's own eval and cut to the first
``--limit`` items a set (what a recipe's old ``eval.limit: 20`` would have scored), and compares with
the round that all the run's items rank best.

    .venv/bin/python bench/best_round_rules.py RUN_DIR [RUN_DIR ...] [--limit 20]

Rules: ``two-proportion`` (before paired verdicts: Bonferroni-corrected two-proportion tests, the
highest accuracy, ties by equal accuracy only), ``per-set`` (before issue 34: exact McNemar per set,
Holm, better on at least one set, worse on none, overall accuracy not lower; ties inside the noise go
to the later round), ``pooled`` (the rule now: better on all items pooled, yes/no sets in yes-no
pairs, worse on no set; ties to the later round). The truly best round is the trained round with the
highest accuracy on all the run's items, or round 0 when none is above it beyond noise (paired,
pooled). Prints a table per eval size and the agreement counts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from distill.eval.metrics import wilson_interval
from distill.eval.verdict import MonitorConfig, best_round, same_beyond_noise, set_changes, significant_drop


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
            if s["format"] == "yesno":
                sets[name]["golds"] = "".join("y" if r["gold"] == "yes" else "n" for r in s["items"])[:limit]
            right, total = right + c, total + n
        m.update(sets=sets, gold_accuracy=right / total, gold_n=total, gold_correct=right,
                 gold_ci95=list(wilson_interval(right, total)))
        out.append(m)
    return out


def unpaired(h: list[dict]) -> list[dict]:
    return [{**m, "sets": {k: {kk: vv for kk, vv in s.items() if kk != "items"} for k, s in m["sets"].items()}}
            for m in h]


def per_set_rule(h: list[dict], config: MonitorConfig) -> int:
    """The rule before the pooled one (see the module docstring)."""
    def good(m: dict) -> bool:
        up, down = set_changes(h[0], m, config)
        return bool(up) and not down and m["gold_accuracy"] >= h[0]["gold_accuracy"]

    better = [m for m in h[1:] if good(m)]
    if not better:
        return 0
    top = max(better, key=lambda m: m["gold_accuracy"])
    return max(m["round"] for m in better if same_beyond_noise(top, m, config))


def truly_best(full: list[dict], config: MonitorConfig) -> int:
    top = max(full[1:], key=lambda m: m["gold_accuracy"])
    return top["round"] if significant_drop(top, full[0], config) else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--limit", type=int, default=20, help="items per set of the small eval (the recipes' old default)")
    args = ap.parse_args()
    config = MonitorConfig()
    rules = {"two-proportion": lambda h: best_round(unpaired(h), config),
             "per-set": lambda h: per_set_rule(h, config),
             "pooled": lambda h: best_round(h, config)}
    for limit in (None, args.limit):
        hits = {name: 0 for name in rules}
        print(f"deciding on {'every item the run scored' if limit is None else f'the first {limit} items a set'}:\n")
        print("| run | items | accuracy by round (all items) | truly best | " + " | ".join(rules) + " |")
        print("|---|---|---|---|" + "---|" * len(rules))
        counted = 0
        for run in args.runs:
            full = history(run, None)
            if len(full) < 2:
                continue
            small = history(run, limit)
            truth = truly_best(full, config)
            picks = {name: rule(small) for name, rule in rules.items()}
            counted += 1
            for name, pick in picks.items():
                hits[name] += pick == truth
            accs = ", ".join(f"{m['round']}: {100 * m['gold_accuracy']:.1f}" for m in full)
            print(f"| {run.name} | {small[0]['gold_n']} | {accs} | {truth} | " + " | ".join(str(p) for p in picks.values()) + " |")
        print()
        for name, n in hits.items():
            print(f"- {name}: picks the truly best round in {n} of {counted} runs")
        print()


if __name__ == "__main__":
    main()
