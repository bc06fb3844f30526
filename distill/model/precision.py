"""Which precision a run computes in — fp32 or bf16 — decided from what this machine does.

``precision: auto`` picks bf16 on a GPU with native bf16 and on a CPU whose bf16 matrix multiply
is clearly faster than its fp32 one; fp32 everywhere else. On a CPU the answer comes from a short
probe (a few hundred milliseconds: the same matmul in both precisions, the shapes of a small
model's projections), cached per machine in the model cache, because CPUs differ: one with native
bf16 (AVX512-BF16, AMX) runs it several times faster, one without emulates it far slower.

bf16 is used for generation and likelihood scoring (a bf16 copy of the weights beside the fp32
ones) and for training (autocast, with fp32 weights, LoRA adapters and optimizer state), so the
merged model saved each round stays fp32 and keeps small LoRA deltas. A run records its choice
in the manifest and keeps it on resume: every round is scored in the same precision.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass

from distill.errors import ConfigError

PRECISIONS = ("auto", "fp32", "bf16")
MIN_SPEEDUP = 1.3  # bf16 must beat fp32 by this much to be chosen (a precision change is not free)


@dataclass(frozen=True)
class Choice:
    """The precision chosen and why, as the run prints it and the manifest keeps it."""

    name: str  # "fp32" | "bf16"
    reason: str


def bf16_native() -> bool:
    """Whether this machine has bf16 in hardware (a GPU that reports it; a CPU oneDNN runs bf16 on)."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def cpu_name() -> str:
    """This CPU's model name (for the probe's cache key and the bench's tables)."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def probe() -> dict:
    """fp32 and bf16 matmul speed on this CPU (GFLOP/s), measured once per machine and cached."""
    import torch

    from distill.model.resolve import cache_root

    key = f"{cpu_name()} | {torch.backends.cpu.get_cpu_capability()} | torch {torch.__version__} | {torch.get_num_threads()} threads"
    path = cache_root() / "precision-probe.json"
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    if key in cached:
        return cached[key]
    a, b = torch.randn(256, 576), torch.randn(576, 1536)
    result = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        x, y = a.to(dtype), b.to(dtype)
        for _ in range(3):
            x @ y
        reps, t0 = 20, time.perf_counter()
        for _ in range(reps):
            x @ y
        result[name] = 2 * 256 * 576 * 1536 * reps / (time.perf_counter() - t0) / 1e9
    from distill.store.atomic import write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {**cached, key: result})
    return result


def choose(setting: str) -> Choice:
    """The precision for ``setting`` (auto, fp32, bf16) on this machine."""
    import torch

    if setting not in PRECISIONS:
        raise ConfigError(f"precision: {setting!r} is not one of {', '.join(PRECISIONS)}")
    if setting == "fp32":
        return Choice("fp32", "asked for")
    native = bf16_native()
    if setting == "bf16":
        if not native:
            raise ConfigError("precision: bf16 — this machine has no native bf16 (no GPU that supports it, and "
                                 "a CPU without bf16 instructions, where it runs many times slower); use fp32 or auto")
        return Choice("bf16", "asked for")
    if torch.cuda.is_available():
        return Choice("bf16", "a GPU with native bf16") if native else Choice("fp32", "a GPU without bf16")
    if not native:
        return Choice("fp32", "this CPU has no bf16 instructions")
    speed = probe()
    ratio = speed["bf16"] / speed["fp32"]
    why = f"bf16 matmul {ratio:.1f}x fp32 on this CPU ({speed['bf16']:.0f} vs {speed['fp32']:.0f} GFLOP/s)"
    return Choice("bf16", why) if ratio >= MIN_SPEEDUP else Choice("fp32", why)
