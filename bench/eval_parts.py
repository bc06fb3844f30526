"""Where a round's evaluation spends its time: each part the loop runs, timed alone on one round's
model of a run (round 0: the run's student), with the run's own config.

    .venv/bin/python bench/eval_parts.py RUN_DIR [--round N]

Parts: the gold eval sets split by how they are scored (generated answers, and the multiple-choice
sets read from likelihoods), the guard sets, the held-out loss, and the judge's critiques of
``approval_items`` answers (the self teacher without the reference, as the loop rates them). Prints
one table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from distill.config import RunConfig
from distill.data.evalsets import load_eval_set
from distill.data.instructions import load_instructions
from distill.data.principles import load_principles
from distill.eval.gold import evaluate
from distill.eval.heldout import answer_loss
from distill.loop.bootstrap import load_teacher, rate_answers
from distill.model.precision import choose
from distill.model.student import Student


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--round", type=int, default=0)
    args = ap.parse_args()
    cfg = RunConfig.load(args.run / "config.yaml")
    model = cfg.student if args.round == 0 else args.run / f"round-{args.round:02d}" / "model"
    student = Student(model, precision=choose(cfg.precision).name)
    sets = [load_eval_set(p) for p in cfg.eval_sets]
    rows = []
    parts = (("generated", [s for s in sets if s.format != "mc"]),
             ("likelihood (mc)", [s for s in sets if s.format == "mc"]))
    for kind, chosen in parts:
        result, seconds = timed(lambda: evaluate(student, chosen, cfg.eval))
        n = sum(v["n"] for v in result["sets"].values())
        rows.append((f"gold sets, {kind}: {', '.join(s.name for s in chosen)}", n, seconds))
        if kind == "generated":  # what the loop's judge rates (distill.eval.metrics.round_metrics)
            answers = [(r["question"], r["answer"]) for s in result["sets"].values() for r in s["items"]]
    guard = [load_eval_set(p) for p in cfg.guard_sets]
    if guard:
        result, seconds = timed(lambda: evaluate(student, guard, cfg.eval))
        rows.append(("guard sets", sum(v["n"] for v in result["sets"].values()), seconds))
    heldout = list(load_instructions(cfg.replay_heldout)) if cfg.replay_heldout else []
    if heldout:
        _, seconds = timed(lambda: answer_loss(student.model, student.tokenizer, heldout))
        rows.append(("held-out loss", len(heldout), seconds))
    stage = load_principles(cfg.principles)[0]
    judge = load_teacher(cfg.teacher, student, {})
    qs, ans = [q for q, _ in answers], [a for _, a in answers]
    _, seconds = timed(lambda: rate_answers(judge, stage, qs, ans, cfg.approval_items, cfg.critique))
    rows.append((f"judge's critiques ({judge.name}, {cfg.critique.max_new_tokens} tokens)",
                 min(cfg.approval_items, len(qs)), seconds))
    print(f"| {args.run} round {args.round}: part | items | seconds |\n|---|---|---|")
    for name, n, seconds in rows:
        print(f"| {name} | {n} | {seconds:.1f} |")
    print(f"| all | {sum(r[1] for r in rows)} | {sum(r[2] for r in rows):.1f} |")


if __name__ == "__main__":
    main()
