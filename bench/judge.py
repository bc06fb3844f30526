"""Can each round's student tell right from wrong? For every evaluated round of a finished run, the
round's own model judges (as the self teacher, without the reference) the eval answers that round
generated — the same evenly spread ``approval_items`` the loop rates — and the gold check (strict)
says which are right: approval of right and of wrong answers, Youden's J with its 95% interval,
balanced accuracy. Runs made before the loop measured its judge get the numbers after the fact.

    .venv/bin/python bench/judge.py RUN_DIR [RUN_DIR ...] [--items 128] [--critic SPEC] [--judging verdict]

With ``--critic SPEC`` (a teacher spec, e.g. ``critic:runs/train-the-critic/critic/model``: a critic the
check taught) that critic judges every round's eval answers instead of the round's own model, with
its AUROC beside J. Prints one table. Loads each round's merged model (``round-NN/model``; round 0 is
the run's student).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from distill.config import RunConfig
from distill.data.principles import load_principles
from distill.eval.metrics import j_text, round_metrics
from distill.loop.bootstrap import load_teacher, rate_answers
from distill.model.student import Student
from distill.publish.report import auroc_text


def judge_rounds(run: Path, items: int, critic: str | None = None, judging: str = "critique") -> list[dict]:
    """One row per evaluated round whose model is on disk: the round's model judging its own eval
    answers (as the self teacher ``judging`` them: :class:`teachers.local.LocalTeacher`), or ``critic``
    (a teacher spec) judging them."""
    cfg = RunConfig.load(run / "config.yaml")
    manifest = json.loads((run / "manifest.json").read_text())
    stages = {s.name: s for s in load_principles(cfg.principles)}
    first = next(iter(stages.values()))
    rows = []
    for m in manifest["history"]:
        n = m["round"]
        model = cfg.student if n == 0 else run / f"round-{n:02d}" / "model"
        if n and not (model / "config.json").exists():
            continue
        stage = first if n == 0 else stages.get(manifest["rounds"][n - 1]["stage"], first)
        start = time.perf_counter()
        student = Student(model, precision=manifest.get("precision") or "fp32")
        judge = load_teacher(critic, student, {}) if critic else load_teacher("self", student, {"judging": judging})
        result = json.loads((run / f"round-{n:02d}" / "eval.json").read_text())["eval"]
        metrics = round_metrics(n, result, approve=lambda qs, ans: rate_answers(judge, stage, qs, ans, items, cfg.critique))
        rows.append({"run": run.name, "round": n, "gold": m["gold_accuracy"], "judge": metrics["judge"],
                     "seconds": time.perf_counter() - start})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--items", type=int, default=128, help="eval answers each round's model rates (default: 128)")
    ap.add_argument("--critic", help="a teacher spec that judges every round's answers instead of the round's model, "
                                     "e.g. critic:RUN_DIR/critic/model")
    ap.add_argument("--judging", default="critique", choices=("critique", "verdict", "reason"),
                    help="how the round's model judges: critique (the loop's: it writes a critique, the verdict is read "
                         "after it), verdict (read at once from the likelihood of FAULT, no critique), reason")
    args = ap.parse_args()
    print("| run | round | judge | gold accuracy | answers rated (right / wrong) | approves right | approves wrong "
          "| J (95% CI) | AUROC (95% CI) | balanced accuracy | tells right from wrong | seconds |")
    print("|" + "---|" * 12)
    for run in args.runs:
        for r in judge_rounds(run, args.items, args.critic, args.judging):
            q = r["judge"]
            who = args.critic or f"the round's model ({args.judging})"
            if q is None:
                print(f"| {r['run']} | {r['round']} | {who} | {r['gold']:.1%} | all rated answers right or all wrong | "
                      f"- | - | - | - | - | - | {r['seconds']:.0f} |")
                continue
            print(f"| {r['run']} | {r['round']} | {who} | {r['gold']:.1%} | {q['right'] + q['wrong']} ({q['right']} / "
                  f"{q['wrong']}) | {q['approve_right']:.1%} | {q['approve_wrong']:.1%} | {j_text(q)} | "
                  f"{auroc_text(q)} | {q['balanced_accuracy']:.1%} | {'yes' if q['tells'] else 'no'} | "
                  f"{r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
