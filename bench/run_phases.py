"""Minutes per phase of a finished (or running) run, read from its folder: each phase ends with a file
the loop writes when the phase is done, so the times are the gaps between them — collect (the
round's prompts chosen -> its preference pairs written), train (-> ``model/`` complete; with each
training step's own runtime from the log), evaluate (-> ``eval.json``). A run resumed after a stop
counts the time it was stopped in the phase it stopped in.

    .venv/bin/python bench/run_phases.py RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def mtime(path: Path) -> float | None:
    return path.stat().st_mtime if path.exists() else None


def phases(run: Path) -> list[dict]:
    """One row per round: minutes collecting, training (and per training step), evaluating."""
    rows = []
    start = mtime(run / "config.yaml")
    zero = mtime(run / "round-00" / "eval.json")
    if start and zero:
        rows.append({"round": 0, "evaluate": (zero - start) / 60})
    for round_dir in sorted(run.glob("round-[0-9]*"))[1:]:
        n = int(round_dir.name.split("-")[1])
        t0, t1 = mtime(round_dir / "prompts.json"), mtime(round_dir / "pairs.jsonl")
        t2 = mtime(round_dir / "model" / "config.json")
        t3 = mtime(round_dir / "eval.json")
        row = {"round": n}
        if t0 and t1:
            row["collect"] = (t1 - t0) / 60
        if t1 and t2:
            row["train"] = (t2 - t1) / 60
        if t2 and t3:
            row["evaluate"] = (t3 - t2) / 60
        log = round_dir / "train" / "log_history.json"
        if log.exists():
            entries = json.loads(log.read_text(encoding="utf-8"))["log_history"]
            row["steps"] = {e["objective"]: e["train_runtime"] / 60 for e in entries if "train_runtime" in e}
            row["optimizer steps"] = {e["objective"]: e["step"] for e in entries if "train_runtime" in e}
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    args = ap.parse_args()
    print("| run | round | collect | train (of it, per step) | evaluate | round |")
    print("|---|---|---|---|---|---|")
    for run in args.runs:
        for r in phases(run):
            each = ", ".join(f"{k} {v:.1f} ({r['optimizer steps'][k]} steps)" for k, v in r.get("steps", {}).items())
            total = sum(r.get(k, 0.0) for k in ("collect", "train", "evaluate"))
            cells = [f"{r[k]:.1f}" if k in r else "-" for k in ("collect", "train")]
            print(f"| {run.name} | {r['round']} | {cells[0]} | {cells[1]}{f' ({each})' if each else ''} | "
                  f"{r['evaluate']:.1f} | {total:.1f} |" if "evaluate" in r else
                  f"| {run.name} | {r['round']} | {cells[0]} | {cells[1]} | - | - |")


if __name__ == "__main__":
    main()
