"""Critics built different ways, measured on the same held-out answers: the ways a critic was tried
(verdict at once or reason first, more or fewer answers, answers from earlier runs) lined up.

Every critic judges the held-out answers of one critic folder (``recipes/train_the_critic.py``
part 1 or ``distill.critic.build``; its ``measure.json`` holds the untouched student and its own
critic on the same answers), so the rows compare. A critic built with other answers (``answer_runs``,
``per_format``) holds out the same prompts whole when it shares the folder's seed and
``heldout_share``: it never trained on these prompts::

    .venv/bin/python bench/critic_compare.py runs/critic/critic reason=runs/critic-reason/critic \\
        other=runs/other-critic/critic/model

Prints J and AUROC (95% intervals) over all answers, the student's greedy ones and per format, with
the minutes each critic took to judge; the verdicts of each critic judged here are kept in the
folder's ``compare.json``, so a critic is judged once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from distill.critic.build import MEASURE_SAMPLING, CriticConfig, greedy_indices, heldout_answers, measure_principle
from distill.critic.measure import judge, quality
from distill.model.student import Student
from teachers import load_teacher


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", help="a critic folder: its held-out answers are judged")
    p.add_argument("critics", nargs="*", metavar="NAME=MODEL",
                   help="critics to judge them: a critic folder's model/, or a measured critic folder built on the "
                        "same answers (its measure.json is read, nothing is judged again)")
    args = p.parse_args(argv)
    folder = Path(args.folder)
    if not (folder / "measure.json").is_file():
        print(f"error: {folder}/measure.json: not a measured critic folder", file=sys.stderr)
        return 2
    critics = dict(c.split("=", 1) for c in args.critics if "=" in c)
    if len(critics) != len(args.critics):
        print("error: name each critic as NAME=MODEL", file=sys.stderr)
        return 2
    config = CriticConfig.load(folder / "config.yaml")
    answers = heldout_answers(config, folder)
    greedy = greedy_indices(config, answers)
    principle = measure_principle(config)
    saved = folder / "compare.json"
    results = json.loads(saved.read_text()) if saved.is_file() else {}
    measured = json.loads((folder / "measure.json").read_text())["ways"]
    for name, m in measured.items():
        results.setdefault(name, {"verdicts": _verdicts(m), "minutes": None})
    student = None
    for name, model in critics.items():
        if name in results and results[name].get("model") == model:
            continue
        built = Path(model) / "measure.json"
        if built.is_file() and _same(heldout_answers(CriticConfig.load(Path(model) / "config.yaml"), model), answers):
            results[name] = {"model": model, "verdicts": _verdicts(json.loads(built.read_text())["ways"]["critic"]),
                             "minutes": None}
            continue
        student = student or Student(config.student, precision=config.precision)
        teacher = load_teacher(f"critic:{model}", student=student)
        t0 = time.time()
        verdicts = judge(teacher, answers, principle, MEASURE_SAMPLING)
        results[name] = {"model": model, "verdicts": verdicts, "minutes": (time.time() - t0) / 60}
        saved.write_text(json.dumps(results))
    formats = sorted({a["format"] for a in answers})
    table = Table(title=f"{len(answers)} held-out answers of {folder} "
                        f"({sum(a['right'] for a in answers)} right): J / AUROC (95% CI)")
    for column in ("critic", "all", f"greedy ({len(greedy)})", *formats, "minutes"):
        table.add_column(column)
    for name, r in results.items():
        v = r["verdicts"]
        q = quality(answers, v)
        g = quality([answers[i] for i in greedy], [v[i] for i in greedy])
        table.add_row(name, cell(q["all"]), cell(g["all"]), *(cell(q["formats"][f]) for f in formats),
                      "-" if r["minutes"] is None else f"{r['minutes']:.1f}")
    Console(width=250).print(table)
    return 0


def _verdicts(way: dict) -> list[dict]:
    """A measure.json way's verdicts in :func:`distill.critic.measure.judge`'s shape."""
    return [{"approved": a, "confidence": c} for a, c in zip(way["approved"], way["confidence"])]


def _same(a: list[dict], b: list[dict]) -> bool:
    return [(x["prompt"], x["answer"]) for x in a] == [(x["prompt"], x["answer"]) for x in b]


def cell(q: dict | None) -> str:
    if q is None:
        return "-"
    (lo, hi), (alo, ahi) = q["j_ci95"], q["auroc_ci95"]
    return f"{q['j']:+.2f} ({lo:+.2f} to {hi:+.2f}) / {q['auroc']:.2f} ({alo:.2f}-{ahi:.2f})"


if __name__ == "__main__":
    sys.exit(main())
