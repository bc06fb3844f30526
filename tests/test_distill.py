"""On-policy distillation (``train.objective: distill``): a context round brings the student's answers
closer to its own context-reading self, a ``model:`` teacher that knows answers the student does not
moves the student's sampled accuracy on them, both through a real loop round with the real student;
a teacher with another tokenizer and a context teacher with nothing to read are one-line errors
before any work. The kill mid-distillation is in test_kill_objectives.py, the model teacher in
test_distill_teacher.py (its own module, so that a parallel worker takes it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from distill.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = {"yesno": " Answer yes or no."}


def loop_config(tmp_path: Path, student: Path, prompts: Path, n: int, distill: dict, **train) -> dict:
    """One loop round over the ``n`` prompts of ``prompts``, small everywhere but the training."""
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:3]))
    return {"run_dir": str(tmp_path / "run"), "student": str(student), "teacher": "grounded:self", "rounds": 1,
            "prompts_per_round": n, "chunk_size": n, "approval_items": 2, "replay_heldout": str(heldout),
            "prompts": [str(prompts)], "seed": 0, "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")],
            "guard_sets": [], "answer": {"max_new_tokens": 24}, "critique": {"max_new_tokens": 24},
            "revision": {"max_new_tokens": 24}, "eval": {"limit": 4, "max_new_tokens": 16},
            "train": {"objective": "distill", "distill": distill, "sft": {"max_steps": 1}, **train}}


def some(path: Path, tmp_path: Path, n: int, balanced: bool = False) -> Path:
    """The first ``n`` records of a shipped training file (half yes, half no when ``balanced``), as a file."""
    lines = path.read_text().splitlines()
    if balanced:
        yes = [x for x in lines if json.loads(x)["answer"] is True]
        no = [x for x in lines if json.loads(x)["answer"] is False]
        lines = yes[:n // 2] + no[:n // 2]
    out = tmp_path / f"some-{path.name}"
    out.write_text("\n".join(lines[:n]) + "\n")
    return out


def sampled_accuracy(student, questions, k: int = 16, tokens: int = 8) -> float:
    from distill.core import SamplingConfig

    out = student.generate([q.prompt + SUFFIX.get(q.format, "") for q in questions for _ in range(k)],
                           SamplingConfig(max_new_tokens=tokens, temperature=1.0, seed=123))
    return sum(questions[i // k].check(o.text) for i, o in enumerate(out)) / len(out)


@pytest.mark.slow
def test_a_context_round_brings_the_student_closer_to_its_context_reading_self(tmp_path, default_folder):
    """The real student, 8 factual prompts with references, the grounded self teacher: the round collects
    critiques and revisions (the context reads its kept targets), the round-start weights reading the
    reference are right more often than the student, and over the round's steps the student's own
    answers diverge less from that context-reading self."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    prompts = some(ROOT / "data" / "train" / "facts.jsonl", tmp_path, 8)
    cfg = RunConfig.from_data(loop_config(tmp_path, default_folder, prompts, 8, {
        "max_steps": 8, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 2,
        "max_completion_length": 24, "learning_rate": 5e-4}))
    manifest = run(cfg)
    assert manifest.status == "finished"
    summary = manifest.rounds[0]
    m = summary.train_metrics
    print(f"\ndivergence {m['divergence_first']:.3f} -> {m['divergence_last']:.3f}; teacher {m['teacher']['right']}/"
          f"{m['teacher']['checked']}, student {m['distill']['student_right']}/{m['distill']['student_checked']}")
    assert summary.objective == "distill" and m["steps"] == 8 and m["distilled_tokens"] > 0
    assert m["divergence_last"] < m["divergence_first"]
    assert m["teacher"]["checked"] == m["distill"]["student_checked"] == 8
    assert m["teacher"]["right"] > m["distill"]["student_right"]  # it knows more: the reference is in its context
    run_dir = Path(cfg.run_dir)
    records = [json.loads(x) for x in (run_dir / "round-01" / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 8 and all(r["critique"] for r in records)  # the context reads the kept targets
    rollouts = (run_dir / "round-01" / "train" / "rollouts.jsonl").read_text().splitlines()
    assert len(rollouts) == 8 * 8 and {json.loads(r)["format"] for r in rollouts} == {"short"}  # every answer, logged
    assert m["answers"]["short"]["n"] == 64  # the most common answer, watched for a collapse
    log = json.loads((run_dir / "round-01" / "train" / "log_history.json").read_text())["log_history"]
    assert {e["objective"] for e in log} == {"distill", "replay"}  # the replay share keeps its meaning
    assert (run_dir / "round-01" / "model" / "config.json").is_file()  # merged like every objective
    report = (run_dir / "report.md").read_text()
    assert "Distilled on policy" in report and "teacher right" in report


@pytest.mark.slow
def test_opsds_form_derive_from_the_reference_with_jsd_runs_a_loop_round(tmp_path, default_folder):
    """The context teacher in OPSD's form through a real loop round: it reads only the reference,
    told to derive the answer step by step, JSD (beta 0.5) at temperature 1.1. Only answers are
    collected (no target to read, so no critiques), and over the round's steps the student's answers
    diverge less from that teacher."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    prompts = some(ROOT / "data" / "train" / "facts.jsonl", tmp_path, 8)
    cfg = RunConfig.from_data(loop_config(tmp_path, default_folder, prompts, 8, {
        "max_steps": 8, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 2,
        "max_completion_length": 24, "learning_rate": 5e-4, "beta": 0.5, "temperature": 1.1},
        distill_context=["reference"], distill_template="derive"))
    assert cfg.train.section("distill")["beta"] == 0.5
    manifest = run(cfg)
    m = manifest.rounds[0].train_metrics
    print(f"\ndivergence {m['divergence_first']:.3f} -> {m['divergence_last']:.3f}; teacher {m['teacher']}")
    assert manifest.status == "finished" and m["steps"] == 8 and m["divergence_last"] < m["divergence_first"]
    records = [json.loads(x) for x in (Path(cfg.run_dir) / "round-01" / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 8 and not any(r["critique"] or r["revision"] for r in records)
    assert m["teacher"]["checked"] == 8 and m["answers"]["short"]["n"] == 64


def test_the_context_renders_references_without_the_data_files_notation():
    from distill.data.questions import Question
    from distill.store.records import Sample
    from distill.train.config import TrainConfig
    from distill.train.objective import RoundInputs, round_data
    from distill.train.onpolicy import context_for

    worked = Question("Felix earns 6 dollars an hour. How much in 7 hours?", format="gsm8k", gold=42.0,
                      answer_text="6 * 7 = 42\n#### 42")
    assert context_for(worked, None, ["reference", "target"]) == "6 * 7 = 42. The answer is 42."
    munch = Question("Name the painter of The Scream.", format="short", gold=["Edvard Munch", "Munch"])
    assert context_for(munch, None, ["reference"]) == "Edvard Munch"  # not the aliases joined by " | "
    assert context_for(Question("Is water wet?", format="yesno", gold=True), None, ["reference"]) == "Yes."
    kept = Sample(round=1, index=0, prompt=worked.prompt, answer="42", kept=True, target="6 * 7 = 42 dollars.")
    assert context_for(worked, kept, ["reference", "target"]) == "6 * 7 = 42 dollars.\n6 * 7 = 42. The answer is 42."
    assert context_for(worked, kept, ["target"]) == "6 * 7 = 42 dollars."
    bare = Question("Tell me about owls.")
    config = TrainConfig(objective="distill", distill_context=["reference"])
    data = round_data(RoundInputs(kept=[], pairs=[], replay=None, replay_share=0.5, seed=0, config=config,
                                  prompts=[worked, bare], suffix={"gsm8k": " Give a number."}))
    (row,) = data.rows["distill"]  # the prompt without a reference is left out: the teacher knows nothing of it
    assert row["prompt"][0]["content"] == worked.prompt + " Give a number."
    assert "6 * 7 = 42. The answer is 42." in row["teacher_prompt"][0]["content"]
    assert "####" not in row["teacher_prompt"][0]["content"]
    assert data.metrics["distill"]["without_context"] == 1
    derive = TrainConfig(objective="distill", distill_context=["reference"], distill_template="derive")
    (row,) = round_data(RoundInputs(kept=[], pairs=[], replay=None, replay_share=0.5, seed=0, config=derive,
                                    prompts=[worked], suffix={"gsm8k": " Give a number."})).rows["distill"]
    told = row["teacher_prompt"][0]["content"]  # OPSD's form: the worked solution, then "derive it"
    assert told.startswith(worked.prompt + " Give a number.\n\nHere is a worked solution") and "for your eyes only" in told
    assert told.index("6 * 7 = 42. The answer is 42.") < told.index("derive the answer step by step")
    nothing = round_data(RoundInputs(kept=[], pairs=[], replay=None, replay_share=0.5, seed=0, config=config,
                                     prompts=[bare]))
    assert nothing.config is None and "know no more than the student" in nothing.note
    assert config.needs == {"prompts"}  # no kept targets read: answers only collected
    assert TrainConfig(objective="distill").needs == {"prompts", "targets"}


@pytest.mark.slow
def test_distill_mistakes_are_one_line_errors_before_any_work(tmp_path, tiny_folder):
    from transformers import AutoTokenizer

    from distill.config import RunConfig
    from distill.loop.bootstrap import BootstrapLoop

    facts = some(ROOT / "data" / "train" / "facts.jsonl", tmp_path, 4)
    # the option's own dataclass refuses it as the config is read
    with pytest.raises(ConfigError, match=r"^<config>: section train: distill_teacher must be 'context' or "
                                          r"'model:SPEC'"):
        RunConfig.from_data(loop_config(tmp_path, tiny_folder, facts, 4, {}, distill_teacher="teacher.bin"))
    with pytest.raises(ConfigError, match=r"^train.distill_teacher: model:/no/such/folder: cannot be loaded: unknown model spec"):
        BootstrapLoop(RunConfig.from_data(loop_config(tmp_path, tiny_folder, facts, 4, {},
                                                      distill_teacher="model:/no/such/folder")))
    # a teacher whose tokenizer differs from the student's (one more token): named with the student
    other = tmp_path / "other-tokenizer"
    shutil.copytree(tiny_folder, other)
    tok = AutoTokenizer.from_pretrained(tiny_folder)
    tok.add_tokens(["<teacher-only>"])
    tok.save_pretrained(other)
    with pytest.raises(ConfigError, match=rf"^train.distill_teacher: model:{other} has a different tokenizer from the "
                                          rf"student {tiny_folder} \(49153 vs 49152 tokens\)"):
        BootstrapLoop(RunConfig.from_data(loop_config(tmp_path, tiny_folder, facts, 4, {},
                                                      distill_teacher=f"model:{other}")))
    # the context teacher told to read only references, on prompts that have none: what would it know?
    bare = tmp_path / "bare.jsonl"
    bare.write_text('{"prompt": "Tell me about owls."}\n{"prompt": "Write a haiku."}\n')
    with pytest.raises(ConfigError, match=r"^train.distill_teacher: context reads the prompts' references .* none of "
                                          r"the run's prompts has one"):
        BootstrapLoop(RunConfig.from_data(loop_config(tmp_path, tiny_folder, bare, 2, {},
                                                      distill_context=["reference"])))
    with pytest.raises(ConfigError, match=r"distill_context must name some of reference, target"):
        RunConfig.from_data(loop_config(tmp_path, tiny_folder, facts, 4, {}, distill_context=["critique"]))
    assert not (tmp_path / "run").exists()  # nothing was started
