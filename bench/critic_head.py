"""A scalar head against the generative verdict: does a classifier on the student's last hidden
state (``LlamaForSequenceClassification``, LoRA + the new head, transformers' Trainer) tell right
answers from wrong better than the verdict a critic writes? Beside it, a critic that needs no
training: an answer's agreement with the student's other answers to the same prompt (the share of
them with the same final answer: self-consistency).

Reads a critic folder's labelled answers (``recipes/train_the_critic.py`` part 1 or
``distill.critic.build``), trains on its training side (balanced by label within format, at most
``--per-format`` a format) and measures J and AUROC on the same held-out answers as the folder's
``measure.json``, so the rows line up with the verdict critic's::

    .venv/bin/python bench/critic_head.py runs/train-the-critic/critic

The head reads the same critique chat the verdict critic reads (the run's template, no reference).
Prints a table; writes ``head.json`` beside the folder's ``measure.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import torch
from datasets import Dataset
from peft import LoraConfig, get_peft_model
from rich.console import Console
from rich.table import Table
from transformers import LlamaForSequenceClassification, Trainer, TrainingArguments

from distill.checks.reference import answer_key
from distill.core import Item
from distill.critic.data import balance, unique
from distill.critic.measure import line, quality
from distill.data.principles import load_principles
from distill.model.student import Student
from teachers import load_teacher


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", help="a critic folder with answers.jsonl (and config.yaml)")
    p.add_argument("--per-format", type=int, default=None,
                   help="at most this many training answers a format (default: all, balanced, as the build)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--learning-rate", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    folder = Path(args.folder)
    if not (folder / "answers.jsonl").is_file():
        print(f"error: {folder}/answers.jsonl: not a critic folder", file=sys.stderr)
        return 2
    every = [json.loads(s) for s in (folder / "answers.jsonl").read_text().splitlines() if s.strip()]
    answers = unique(every)
    train = balance([a for a in answers if a["split"] == "train"], args.seed, args.per_format)
    heldout = [a for a in answers if a["split"] == "heldout"]
    agreement = _agreement(heldout, [a for a in every if a["split"] == "heldout"])
    student = Student(student_of(folder), precision="fp32")
    judge = load_teacher("self", student=student)  # the critique chat the verdict critic reads
    tok = student.tokenizer
    principles = [p for stage in load_principles() for p in stage.principles]
    rng = random.Random(args.seed)

    def text(a: dict, principle) -> str:
        chat = judge.critique_chat(Item(a["prompt"], a["answer"]), principle)
        return tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)

    def encode(rows: list[dict], pick) -> Dataset:
        enc = [dict(tok(text(a, pick()), truncation=True, max_length=512), labels=int(a["right"])) for a in rows]
        return Dataset.from_list(enc)

    torch.manual_seed(args.seed)
    model = LlamaForSequenceClassification(student.model.config.__class__(**{**student.model.config.to_dict(),
                                                                              "num_labels": 2}))
    model.model.load_state_dict(student.model.model.state_dict())  # the body: the student's; the head: new
    model.config.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=16, lora_alpha=32, lora_dropout=0.05,
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                             "up_proj", "down_proj"]))
    data = encode(train, lambda: rng.choice(principles))
    out = folder / "head"
    t0 = time.time()
    trainer = Trainer(model=model, args=TrainingArguments(
        output_dir=str(out), per_device_train_batch_size=8, num_train_epochs=args.epochs,
        learning_rate=args.learning_rate, logging_steps=10, save_strategy="no", report_to=[], seed=args.seed,
        bf16=True, use_cpu=not torch.cuda.is_available()),
        train_dataset=data, processing_class=tok)
    trainer.train()
    minutes = (time.time() - t0) / 60

    model.eval()
    principle = load_principles()[0].principles[0]  # what the loop's judge is asked under (as measure.json)
    faults = []
    with torch.no_grad():
        for a in heldout:
            x = tok(text(a, principle), return_tensors="pt", truncation=True, max_length=512)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(**x).logits.float()
            faults.append(float(torch.softmax(logits, -1)[0, 0]))  # P(wrong)

    result = {"agreement": _quality(heldout, agreement), "head": _quality(heldout, faults), "trained_on": len(train),
              "minutes": minutes, "learning_rate": args.learning_rate, "epochs": args.epochs,
              "loss": [e["loss"] for e in trainer.state.log_history if "loss" in e]}
    (folder / "head.json").write_text(json.dumps(result, indent=2))
    table = Table(title=f"{len(heldout)} held-out answers; the head trained on {len(train)} in {minutes:.0f} min")
    table.add_column("answers")
    for name in ("agreement", "head"):
        table.add_column(f"{name}: J / AUROC (95% CI)")
    for f in ["all", *result["head"]["formats"]]:
        table.add_row(f, *(line(result[name]["all"] if f == "all" else result[name]["formats"][f])
                           for name in ("agreement", "head")))
    Console().print(table)
    return 0


def student_of(folder: Path) -> str:
    """The student the folder's critic was built on (its config.yaml), else the default one."""
    from distill.critic.build import CriticConfig

    config = folder / "config.yaml"
    return CriticConfig.load(config).student if config.is_file() else CriticConfig().student


def _agreement(answers: list[dict], every: list[dict]) -> list[float]:
    """P(fault) of each answer by self-consistency: 1 - the share of the other answers to its prompt
    (``every``, repeats included) with the same answer key."""
    keys: dict[str, list] = {}
    for a in every:
        keys.setdefault(a["prompt"], []).append(answer_key(a["format"], a["answer"]))
    out = []
    for a in answers:
        k = answer_key(a["format"], a["answer"])
        others = list(keys[a["prompt"]])
        others.remove(k)
        out.append(1 - sum(k is not None and o == k for o in others) / max(1, len(others)))
    return out


def _quality(answers: list[dict], faults: list[float]) -> dict:
    """J (approved below P(fault) 0.5) and AUROC, over all answers and per format."""
    return quality(answers, [{"approved": f < 0.5, "confidence": f} for f in faults])


if __name__ == "__main__":
    sys.exit(main())
