"""GRPO optimizer steps at the recipe's defaults: how the policy's rollouts are generated, and what
the steps are spent on, from the same prompts, model and seed.

    .venv/bin/python bench/grpo.py                          # the default (bf16 copy) against fp32 rollouts
    .venv/bin/python bench/grpo.py --ways bf16 fp32 autocast trl --steps 4
    .venv/bin/python bench/grpo.py --prompts 8 --steps 2 --tokens 32

Ways: ``default`` the code's own rollouts (today: the student's batched engine on a bf16 copy of
the policy, its adapter merged and refreshed each step, where the run computes in bf16), ``fp32``
the same engine on the fp32 policy, ``autocast`` the fp32 policy under bf16 autocast, ``trl`` TRL's
own generation. ``--code DIR`` measures another checkout of the toolkit (a ``git worktree`` of an
earlier commit: before and after from the same prompts and seed; only ``default`` and ``trl`` run
on code older than ``StudentRollout``). Training runs at the machine's precision (``precision: auto``) every way. Each way runs
in its own process and reports seconds per optimizer step, the seconds spent generating, new tokens
per second, the seconds of no-grad scoring (old log-probabilities, computed when rollouts run ahead of
the optimizer: ``steps_per_generation`` above ``gradient_accumulation_steps``), peak memory, mean
reward, the share of groups with one reward for all answers, of answers left out of the backward
pass (zero advantage or cut off) and of answers cut off at the length limit. With ``default`` and ``fp32`` in a bf16 run it also
measures how far the engine's log-probabilities of its own sampled tokens are from the trained
policy's (bf16 autocast over fp32 weights, as the loss computes them). Prints a table and writes
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
WAYS = ("default", "fp32", "autocast", "trl")


def logprob_gap(trainer, questions) -> dict:
    """Per-token log-probabilities of the rollout engine's own samples (the bf16 copy, or the fp32
    policy itself), under the engine's weights and under the trained policy (bf16 autocast, as the
    loss computes them): mean |difference| per token, and per answer the share whose probability
    ratio falls outside TRL's importance-sampling bounds (1/3, 3)."""
    import torch

    out = trainer.rollout_func([r["prompt"] for r in questions], trainer)
    policy = trainer.accelerator.unwrap_model(trainer.model)
    student = trainer.rollout_func.engine(trainer)
    diffs, outside = [], 0
    policy.eval()
    with torch.no_grad():
        for p_ids, c_ids in zip(out["prompt_ids"], out["completion_ids"]):
            if not c_ids:
                continue
            ids = torch.tensor([p_ids + c_ids])
            def logps(model, autocast: bool):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                    logits = model(input_ids=ids).logits[0, len(p_ids) - 1:-1].float()
                return torch.log_softmax(logits, -1).gather(1, torch.tensor(c_ids)[:, None])[:, 0]
            d = logps(student.infer_model, False) - logps(policy, True)
            diffs.append(d)
            outside += not (1 / 3 < float(d.sum().exp()) < 3)
    policy.train()
    every = torch.cat(diffs)
    return {"logp_mean_abs_diff": float(every.abs().mean()), "logp_max_abs_diff": float(every.abs().max()),
            "answers_outside_is_bounds": outside / len(diffs)}


