"""One real round of the loop in its own process: phase times and the process's peak memory.

Run by bench/run.py in a subprocess so that the peak resident memory is the round's own,
not the benchmark's. Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
import time
from dataclasses import replace

from distill.config import RunConfig
from distill.loop.bootstrap import run
from distill.loop.display import Display, PhaseClock


def high_water_mb() -> float | None:
    """Peak resident memory since the last call (Linux: VmHWM, then reset through clear_refs),
    so each phase gets its own peak; None where /proc does not allow it."""
    try:
        status = open("/proc/self/status").read()
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


class PhaseTimer(Display):
    """Attributes wall time between loop events to the phase that reported progress.

    The loop works in chunks (answer, critique, revise for 8 prompts, then the next 8), and
    reports each phase's progress right after its work, so the time since the previous event
    belongs to the phase that advances; time before a phase starts is set-up ("other")."""

    def __init__(self) -> None:
        self.clock = PhaseClock()  # the displays' own attribution, plus "other" for set-up
        self.seconds = self.clock.busy
        self.tokens: dict[str, int] = {}
        self.peak_mb: dict[str, float] = {}

    def _take(self, phase: str) -> None:
        self.clock.tick(phase)
        peak = high_water_mb()
        if peak is not None:
            self.peak_mb[phase] = max(self.peak_mb.get(phase, 0.0), peak)

    def phase_start(self, phase: str, total: int, unit: str = "items") -> None:
        self._take("other")

    def phase_advance(self, phase: str, done: int = 1, tokens: int = 0) -> None:
        self._take(phase)
        self.tokens[phase] = self.tokens.get(phase, 0) + tokens

    def phase_end(self, phase: str) -> None:
        self._take(phase)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=RunConfig.prompts_per_round)
    ap.add_argument("--eval-limit", type=int, default=None, help="items per eval set (default: the config's)")
    ap.add_argument("--chunk-size", type=int, default=RunConfig.chunk_size)
    ap.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-round-") as tmp:
        cfg = RunConfig(run_dir=f"{tmp}/run", rounds=1, prompts_per_round=args.prompts, chunk_size=args.chunk_size,
                        precision=args.precision)
        if args.eval_limit is not None:
            cfg.eval = replace(cfg.eval, limit=args.eval_limit)
            cfg.approval_items = min(cfg.approval_items, args.eval_limit)
        timer = PhaseTimer()
        t0 = time.perf_counter()
        run(cfg, timer)
        total = time.perf_counter() - t0
    timer._take("other")  # report writing after the last phase
    # The phases' own peaks when /proc allows resetting the high-water mark (which also resets
    # ru_maxrss); otherwise the process's peak.
    peak_mb = max(timer.peak_mb.values(), default=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps({"seconds": timer.seconds, "tokens": timer.tokens, "total": total, "peak_rss_mb": peak_mb, "phase_peak_rss_mb": timer.peak_mb,
                      "prompts": args.prompts, "chunk_size": args.chunk_size, "eval_limit": cfg.eval.limit}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
