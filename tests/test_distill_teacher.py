"""A teacher that knows what the student does not (the student fine-tuned on 8 yes/no answers), used
two ways through a real loop round: on-policy distillation from it as a ``model:`` teacher, and SFT
on its own answers (the ``answers`` objective) as a ``local:`` teacher (see test_distill.py; its own
module so that a parallel worker takes it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_distill import ROOT, SUFFIX, loop_config, sampled_accuracy, some

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def knowing(tmp_path_factory, default_folder) -> dict:
    """8 yes/no prompts (4 yes, 4 no, so a constant answer is worth half), the untouched student's and
    the teacher's sampled accuracy on them, and the teacher's folder."""
    from distill.data.prompts import load_prompts
    from distill.model.resolve import load_model
    from distill.model.student import Student
    from distill.train.config import TrainConfig
    from distill.train.lora import train_lora

    tmp = tmp_path_factory.mktemp("knowing")
    prompts = some(ROOT / "data" / "train" / "yesno.jsonl", tmp, 8, balanced=True)
    questions = load_prompts(prompts)
    model, tok = load_model(default_folder)
    before = sampled_accuracy(Student("before", model=model, tokenizer=tok), questions, k=8)
    rows = [{"prompt": [{"role": "user", "content": q.prompt + SUFFIX["yesno"]}],
             "completion": [{"role": "assistant", "content": "Yes." if q.gold else "No."}]} for q in questions]
    teacher = train_lora(model, tok, rows, tmp / "teacher", TrainConfig(sft={
        "num_train_epochs": 8, "learning_rate": 1e-3, "per_device_train_batch_size": 8, "gradient_accumulation_steps": 1}), quiet=True)
    knows = sampled_accuracy(Student("teacher", model=teacher.model, tokenizer=tok), questions, k=8)
    assert knows >= before + 0.3  # the teacher knows what the student does not
    return {"prompts": prompts, "questions": questions, "before": before, "knows": knows, "teacher": teacher.model_dir}


def test_a_model_teacher_that_knows_more_moves_the_students_sampled_accuracy(tmp_path, default_folder, knowing):
    """Distilled on policy into the untouched student through a loop round that shows it no reference,
    by forward KL (beta 0; reverse KL, the default, and JSD run in test_distill.py): the student's
    sampled answers to those prompts are right more often."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run
    from distill.model.student import Student

    cfg = RunConfig.from_data(loop_config(
        tmp_path, default_folder, knowing["prompts"], 8,
        {"max_steps": 8, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 2,
         "max_completion_length": 8, "learning_rate": 5e-4, "beta": 0.0},
        distill_teacher=f"model:{knowing['teacher']}"))
    manifest = run(cfg)
    m = manifest.rounds[0].train_metrics
    after = sampled_accuracy(Student(Path(cfg.run_dir) / "round-01" / "model"), knowing["questions"], k=8)
    print(f"\nsampled accuracy on the 8 prompts: student {knowing['before']:.2f} -> {after:.2f} (teacher "
          f"{knowing['knows']:.2f}); divergence {m['divergence_first']:.3f} -> {m['divergence_last']:.3f}")
    records = [json.loads(x) for x in (Path(cfg.run_dir) / "round-01" / "samples.jsonl").read_text().splitlines()]
    assert not any(r["critique"] or r["revision"] for r in records)  # a model teacher: answers only collected
    assert m["teacher"]["right"] > m["distill"]["student_right"]
    assert after >= knowing["before"] + 0.15


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "unchecked"])
def test_sft_on_the_teachers_answers_moves_the_students_sampled_accuracy(tmp_path, default_folder, knowing, checked):
    """The ``answers`` objective with that teacher as the run's ``local:`` teacher: it answers the
    round's prompts, its answers that pass the reference check (``answers_checked``) or all of them
    are trained on (with replay), every answer is kept in the round's training folder, and the
    student's sampled answers to those prompts are right more often."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run
    from distill.model.student import Student

    data = loop_config(tmp_path, default_folder, knowing["prompts"], 8, {}, objective="answers", answers_max_tokens=8,
                       answers_checked=checked)
    del data["train"]["distill"]
    data["train"]["sft"] = {"num_train_epochs": 4, "learning_rate": 5e-4, "per_device_train_batch_size": 4,
                            "gradient_accumulation_steps": 1}
    data["teacher"] = f"local:{knowing['teacher']}"
    manifest = run(RunConfig.from_data(data))
    summary = manifest.rounds[0]
    counts = summary.train_metrics["teacher_answers"]
    after = sampled_accuracy(Student(tmp_path / "run" / "round-01" / "model"), knowing["questions"], k=8)
    print(f"\nteacher answers {counts}; sampled accuracy {knowing['before']:.2f} -> {after:.2f}")
    assert summary.objective == "answers" and counts["asked"] == counts["checked"] == 8
    assert counts["right"] >= 6 and counts["teacher_tokens"] > 0
    assert counts["kept"] == (counts["right"] if checked else counts["asked"])
    assert all(e["answer"] for e in counts["examples"])
    saved = json.loads((tmp_path / "run" / "round-01" / "train" / "teacher_answers.json").read_text())
    assert len(saved["answers"]) == len(saved["prompts"]) == 8 and saved["teacher_tokens"] == counts["teacher_tokens"]
    assert after >= knowing["before"] + 0.15
