"""A teacher that knows more than the student and shares its tokenizer, for the ``distill``
objective's ``model:`` row: the default student fine-tuned (LoRA SFT, merged) on the checked answers
of ``data/train/`` (each prompt asked as the evaluation asks it, answered by its reference: a worked
solution in a sentence, not GSM8K's ``####`` notation; a fact's first alias; yes or no: the context
teacher's rendering, :func:`distill.train.onpolicy.reference_text`), mixed with
replay data. Prompts that near-duplicate an eval question are left out, as the loop leaves them out.

    .venv/bin/python bench/train_teacher.py --out bench/results/teacher-sft
    .venv/bin/python recipes/grounded_distill.py --objective distill --distill-teacher model:bench/results/teacher-sft/model

Prints the teacher's and the student's greedy accuracy on 128 of the training prompts (checked
strictly, as training checks), so the row can say how much more the teacher knows.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def accuracy(model, tok, questions, suffix, precision: str) -> float:
    from distill.core import SamplingConfig
    from distill.model.student import Student

    student = Student("scored", model=model, tokenizer=tok, precision=precision)
    out = student.generate([q.prompt + suffix.get(q.format, "") for q in questions],
                           SamplingConfig(max_new_tokens=64, temperature=0.0))
    student.release()
    return sum(q.check(o.text, strict=True) for q, o in zip(questions, out)) / len(questions)


def main() -> None:
    from distill.curate.rows import mix
    from distill.data.dedupe import NearDuplicateIndex
    from distill.data.evalsets import default_eval_paths, default_guard_paths, load_eval_set
    from distill.data.instructions import load_instructions
    from distill.data.prompts import load_prompts
    from distill.eval.gold import EvalConfig
    from distill.model.precision import choose
    from distill.model.resolve import DEFAULT_STUDENT, load_model
    from distill.train.config import TrainConfig
    from distill.train.lora import train_lora
    from distill.train.onpolicy import reference_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "teacher-sft"))
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--replay-ratio", type=float, default=0.5, help="replay examples per training example")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    suffix = EvalConfig().prompt_suffix
    index = NearDuplicateIndex(0.7)
    for path in default_eval_paths() + default_guard_paths():
        for item in load_eval_set(path).items:
            index.add(item.question)
    pool = [q for path in sorted((ROOT / "data" / "train").glob("*.jsonl")) for q in load_prompts(path)]
    questions = [q for q in pool if q.checkable and not index.is_duplicate(q.prompt)[0]]
    rows = [{"prompt": [{"role": "user", "content": q.prompt + suffix.get(q.format, "")}],
             "completion": [{"role": "assistant", "content": reference_text(q)}]} for q in questions]
    data = mix(rows, load_instructions(ROOT / "data" / "replay.jsonl"), args.replay_ratio, seed=args.seed)
    precision = choose("auto").name
    model, tok = load_model(DEFAULT_STUDENT)
    scored = random.Random(args.seed).sample(questions, 128)
    before = accuracy(model, tok, scored, suffix, precision)
    t0 = time.perf_counter()
    result = train_lora(model, tok, data, Path(args.out), TrainConfig(sft={"num_train_epochs": args.epochs}),
                        quiet=True, precision=precision)
    minutes = (time.perf_counter() - t0) / 60
    after = accuracy(result.model, tok, scored, suffix, precision)
    print(f"| model | right on 128 training prompts (greedy, strict) |\n|---|---|\n| student | {before:.1%} |\n"
          f"| teacher ({len(rows)} checked answers + {len(data) - len(rows)} replay, {args.epochs:g} epoch, "
          f"{minutes:.0f} min, {precision}) | {after:.1%} |")
    print(f"left out as near-duplicates of eval questions: {sum(q.checkable for q in pool) - len(questions)}")
    print(f"wrote {result.model_dir}")


if __name__ == "__main__":
    main()
