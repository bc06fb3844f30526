"""On-policy distillation from a ``model:`` teacher that knows what the student does not, through a
real loop round (see test_distill.py; its own module so that a parallel worker takes it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_distill import ROOT, SUFFIX, loop_config, sampled_accuracy, some


@pytest.mark.slow
def test_a_model_teacher_that_knows_more_moves_the_students_sampled_accuracy(tmp_path, default_folder):
    """A teacher with the student's tokenizer that knows 8 yes/no answers the student does not (the
    student fine-tuned on them here; 4 yes, 4 no, so a constant answer is worth half), distilled into
    the untouched student through a loop round that shows it no reference: the student's sampled
    answers to those prompts are right more often."""
    from distill.config import RunConfig
    from distill.data.prompts import load_prompts
    from distill.loop.bootstrap import run
    from distill.model.resolve import load_model
    from distill.model.student import Student
    from distill.train.config import TrainConfig
    from distill.train.lora import train_lora

    prompts = some(ROOT / "data" / "train" / "yesno.jsonl", tmp_path, 8, balanced=True)
    questions = load_prompts(prompts)
    model, tok = load_model(default_folder)
    before = sampled_accuracy(Student("before", model=model, tokenizer=tok), questions, k=8)
    rows = [{"prompt": [{"role": "user", "content": q.prompt + SUFFIX["yesno"]}],
             "completion": [{"role": "assistant", "content": "Yes." if q.gold else "No."}]} for q in questions]
    teacher = train_lora(model, tok, rows, tmp_path / "teacher", TrainConfig(sft={
        "num_train_epochs": 8, "learning_rate": 1e-3, "per_device_train_batch_size": 8, "gradient_accumulation_steps": 1}), quiet=True)
    knows = sampled_accuracy(Student("teacher", model=teacher.model, tokenizer=tok), questions, k=8)
    cfg = RunConfig.from_data(loop_config(
        tmp_path, default_folder, prompts, 8,
        {"max_steps": 8, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 2,
         "max_completion_length": 8, "learning_rate": 5e-4},
        distill_teacher=f"model:{teacher.model_dir}"))
    manifest = run(cfg)
    m = manifest.rounds[0].train_metrics
    after = sampled_accuracy(Student(Path(cfg.run_dir) / "round-01" / "model"), questions, k=8)
    print(f"\nsampled accuracy on the 8 prompts: student {before:.2f} -> {after:.2f} (teacher {knows:.2f}); "
          f"divergence {m['divergence_first']:.3f} -> {m['divergence_last']:.3f}")
    assert knows >= before + 0.3  # the teacher knows what the student does not
    records = [json.loads(x) for x in (Path(cfg.run_dir) / "round-01" / "samples.jsonl").read_text().splitlines()]
    assert not any(r["critique"] or r["revision"] for r in records)  # a model teacher: answers only collected
    assert m["teacher"]["right"] > m["distill"]["student_right"]
    assert after >= before + 0.15