def one(way: str, prompts: int, steps: int, tokens: int, generations: int, grpo_overrides: dict) -> dict:
    """Train ``steps`` GRPO steps with ``way`` rollouts; timings and what the steps saw."""
    import random
    import tempfile

    import torch

    from distill.curate.rows import rl_rows
    from distill.data.prompts import load_prompts
    from distill.eval.gold import EvalConfig
    from distill.model.precision import choose
    from distill.model.resolve import load_model
    from distill.train import grpo
    from distill.train.config import TrainConfig
    from round import high_water_mb  # bench/round.py's peak-memory reader

    precision = choose("auto").name
    pool = [q for name in ("arithmetic", "facts", "yesno") for q in load_prompts(ROOT / "data" / "train" / f"{name}.jsonl")]
    questions = random.Random(0).sample(pool, prompts)
    model, tok = load_model("smollm2-135m-instruct")
    config = TrainConfig(objective="grpo", grpo={"max_steps": steps, "max_completion_length": tokens,
                                                  "num_generations": generations,
                                                  "per_device_train_batch_size": generations,
                                                  "gradient_accumulation_steps": 2, **grpo_overrides})
    rows = rl_rows(questions, EvalConfig().prompt_suffix, grpo.prompts_per_step(config, prompts), 0)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = grpo.build_trainer(model, tok, rows, Path(tmp), config, quiet=True, precision=precision,
                                     trl_generation=way == "trl")
        if way in ("fp32", "autocast"):
            trainer.rollout_func = grpo.StudentRollout("fp32")
        spent = {"seconds": 0.0, "tokens": 0, "scoring": 0.0}
        # Timed from outside: the method every way goes through to get its completions.
        inner = trainer._generate_single_turn if way == "trl" else trainer.rollout_func

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=way == "autocast"):
                out = inner(*args, **kwargs)
            spent["seconds"] += time.perf_counter() - t0
            ids = out[0] if isinstance(out, tuple) else out["completion_ids"]
            spent["tokens"] += sum(len(c) for c in ids)
            return out

        scorer = trainer._get_per_token_logps_and_entropies

        def scored(*args, **kwargs):  # the no-grad passes: old log-probabilities when rollouts run ahead
            t0 = time.perf_counter()
            out = scorer(*args, **kwargs)
            if not torch.is_grad_enabled():
                spent["scoring"] += time.perf_counter() - t0
            return out

        trainer._get_per_token_logps_and_entropies = scored
        if way == "trl":
            trainer._generate_single_turn = timed
        else:
            trainer.rollout_func = timed
        t0 = time.perf_counter()
        trainer.train()
        total = time.perf_counter() - t0
        logs = [e for e in trainer.state.log_history if "reward" in e and "train_runtime" not in e]
        gap = {}
        if way in ("default", "fp32") and precision == "bf16" and hasattr(inner, "engine"):
            trainer.rollout_func = inner
            gap = logprob_gap(trainer, rows[:8])

    def mean(key: str, entries: list | None = None) -> float:
        entries = [e for e in (logs if entries is None else entries) if key in e]
        return sum(e[key] for e in entries) / len(entries) if entries else 0.0

    return {"way": way, "precision": precision, "steps": steps, "seconds_per_step": total / steps,
            "generate_seconds_per_step": spent["seconds"] / steps, "scoring_seconds_per_step": spent["scoring"] / steps,
            "answers_skipped": mean("answers_skipped", trainer.state.log_history),
            "generate_tok_s": spent["tokens"] / spent["seconds"] if spent["seconds"] else 0.0,
            "completions_per_step": 2 * generations, "peak_mb": high_water_mb(), "reward": mean("reward"),
            "zero_spread": mean("frac_reward_zero_std"), "clipped": mean("completions/clipped_ratio"),
            "rewards_per_step": [round(e["reward"], 3) for e in logs], **gap}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=128, help="max_completion_length (default: the recipe's, 128)")
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--ways", nargs="+", choices=WAYS, default=["default"])
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose distill/ is measured")
    ap.add_argument("--grpo", default="{}", help="JSON of GRPOConfig settings over the recipe's, e.g. "
                    "'{\"steps_per_generation\": 4}'")
    ap.add_argument("--one", choices=WAYS, help=argparse.SUPPRESS)  # the child process's job
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.one:
        print(json.dumps(one(args.one, args.prompts, args.steps, args.tokens, args.generations,
                             json.loads(args.grpo))))
        return
    rows = []
    for way in args.ways:
        out = subprocess.run([sys.executable, __file__, "--one", way, "--prompts", str(args.prompts), "--steps",
                              str(args.steps), "--tokens", str(args.tokens), "--generations", str(args.generations), "--grpo", args.grpo],
                             capture_output=True, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join([str(args.code.resolve()), str(ROOT / "bench")])})
        if out.returncode != 0:
            raise SystemExit(f"{way}: {out.stderr[-2000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    from distill.model.precision import cpu_name

    code = "" if args.code.resolve() == ROOT else f" ({args.code})"
    names = {"default": f"the code's default{code}",
             "fp32": "fp32 policy (before)", "autocast": "fp32 policy under bf16 autocast",
             "trl": "TRL's own generation"}
    print(f"GRPO steps, {cpu_name()}, {os.cpu_count()} cores, training in {rows[0]['precision']}: {args.prompts} "
          f"prompts, {args.generations} answers each, {args.tokens} new tokens at most, {args.steps} optimizer steps "
          f"of {2 * args.generations} answers, seed 0")
    print("| rollouts | s per optimizer step | of it generating | of it scoring old log-probs | generation tok/s "
          "| peak RSS MB | mean reward | groups with one reward | answers left out | answers cut off |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {names[r['way']]} | {r['seconds_per_step']:.1f} | {r['generate_seconds_per_step']:.1f} "
              f"| {r.get('scoring_seconds_per_step', 0.0):.1f} | {r['generate_tok_s']:.0f} | {r['peak_mb']:.0f} "
              f"| {r['reward']:.3f} | {r['zero_spread']:.2f} | {r.get('answers_skipped', 0.0):.2f} | {r['clipped']:.2f} |")
    for r in rows:
        if "logp_mean_abs_diff" in r:
            print(f"{names[r['way']]} vs the trained policy, log-probability of its own sampled tokens: mean |diff| "
                  f"{r['logp_mean_abs_diff']:.3f} per token (max {r['logp_max_abs_diff']:.2f}); answers whose "
                  f"probability ratio is outside TRL's importance-sampling bounds (1/3, 3): "
                  f"{r['answers_outside_is_bounds']:.0%}")
    out = ROOT / "bench" / "results" / f"grpo-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
