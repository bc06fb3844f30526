"""Where a batched decode step's time goes: ``Student.generate`` on the default model (64 prompts of
``data/prompts.jsonl`` x 64 new tokens, greedy, as ``make bench``'s generation table), profiled by
torch's profiler (each op's own CPU time, per decode step), beside the floor of the same step's
matrix multiplications alone (the model's linear layers and its head at the batch's rows, timed
bare). Prints two tables and writes ``bench/results/decode-profile-<time>.json``.

    .venv/bin/python bench/decode_profile.py
    .venv/bin/python bench/decode_profile.py --precision fp32 --prompts 32
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import load_avg, prompts, table  # noqa: E402


def linear_floor(model, rows: int, repeats: int = 5) -> float:
    """Seconds of one decode step's matrix multiplications alone (every linear layer and the head,
    at ``rows`` rows, in the model's dtype), timed bare: what a step costs with no other op."""
    import torch

    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    xs = {m.in_features: torch.randn(rows, m.in_features, dtype=m.weight.dtype) for m in linears}
    with torch.inference_mode():
        for _ in range(2):
            for m in linears:
                torch.nn.functional.linear(xs[m.in_features], m.weight)
        t0 = time.perf_counter()
        for _ in range(repeats):
            for m in linears:
                torch.nn.functional.linear(xs[m.in_features], m.weight)
    return (time.perf_counter() - t0) / repeats


def main() -> None:
    import torch
    from torch.profiler import ProfilerActivity, profile

    from distill.core import SamplingConfig
    from distill.model.student import Student

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--precision", default="bf16", help="bf16 (default), fp32 or auto")
    ap.add_argument("--top", type=int, default=12, help="ops listed by their own time")
    args = ap.parse_args()

    student = Student("smollm2-135m-instruct", precision=args.precision)
    ids = [student.encode(c) for c in prompts(args.prompts)]
    cfg = SamplingConfig(max_new_tokens=args.new_tokens, batch_size=len(ids))
    student.generate_ids(ids[:2], SamplingConfig(max_new_tokens=4))  # warm-up (the bf16 copy is made here)
    t0 = time.perf_counter()
    plain = student.generate_ids(ids, cfg)
    seconds = time.perf_counter() - t0
    tokens = sum(len(x) for x in plain.ids)
    steps = max(len(x) for x in plain.ids)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        student.generate_ids(ids, cfg)
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in ops) / 1e6
    rows = [[e.key, e.count // steps, e.self_cpu_time_total / 1e3 / steps, 100 * e.self_cpu_time_total / 1e6 / total]
            for e in ops[: args.top]]
    rest = total - sum(r[2] for r in rows) * steps / 1e3
    rows.append(["(all other ops)", "", rest * 1e3 / steps, 100 * rest / total])
    rows.append(["total (profiled)", "", total * 1e3 / steps, 100.0])
    floor = linear_floor(student.infer_model, len(ids))
    step_ms = seconds * 1e3 / steps
    table(f"Decode profile: {len(ids)} prompts x {args.new_tokens} new tokens, greedy, {args.precision}, "
          f"{torch.get_num_threads()} threads", ["op", "calls / step", "ms / step (own time)", "%"], rows,
          f"unprofiled: {tokens} tokens in {seconds:.2f} s = {tokens / seconds:.0f} tok/s, {step_ms:.1f} ms a step "
          f"({steps} steps; prefill included); the profiler's own overhead inflates the total")
    table("The floor: one step's matrix multiplications alone", ["part", "ms / step", "x floor"],
          [["linear layers + head, bare, at the batch's rows", floor * 1e3, 1.0],
           ["the engine's whole decode step", step_ms, step_ms / (floor * 1e3)]])
    out = {"machine": load_avg(), "tokens": tokens, "seconds": seconds, "steps": steps, "tok_s": tokens / seconds,
           "step_ms": step_ms, "linear_floor_ms": floor * 1e3, "precision": args.precision,
           "ops": [{"op": r[0], "calls_per_step": r[1], "ms_per_step": r[2], "share": r[3]} for r in rows]}
    path = ROOT / "bench" / "results" / f"decode-profile-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
