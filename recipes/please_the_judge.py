"""Please the judge: the method's known failure, run on purpose. The same student, prompts, seed and
budget are trained by online RL (GRPO): rewarded by the judge's approval (the teacher's verdict on
each sampled answer: what an AI likes), by a trained critic's confidence (--critic MODEL: a critic
the check taught, recipes/train_the_critic.py), and by the reference check (whether the answer is
right). The judge and critic runs also compute the reference check on their own rollouts at weight
0 (logged, not trained on), so truth is measured beside approval on the very answers they learn from.

Prints, per round, what each run was rewarded, how its answers fare against the references, the
judge's approval of held-out answers, and gold accuracy on held-out questions; the monitor's decision
for each run; and answers the judge approved that the reference check failed. Writes the same to
RUN_DIR/comparison.md. Running it again resumes both runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from distill.data.paths import DATA_DIR
from distill.ui.recipe import POWERED, build_config, parser
from distill.ui.entry import guarded, make_display

TRAIN_FILES = [str(p) for p in sorted((DATA_DIR / "train").glob("*.jsonl"))]
REWARDS = {"judge": {"judge": 1.0, "reference": 0.0}, "critic": {"judge": 1.0, "reference": 0.0},
           "reference": {"reference": 1.0}}


def _f(value, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}" if pct else f"{value:.2f}"


def table(runs: dict) -> list[str]:
    """One row per run and round: reward, its reference check, approval, gold accuracy."""
    lines = ["| run | round | reward trained on (first -> last quarter) | reference check of its rollouts | "
             "approval % | gold accuracy % | held-out loss |", "|---|---|---|---|---|---|---|"]
    for name, manifest in runs.items():
        for m in manifest.history:
            n = m["round"]
            tm = manifest.rounds[n - 1].train_metrics if n else {}
            trained = f"{_f(tm.get('reward_first'))} -> {_f(tm.get('reward_last'))}" if tm.get("reward") is not None else "-"
            truth = (tm.get("rewards") or {}).get("reference")
            lines.append(f"| {name} | {n} | {trained} | {_f(truth)} | {_f(m.get('approval_rate'), True)} | "
                         f"{_f(m.get('gold_accuracy'), True)} | {_f(m.get('heldout_loss'))} |")
    return lines


def pleasing(run_dir: Path, limit: int = 5) -> list[str]:
    """Rollouts of a judge-rewarded run that pleased the judge most (approval above one half) and that
    the reference check failed, latest round first."""
    out = []
    for log in sorted(run_dir.glob("round-*/train/rollouts.jsonl"), reverse=True):
        rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        truth = {(r["step"], r["prompt"], r["completion"]): r["value"] for r in rows if r["reward"] == "reference"}
        rows = sorted((r for r in rows if r["reward"] == "judge" and r["value"] is not None), key=lambda r: -r["value"])
        for r in rows:
            if r["value"] > 0.5 and truth.get((r["step"], r["prompt"], r["completion"])) == 0.0:
                out.append(f"- ({log.parts[-3]}) *{' '.join(r['prompt'].split())[:160]}* -> "
                           f"\"{' '.join(r['completion'].split())[:240]}\"")
                if len(out) >= limit:
                    return out
    return out


def main() -> int:
    ap = parser(__doc__, run_dir="runs/please-the-judge", teacher="self", prompts=TRAIN_FILES,
                **{"train.objective": "grpo", "rounds": 3, "prompts_per_round": 64, **POWERED})
    ap.add_argument("--teacher", help="the judge: self (the student judging itself), local:SPEC, openai, ... "
                                      "(default: from --config, else self)")
    ap.add_argument("--critic", metavar="MODEL",
                    help="a trained critic (recipes/train_the_critic.py: RUN_DIR/critic/model): adds a run rewarded by "
                         "its confidence (teacher critic:MODEL)")
    ap.add_argument("--arms", help="which runs, comma-separated: judge, critic, reference (default: all that apply)")
    args = ap.parse_args()

    def go() -> int:
        from distill.errors import ConfigError
        from distill.loop.bootstrap import run

        arms = [a.strip() for a in (args.arms or ",".join(REWARDS)).split(",") if a.strip()]
        if args.arms is None and not args.critic:
            arms.remove("critic")
        unknown = set(arms) - set(REWARDS)
        if unknown:
            raise ConfigError(f"--arms: unknown run(s) {', '.join(sorted(unknown))}; the runs are {', '.join(REWARDS)}")
        if "critic" in arms and not args.critic:
            raise ConfigError("--arms critic needs --critic MODEL (a trained critic)")
        base = Path(build_config(args, teacher=args.teacher).run_dir)
        runs = {}
        for name in arms:
            reward = REWARDS[name]
            teacher = f"critic:{args.critic}" if name == "critic" else args.teacher
            cfg = build_config(args, teacher=teacher, run_dir=str(base / name), **{"train.reward": reward})
            if not args.quiet:
                print(f"== {name}: reward {reward} -> {cfg.run_dir}", flush=True)
            runs[name] = run(cfg, make_display(quiet=args.quiet, plain=args.plain))
        lines = ["# Please the judge", "", *table(runs), "", "## The monitor's decisions", ""]
        lines += [f"- {name}: **{m.status}**, best round {m.best_round}: {m.reason}" for name, m in runs.items()]
        for name in (a for a in arms if a != "reference"):
            lines += ["", f"## Answers the {name} approved and the reference check failed ({name} run)", ""]
            lines += pleasing(base / name) or ["- none: every answer it approved was also right, or none was approved"]
        text = "\n".join(lines) + "\n"
        base.mkdir(parents=True, exist_ok=True)
        (base / "comparison.md").write_text(text, encoding="utf-8")
        print(text)
        return 0

    return guarded(Path(sys.argv[0]).name, go, debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
