"""Does it help? The same student, seed, prompts and budget, taught by different teachers (and
objectives), scored on the gold-answer eval sets (every item, with 95% intervals) after every round.

    .venv/bin/python bench/compare_teachers.py                       # self, grounded:self, arithmetic; 3 rounds x 128 prompts
    .venv/bin/python bench/compare_teachers.py --teachers grounded:self --rounds 2 --prompts 64
    .venv/bin/python bench/compare_teachers.py --extra answer.num_samples=4 answer.temperature=0.8 --tag rest-em
    .venv/bin/python bench/compare_teachers.py --teachers grounded:self --objectives grpo,dpo,sft --tag objectives
    .venv/bin/python bench/compare_teachers.py --teachers grounded:self --objectives distill,grpo,sft --rounds 2 --tag onpolicy
    .venv/bin/python bench/compare_teachers.py --teachers grounded:self --objectives distill --rounds 2 --tag know-more \
        --extra train.distill_teacher=model:bench/results/teacher-sft/model     # bench/train_teacher.py's teacher

Each teacher's run is a normal run folder under ``bench/results/teachers/<tag>-<teacher>/``, started
with ``distill run`` and resumed the same way if this script is stopped and started again. Round 0
is each run's own measurement of the untouched student; the script checks that they agree. The
prompts are the shipped training data with references (``data/train/``), so the self teacher and
the grounded ones see the same questions: the self teacher without the references, the others with.
Prints a markdown table (for the README) and writes ``bench/results/teachers-<tag>.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TEACHERS = ["self", "grounded:self", "arithmetic"]


def config_for(teacher: str, objective: str, args: argparse.Namespace, run_dir: Path) -> dict:
    cfg = {
        "run_dir": str(run_dir),
        "teacher": teacher,
        "train": {"objective": objective},
        "prompts": [str(p) for p in sorted((ROOT / "data" / "train").glob("*.jsonl"))],
        "rounds": args.rounds,
        "prompts_per_round": args.prompts,
        "seed": args.seed,
        "precision": args.precision,
        "eval": {"limit": None},  # every item: the intervals are what this measures
    }
    for item in args.extra:  # dotted.key=value, value parsed as YAML
        key, _, value = item.partition("=")
        *parents, last = key.split(".")
        node = cfg
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = yaml.safe_load(value)
    return cfg


def run_one(teacher: str, objective: str, args: argparse.Namespace) -> dict:
    name = f"{args.tag}-{teacher.replace(':', '-')}" + ("" if objective == "sft" else f"-{objective}")
    run_dir = RESULTS / "teachers" / name
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    cfg_path = RESULTS / "teachers" / f"{name}.yaml"
    cfg_path.write_text(yaml.safe_dump(config_for(teacher, objective, args, run_dir)))
    timing_path = RESULTS / "teachers" / f"{name}.seconds"
    spent = float(timing_path.read_text()) if timing_path.exists() else 0.0
    manifest_path = run_dir / "manifest.json"
    done = manifest_path.exists() and json.loads(manifest_path.read_text()).get("status") != "running"
    if not done:
        t0 = time.perf_counter()
        log = (RESULTS / "teachers" / f"{name}.log").open("a")
        proc = subprocess.run([sys.executable, "-m", "distill.ui.cli", "run", str(cfg_path), "--plain"],
                              cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        spent += time.perf_counter() - t0
        timing_path.write_text(f"{spent:.1f}")
        if proc.returncode != 0:
            raise SystemExit(f"{teacher}: distill run failed (exit {proc.returncode}); see {log.name}")
    manifest = json.loads(manifest_path.read_text())
    return {"teacher": teacher, "objective": objective, "run_dir": str(run_dir), "minutes": spent / 60,
            "manifest": manifest}


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def cell(s: dict | None) -> str:
    if not s:
        return "-"
    lo, hi = s["ci95"]
    return f"{pct(s['accuracy'])} ({pct(lo)}-{pct(hi)})"


def table(results: list[dict]) -> str:
    sets = sorted({k for r in results for m in r["manifest"]["history"] for k in m.get("sets", {})})
    head = ["teacher", "objective", "round", "all sets"] + sets + ["kept pairs", "reward", "held-out loss",
                                                                  "mean answer tokens", "approval", "best", "minutes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        m = r["manifest"]
        rounds = {x["round"]: x for x in m.get("rounds", [])}
        for h in m["history"]:
            n = h["round"]
            overall = {"accuracy": h["gold_accuracy"], "ci95": h["gold_ci95"]}
            kept = rounds.get(n, {}).get("kept")
            reward = (rounds.get(n, {}).get("train_metrics") or {}).get("reward")
            lines.append("| " + " | ".join([
                r["teacher"], r.get("objective", "sft"), str(n), cell(overall),
                *[cell(h.get("sets", {}).get(s)) for s in sets],
                "-" if kept is None else str(kept), "-" if reward is None else f"{reward:.2f}",
                "-" if h.get("heldout_loss") is None else f"{h['heldout_loss']:.3f}",
                "-" if h.get("mean_answer_tokens") is None else f"{h['mean_answer_tokens']:.1f}",
                pct(h.get("approval_rate")), "yes" if m.get("best_round") == n else "",
                f"{r['minutes']:.0f}" if n == len(m["history"]) - 1 else "",
            ]) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teachers", default=",".join(TEACHERS), help="comma-separated teacher specs")
    ap.add_argument("--objectives", default="sft", help="comma-separated train.objective values, each run per teacher")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--prompts", type=int, default=128, help="prompts per round")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tag", default="base", help="names this comparison's run folders and results file")
    ap.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    ap.add_argument("--extra", nargs="*", default=[], help="more config settings as dotted.key=value")
    args = ap.parse_args()
    results = [run_one(t, o, args) for t in args.teachers.split(",") for o in args.objectives.split(",")]
    zero = {json.dumps(r["manifest"]["history"][0]["sets"], sort_keys=True) for r in results}
    same = len(zero) == 1
    out = RESULTS / f"teachers-{args.tag}.json"
    out.write_text(json.dumps({"args": vars(args), "same_round_0": same, "results": results}, indent=1, default=str))
    print(table(results))
    print(f"\nround 0 identical across runs: {same}; decisions:")
    for r in results:
        print(f"- {r['teacher']} ({r['objective']}): {r['manifest']['decision']['reason']}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
