"""Can the critic's training learn a signal that is plainly in the text? A control for a critic that
stays near chance: the same verdict rows, LoRA and TRL step as ``distill.critic.build``, with the
label "the answer was cut off at the token limit" (FAULT) instead of the strict check's. If this
is learned and the check's label is not, the training works and the check's label is what is hard.

    .venv/bin/python bench/critic_learnable.py runs/train-the-critic/critic --rows 400 --steps 40 --learning-rate 1e-3

Reads the folder's ``answers.jsonl``; trains on its training side (as many cut-off answers as
complete ones), measures on 60 + 60 held-out answers; prints mean P(FAULT) of each and the AUROC.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from distill.core import Item
from distill.critic.data import unique
from distill.critic.rows import verdict_rows
from distill.data.principles import load_principles
from distill.eval.metrics import auroc
from distill.model.student import Student
from distill.train.config import TrainConfig
from distill.train.lora import train_lora
from teachers import load_teacher

from critic_head import student_of  # the same folder, the same student


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", help="a critic folder with answers.jsonl")
    p.add_argument("--rows", type=int, default=400)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    path = Path(args.folder) / "answers.jsonl"
    if not path.is_file():
        print(f"error: {path}: not found (a critic folder holds answers.jsonl)", file=sys.stderr)
        return 2
    answers = [dict(a, right=a["finish"] != "length") for a in unique(json.loads(s) for s in path.read_text().splitlines())]
    rng = random.Random(args.seed)

    def sample(split: str, n: int) -> list[dict]:
        side = [a for a in answers if a["split"] == split]
        return rng.sample([a for a in side if not a["right"]], n) + rng.sample([a for a in side if a["right"]], n)

    train = sample("train", args.rows // 2)
    rng.shuffle(train)
    held = sample("heldout", 60)
    student = Student(student_of(Path(args.folder)), precision="fp32")
    principles = [p for stage in load_principles() for p in stage.principles]
    rows = verdict_rows(train, load_teacher("self", student=student), principles, args.seed)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.time()
        train_lora(student.model, student.tokenizer, rows, Path(out),
                   TrainConfig(sft={"max_steps": args.steps, "learning_rate": args.learning_rate}), quiet=True)
        minutes = (time.time() - t0) / 60
        critic = load_teacher(f"critic:{out}/model", student=student)
        fault = critic.critic.fault_probability([Item(a["prompt"], a["answer"]) for a in held], principles[0])
    area, (lo, hi) = auroc([1 - f for f in fault[60:]], [1 - f for f in fault[:60]])
    print(f"{len(rows)} rows, {args.steps} steps, lr {args.learning_rate:g}, {minutes:.0f} min: "
          f"P(FAULT) cut off {statistics.mean(fault[:60]):.2f}, complete {statistics.mean(fault[60:]):.2f}; "
          f"AUROC {area:.2f} ({lo:.2f} to {hi:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
