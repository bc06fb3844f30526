"""Train the critic, then rely on it. The method needs a student that finds its own faults; at 135M
it cannot (its verdict approves wrong answers as often as right ones). The reference check knows
which answers are wrong, so it can teach the critic:

1. RUN_DIR/critic: the grounded teacher on prompts with references (data/train/); each round's SFT
   data mixes in critic examples at train.critic_share (default here 0.3): critiques of the
   student's checked answers ending in the verdict the check gave, balanced between FAULT and NO
   FAULT, and corrections of the wrong ones (distill/curate/critic.py).
2. RUN_DIR/self: the self teacher on prompts without references (data/prompts.jsonl), from the
   first run's last trained round: the trained critic finds the faults and writes the corrections.

Each round measures whether the judge tells right from wrong on the eval answers (Youden's J, in
each report's "Can the judge tell right from wrong?"); RUN_DIR/comparison.md puts J beside gold
accuracy for both runs. Running it again resumes both. To compare with an untrained critic, run
recipes/self_bootstrap.py with the same --seed and prompts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from distill.data.paths import DATA_DIR
from distill.eval.metrics import j_text
from distill.ui.entry import guarded, make_display
from distill.ui.recipe import POWERED, build_config, parser

TRAIN_FILES = [str(p) for p in sorted((DATA_DIR / "train").glob("*.jsonl"))]


def table(runs: dict) -> list[str]:
    """One row per run and round: gold accuracy, the judge's J with its interval, approval."""
    lines = ["| run | round | gold accuracy | judge approves right / wrong | J (95% CI) | tells right from wrong | approval |",
             "|---|---|---|---|---|---|---|"]
    for name, manifest in runs.items():
        for m in manifest.history:
            q = m.get("judge")
            judged = "-" if q is None else f"{q['approve_right']:.1%} / {q['approve_wrong']:.1%}"
            j = "-" if q is None else j_text(q)
            tells = "-" if q is None else ("yes" if q["tells"] else "no")
            approval = "-" if m.get("approval_rate") is None else f"{m['approval_rate']:.1%}"
            lines.append(f"| {name} | {m['round']} | {m['gold_accuracy']:.1%} | {judged} | {j} | {tells} | {approval} |")
    return lines


def main() -> int:
    ap = parser(__doc__, run_dir="runs/train-the-critic", teacher="grounded:self", prompts=TRAIN_FILES,
                **{"train.critic_share": 0.3, "rounds": 2, **POWERED})
    ap.add_argument("--critic-share", type=float, help="share of each round's SFT rows that teach the critic (default: 0.3)")
    ap.add_argument("--self-rounds", type=int, default=2, help="rounds of self-bootstrap after (default: 2)")
    ap.add_argument("--self-prompts", default=str(DATA_DIR / "prompts.jsonl"),
                    help="prompts without references for the self-bootstrap (default: data/prompts.jsonl)")
    args = ap.parse_args()

    def go() -> int:
        from distill.loop.bootstrap import run

        display = make_display(quiet=args.quiet, plain=args.plain)
        base = Path(build_config(args).run_dir)
        critic = build_config(args, run_dir=str(base / "critic"), **{"train.critic_share": args.critic_share})
        runs = {"critic": run(critic, display)}
        last = runs["critic"].rounds[-1].model if runs["critic"].rounds else critic.student
        after = build_config(args, run_dir=str(base / "self"), teacher="self", student=str(last), prompts=args.self_prompts,
                             rounds=args.self_rounds, **{"train.critic_share": 0.0})
        runs["self"] = run(after, display)
        lines = ["# Train the critic, then rely on it", "", *table(runs), ""]
        for name, manifest in runs.items():
            lines.append(f"- {name}: {manifest.reason} ({base / name / 'report.md'})")
        (base / "comparison.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if not args.quiet:
            print("\n".join(lines))
        return 0

    return guarded(Path(sys.argv[0]).name, go, debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
