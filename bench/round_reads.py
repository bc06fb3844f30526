"""How often a round reads its own folder: one round of the loop on a tiny model, every file opened
for reading under ``round-NN/`` counted by name (the disk should be read only to resume; a round's
results pass from collect to train to evaluate in memory).

    .venv/bin/python bench/round_reads.py [--objective sft|grpo|...]

Prints a table: file, reads during round 1 (round 0's evaluation and the run's set-up not counted).
"""

from __future__ import annotations

import argparse
import builtins
import collections
import io
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kill_sweep import tiny_student  # noqa: E402  (bench/ is the script's own folder)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objective", default="sft")
    args = ap.parse_args()
    from distill.callbacks import LoopCallback
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    counts: collections.Counter = collections.Counter()
    state = {"round_dir": None}
    real_open, real_io_open = builtins.open, io.open

    def note(path, mode: str = "r") -> None:
        where = state["round_dir"]
        # a file that is there, opened for reading only (Path.read_text and read_bytes open through io.open)
        if where is not None and "r" in mode and "+" not in mode and str(path).startswith(where) and Path(path).is_file():
            counts[str(path)[len(where) + 1:]] += 1

    def counting_open(file, mode="r", *a, **k):
        note(file, mode)
        return real_open(file, mode, *a, **k)

    class Rounds(LoopCallback):
        def round_start(self, round_number, stage):
            state["round_dir"] = str(Path(cfg.run_dir) / f"round-{round_number:02d}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        heldout = tmp / "heldout.jsonl"
        heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:3]))
        cfg = RunConfig.from_data({
            "run_dir": str(tmp / "run"), "student": str(tiny_student(tmp / "tiny")), "teacher": "arithmetic",
            "rounds": 1, "prompts_per_round": 6, "chunk_size": 2, "approval_items": 2, "replay_heldout": str(heldout),
            "prompts": str(ROOT / "data" / "train" / "arithmetic.jsonl"), "seed": 0,
            "eval": {"limit": 2, "max_new_tokens": 8}, "answer": {"max_new_tokens": 8},
            "critique": {"max_new_tokens": 8}, "revision": {"max_new_tokens": 8},
            "train": {"objective": args.objective, "sft": {"max_steps": 1}, "dpo": {"max_steps": 1},
                      "grpo": {"max_steps": 1, "max_completion_length": 8}}})
        builtins.open, io.open = counting_open, counting_open
        try:
            run(cfg, callbacks=[Rounds()])
        finally:
            builtins.open, io.open = real_open, real_io_open
    print(f"| reads of round-01/ during round 1 ({args.objective}) | count |")
    print("|---|---|")
    for name, n in sorted(counts.items()):
        print(f"| {name} | {n} |")
    print(f"| **all** | **{sum(counts.values())}** |")
    print(json.dumps(dict(counts)), file=sys.stderr)


if __name__ == "__main__":
    main()
