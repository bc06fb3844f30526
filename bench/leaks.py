"""Leaked instruction text and markup in what a run trained on, counted by plain markers that do not
come from the target review's own check (so the review is not grading itself): per round, among the
texts that would have been trained on without the review (the revision, or the verified answer) and
among the kept targets. Prints a table and a few kept targets to read by eye.

    .venv/bin/python bench/leaks.py RUN_DIR [RUN_DIR ...] [--show 3]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from distill.store.jsonl import read_records
from distill.store.records import Sample

# what the teacher's templates and the data files put around an answer (distill/data/prompts.py,
# data/principles.yaml, GSM8K's final-answer marker), as a reader would grep for it; a superset of
# the expression issue 24 counted leaks with
MARKERS = re.compile(r"####|VERDICT|Reference answer|trusted to be correct|Critique|Critic|Revision|Rewrite the"
                     r"|Request:|Answer:|Task:|answer is incorrect|the assistant's|the answer above|principle", re.I)


def before_review(s: Sample) -> str | None:
    """What the sample would have trained on with no target review."""
    if s.answer_passed:
        return s.answer
    return s.revision if s.revision_passed or (s.revision and s.check is None) else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--show", type=int, default=3, help="kept targets to print per run")
    args = ap.parse_args()
    print("| run | round | candidates | with markers | kept | kept with markers | cleaned by the review |")
    print("|---|---|---|---|---|---|---|")
    for run in args.runs:
        kept_all = []
        for path in sorted(run.glob("round-*/samples.jsonl")):
            samples = [Sample.from_json(r) for r in read_records(path, repair=False)]
            raw = [t for t in map(before_review, samples) if t]
            kept = [s for s in samples if s.kept and s.target]
            kept_all += kept
            print(f"| {run.name} | {path.parent.name[-2:]} | {len(raw)} | {sum(bool(MARKERS.search(t)) for t in raw)} | "
                  f"{len(kept)} | {sum(bool(MARKERS.search(s.target)) for s in kept)} | {sum(bool(s.cleaned) for s in kept)} |")
        for s in random.Random(0).sample(kept_all, min(args.show, len(kept_all))):
            print(f"\n{run.name} round {s.round}: {s.prompt!r}\n  -> {s.target!r}" + (f"\n  cleaned: {s.cleaned}" if s.cleaned else ""))
        print()


if __name__ == "__main__":
    main()
