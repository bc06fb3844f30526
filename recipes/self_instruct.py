"""Self-Instruct: grow the prompt pool from a small seed set, with the student (or any teacher) writing new tasks.

Reads seed tasks (Self-Instruct JSONL: instruction/instances/is_classification; JSONL with a
`prompt` field; or .txt, one prompt a line), asks the teacher for new instructions from numbered
lists of seed and already generated tasks, filters them (ROUGE-L near-duplicates, length, tasks
a text model cannot do, odd first characters, exact duplicates) and appends every candidate with
its reason to --out. Re-running with the same --out continues where it stopped. Feed the result
to the loop with `--prompt-file OUT` (dropped candidates are skipped there).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from distill.curate.self_instruct import SelfInstructConfig, load_seed_tasks
from distill.errors import ConfigError
from distill.model.resolve import DEFAULT_STUDENT
from distill.ui.entry import guarded


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--seed-file", required=True, help="seed tasks: Self-Instruct JSONL, JSONL with 'prompt', or .txt")
    ap.add_argument("--out", default="data/self_instruct.jsonl", help="output JSONL; an existing file is resumed")
    ap.add_argument("--num", type=int, default=50, help="stop once this many new instructions are kept")
    ap.add_argument("--teacher", default="self", help="teacher spec: self, local:<model>, openai, module:Class")
    ap.add_argument("--student", default=DEFAULT_STUDENT, help="student model spec (the 'self' teacher is the student)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=8, help="requests per teacher call")
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.9)
    ap.add_argument("--top-p", type=float, default=0.95)
    ap.add_argument("--max-requests", type=int, default=None, help="give up after this many requests (default 20 per --num)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    args = ap.parse_args(argv)
    return guarded(Path(sys.argv[0]).name, lambda: generate(args), debug=args.debug)


def generate(args: argparse.Namespace) -> int:
    try:
        config = SelfInstructConfig(
            num_instructions=args.num, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
            temperature=args.temperature, top_p=args.top_p, seed=args.seed, max_requests=args.max_requests,
        )
    except ValueError as e:
        raise ConfigError(f"bad flag value: {e}") from None
    tasks = load_seed_tasks(args.seed_file)  # fail on a bad seed file before loading any model

    from distill.curate.self_instruct import generate_instructions
    from teachers.loader import load_teacher

    student = None
    if args.teacher == "self" or args.teacher.startswith("grounded:self"):
        from distill.model.student import Student

        student = Student(args.student)
    teacher = load_teacher(args.teacher, student=student)

    def progress(kept: int, target: int, requests: int) -> None:
        if not args.quiet:
            print(f"requests {requests}: kept {kept}/{target}", flush=True)

    s = generate_instructions(tasks, teacher, args.out, config, progress=progress)
    if not args.quiet:
        total = s.kept + s.dropped
        share = f"{s.kept / total:.0%}" if total else "-"
        print(f"{args.out}: {s.kept} kept, {s.dropped} dropped ({share} kept) over {s.requests} requests")
        for reason, count in sorted(s.reasons.items(), key=lambda kv: -kv[1]):
            print(f"  dropped {count:4d}  {reason}")
        if not s.reached_target:
            print(f"stopped at the request limit before reaching {args.num} kept instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
