"""Self-bootstrap: the student answers prompts (the loop arrives with the loop issue)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from distill import DEFAULT_STUDENT, Student

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--student", default=DEFAULT_STUDENT, help="model spec (embedded name, HF folder, .gguf, hub id)")
    ap.add_argument("--prompts", type=int, default=6, help="how many prompts to answer")
    ap.add_argument("--prompt-file", default=str(ROOT / "data" / "prompts.jsonl"))
    args = ap.parse_args()
    prompts = [json.loads(line)["prompt"] for line in open(args.prompt_file)][: args.prompts]
    student = Student(args.student)
    for p, c in zip(prompts, student.generate(prompts, max_new_tokens=64)):
        print(f"Q: {p}\nA: {c.text}\n")


if __name__ == "__main__":
    main()
