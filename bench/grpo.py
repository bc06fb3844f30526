"""GRPO rollouts: the student's batched engine (the toolkit's default, through TRL's ``rollout_func``)
against TRL's own generation, on the same prompts, model, seed and settings.

    .venv/bin/python bench/grpo.py                    # 16 prompts x 8 answers x 64 tokens, 4 optimizer steps each way
    .venv/bin/python bench/grpo.py --prompts 8 --steps 2 --tokens 32

Each way runs in its own process (a fresh copy of the default student, LoRA as a round trains it)
and reports seconds per optimizer step, the seconds spent generating (the rollout call, timed from
outside), new tokens per second while generating, and peak memory. Prints a table and writes
``bench/results/grpo-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(way: str, prompts: int, steps: int, tokens: int, generations: int) -> dict:
    """Train ``steps`` GRPO steps with ``way`` ("student" or "trl") generation; timings."""
    import random
    import tempfile

    from distill.curate.rows import rl_rows
    from distill.data.prompts import load_prompts
    from distill.eval.gold import EvalConfig
    from distill.model.resolve import load_model
    from distill.train import grpo
    from distill.train.config import TrainConfig
    from round import high_water_mb  # bench/round.py's peak-memory reader

    pool = [q for name in ("arithmetic", "facts", "yesno") for q in load_prompts(ROOT / "data" / "train" / f"{name}.jsonl")]
    questions = random.Random(0).sample(pool, prompts)
    model, tok = load_model("smollm2-135m-instruct")
    config = TrainConfig(objective="grpo", grpo={"max_steps": steps, "max_completion_length": tokens,
                                                  "num_generations": generations,
                                                  "per_device_train_batch_size": generations,
                                                  "gradient_accumulation_steps": 2})
    with tempfile.TemporaryDirectory() as tmp:
        trainer = grpo.build_trainer(model, tok, rl_rows(questions, EvalConfig().prompt_suffix), Path(tmp), config,
                                     quiet=True, trl_generation=way == "trl")
        spent = {"seconds": 0.0, "tokens": 0}
        # Timed from outside: the method both ways go through to get their completions.
        inner = trainer._generate_single_turn if way == "trl" else trainer.rollout_func

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            out = inner(*args, **kwargs)
            spent["seconds"] += time.perf_counter() - t0
            ids = out[0] if isinstance(out, tuple) else out["completion_ids"]
            spent["tokens"] += sum(len(c) for c in ids)
            return out

        if way == "trl":
            trainer._generate_single_turn = timed
        else:
            trainer.rollout_func = timed
        t0 = time.perf_counter()
        trainer.train()
        total = time.perf_counter() - t0
    rewards = [e["reward"] for e in trainer.state.log_history if "reward" in e and "train_runtime" not in e]
    return {"way": way, "steps": steps, "seconds_per_step": total / steps, "generate_seconds_per_step": spent["seconds"] / steps,
            "generate_tok_s": spent["tokens"] / spent["seconds"] if spent["seconds"] else 0.0,
            "completions_per_step": 2 * generations, "peak_mb": high_water_mb(), "reward": sum(rewards) / len(rewards)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--one", choices=("student", "trl"), help=argparse.SUPPRESS)  # the child process's job
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.one:
        print(json.dumps(one(args.one, args.prompts, args.steps, args.tokens, args.generations)))
        return
    rows = []
    for way in ("student", "trl"):
        out = subprocess.run([sys.executable, __file__, "--one", way, "--prompts", str(args.prompts), "--steps",
                              str(args.steps), "--tokens", str(args.tokens), "--generations", str(args.generations)],
                             capture_output=True, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])})
        if out.returncode != 0:
            raise SystemExit(f"{way}: {out.stderr[-2000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    from distill.model.precision import cpu_name

    print(f"GRPO rollouts, {cpu_name()}, {os.cpu_count()} cores: {args.prompts} prompts, {args.generations} answers "
          f"each, {args.tokens} new tokens at most, {args.steps} optimizer steps of {2 * args.generations} answers")
    print("| rollouts | s per optimizer step | of it generating | generation tok/s | peak RSS MB | mean reward |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        name = "student's batched engine (`rollout_func`, default)" if r["way"] == "student" else "TRL's own generation"
        print(f"| {name} | {r['seconds_per_step']:.1f} | {r['generate_seconds_per_step']:.1f} | {r['generate_tok_s']:.0f} "
              f"| {r['peak_mb']:.0f} | {r['reward']:.3f} |")
    out = ROOT / "bench" / "results" / f"grpo-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
