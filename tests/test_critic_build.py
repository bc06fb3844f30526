"""The critic the check taught (distill.critic): its data labelled by the strict check (from sampling;
a real loop round's records: tests/test_critic.py), its confidence read from logits, J and AUROC, and the build
that ties them together, resumable."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from test_loop import ROOT


def answers(n: int = 60) -> list[dict]:
    return [{"prompt": f"q{i}", "format": "short" if i % 2 else "gsm8k", "answer": f"a{i}", "right": i % 3 == 0,
             "split": "heldout"} for i in range(n)]


def test_j_and_auroc_tell_an_oracle_from_a_constant_critic():
    from distill.critic.measure import quality
    from distill.eval.metrics import auroc

    labelled = answers()
    oracle = quality(labelled, [{"approved": a["right"], "confidence": 0.1 if a["right"] else 0.9} for a in labelled])
    assert oracle["all"]["j"] == 1 and oracle["all"]["tells"] and oracle["all"]["auroc"] == 1
    assert all(q["j"] == 1 and q["auroc"] == 1 for q in oracle["formats"].values())
    constant = quality(labelled, [{"approved": True, "confidence": 0.3} for _ in labelled])
    assert constant["all"]["j"] == 0 and not constant["all"]["tells"] and constant["all"]["auroc"] == 0.5
    lo, hi = constant["all"]["auroc_ci95"]
    assert lo < 0.5 < hi
    backwards = quality(labelled, [{"approved": not a["right"], "confidence": 0.9 if a["right"] else 0.1}
                                   for a in labelled])
    assert backwards["all"]["j"] == -1 and backwards["all"]["auroc"] == 0
    # a critic without a confidence (text only) has J but no AUROC; an unjudged answer is left out
    text_only = quality(labelled, [{"approved": a["right"] if i else None, "confidence": None}
                                   for i, a in enumerate(labelled)])
    assert "auroc" not in text_only["all"] and text_only["all"]["right"] + text_only["all"]["wrong"] == 59
    # the area counts ties as half: 3 of 4 pairs ordered, one tied
    assert auroc([0.9, 0.5], [0.5, 0.1])[0] == pytest.approx(0.875)
    # one kind of answer only: no J, no AUROC
    assert quality([a for a in labelled if a["right"]], [{"approved": True, "confidence": 0.1}] * 20)["all"] is None


def test_prompts_are_held_out_whole_and_each_format_is_balanced():
    from distill.critic.data import balance, counts, split_of, unique

    rows = []
    for i in range(200):
        prompt = f"question {i}"
        for k in range(3):
            rows.append({"prompt": prompt, "format": "gsm8k" if i % 2 else "yesno", "answer": f"answer {k % 2}",
                         "right": (i + k) % 4 == 0, "split": split_of(prompt, 0.25, seed=0)})
    held = {r["prompt"] for r in rows if r["split"] == "heldout"}
    assert 30 < len(held) < 70  # about a quarter, by a stable hash
    assert not held & {r["prompt"] for r in rows if r["split"] == "train"}
    assert split_of("question 7", 0.25, seed=0) == split_of("question 7", 0.25, seed=0)
    distinct = unique(rows)
    assert len(distinct) == 400  # "answer 0" twice per prompt counts once
    train = balance([r for r in distinct if r["split"] == "train"], seed=0)
    for fmt, c in counts(train)["train"].items():
        assert c["right"] == c["wrong"] > 0
    capped = balance([r for r in distinct if r["split"] == "train"], seed=0, per_format=10)
    assert all(c["right"] == c["wrong"] == 5 for c in counts(capped)["train"].values())


@pytest.mark.slow
def test_the_critics_confidence_is_read_from_its_logits(student):
    """P(FAULT) is the model's own probability of ' FAULT' against ' NO FAULT' right after 'VERDICT:' on
    the critique chat, computed here from the logits of two plain forward passes."""
    import torch

    from distill.checks.verdict import parse_verdict
    from distill.core import Item
    from distill.data.principles import load_principles
    from teachers import load_teacher

    principle = load_principles()[0].principles[0]
    critic = load_teacher(f"critic:{student.spec}", student=student)
    items = [Item("What is the capital of France?", "Paris."), Item("What is 7 times 6?", "7 * 6 = 48. The answer is 48.")]
    crits = critic.critique(items, principle)
    tok, model = student.tokenizer, student.model
    for item, crit in zip(items, crits):
        head = student.encode(critic.critic.critique_chat(item, principle)) + tok("VERDICT:", add_special_tokens=False)["input_ids"]
        logp = []
        for tail in (" FAULT", " NO FAULT"):
            ids = tok(tail, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                out = torch.log_softmax(model(torch.tensor([head + ids])).logits[0].float(), -1)
            logp.append(sum(out[len(head) - 1 + k, t].item() for k, t in enumerate(ids)))
        assert crit.confidence == pytest.approx(1 / (1 + math.exp(logp[1] - logp[0])), abs=1e-4)
        assert crit.verdict == ("fault" if crit.confidence > 0.5 else "no_fault") == parse_verdict(crit.text)
        assert crit.verdict_source == "likelihood"


@pytest.mark.slow
def test_a_critic_build_samples_labels_trains_measures_and_resumes(tmp_path, tiny_folder):
    """The pipeline on a tiny model: its own answers (all wrong) and an earlier run's (right) labelled
    by the strict check, whole prompts held out, the critic trained (its loss falls), measured, and
    a second build after losing part of the answers samples only what is missing."""
    from distill.critic.build import CriticConfig, build_critic, heldout_answers
    from distill.data.prompts import load_prompts
    from distill.store.jsonl import read_records
    from distill.train.config import TrainConfig

    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join((ROOT / "data" / "train" / "facts.jsonl").read_text().splitlines(keepends=True)[:12]))
    earlier = tmp_path / "earlier" / "round-01"  # a run whose student answered these prompts right
    earlier.mkdir(parents=True)
    earlier.joinpath("samples.jsonl").write_text("".join(
        json.dumps({"prompt": q.prompt, "answer": f"{q.gold[0]}."}) + "\n" for q in load_prompts(facts)))
    config = CriticConfig(run_dir=str(tmp_path / "critic"), student=str(tiny_folder), precision="fp32",
                          prompts=[str(facts)], temperatures=[0.0, 1.0], max_new_tokens=6, chunk=5, heldout_share=0.3,
                          measure_student=False, answer_runs=[str(tmp_path / "earlier")],
                          train=TrainConfig(sft={"max_steps": 6, "learning_rate": 0.01, "per_device_train_batch_size": 4,
                                                 "gradient_accumulation_steps": 1}))
    result = build_critic(config, log=lambda line: None)
    path = tmp_path / "critic" / "answers.jsonl"
    rows = read_records(path)
    questions = {q.prompt: q for q in load_prompts(facts)}
    assert len(rows) == 24 and {r["temperature"] for r in rows} == {0.0, 1.0}
    for r in rows:
        assert r["right"] == questions[r["prompt"]].check(r["answer"], strict=True)
    splits = {}
    for r in rows:
        splits.setdefault(r["prompt"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    assert result.model == tmp_path / "critic" / "model" and (result.model / "config.json").is_file()
    assert json.loads((result.model / "critic.json").read_text()) == {"judging": "reason"}  # the default
    trained = result.data["trained_on"]["short"]
    assert trained["right"] == trained["wrong"] > 0  # the earlier run's right answers against the tiny model's
    losses = [e["loss"] for e in json.loads((tmp_path / "critic" / "train" / "log_history.json").read_text())["log_history"]
              if "loss" in e]
    assert len(losses) == 6 and losses[-1] < losses[0]
    measured = json.loads((tmp_path / "critic" / "measure.json").read_text())
    assert set(measured["ways"]) == {"student, verdict read at once", "critic"}
    heldout = heldout_answers(config, tmp_path / "critic")  # what a later critic is compared on (bench/critic_compare.py)
    assert len(heldout) == measured["answers"] == len(measured["ways"]["critic"]["confidence"])
    assert {a["split"] for a in heldout} == {"heldout"} and {a["source"] for a in heldout} >= {str(tiny_folder)}
    assert yaml.safe_load((tmp_path / "critic" / "config.yaml").read_text())["temperatures"] == [0.0, 1.0]
    # a build that lost its last chunks (killed mid-append) samples only those again; measured once
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:10]))
    (tmp_path / "critic" / "measure.json").unlink()
    again = build_critic(config, log=lambda line: None)
    rows_again = read_records(path)
    assert len(rows_again) == 24 and [r["answer"] for r in rows_again[:10]] == [r["answer"] for r in rows[:10]]
    assert again.measure["answers"] == measured["answers"]


@pytest.mark.parametrize("data, said", [
    ({"temperatures": []}, "temperatures must be a non-empty list"),
    ({"heldout_share": 1.0}, "heldout_share must be in (0, 1), got 1.0"),
    ({"per_format": 1}, "per_format must be >= 2"),
    ({"temprature": [0.0]}, "key temprature: unknown key"),
])
def test_a_bad_critic_config_is_one_line_naming_it(tmp_path, data, said):
    from distill.critic.build import CriticConfig
    from distill.errors import ConfigError

    path = tmp_path / "critic.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as e:
        CriticConfig.load(path)
    assert str(e.value).startswith(str(path)) and said in str(e.value) and "\n" not in str(e.value)


def test_a_bad_critic_teacher_is_one_line():
    from distill.errors import SpecError
    from teachers import load_teacher

    with pytest.raises(SpecError, match="needs the trained critic's model after the colon"):
        load_teacher("critic:")
    with pytest.raises(SpecError, match="the reviser must write answers"):
        load_teacher("critic:somewhere", reviser="critic:elsewhere")


def test_a_critic_taught_to_reason_first_writes_the_right_answer_then_the_verdict():
    from distill.critic.rows import verdict_rows
    from distill.data.principles import load_principles
    from teachers import Teacher

    principles = [p for stage in load_principles() for p in stage.principles]
    rows = verdict_rows(answers(4), Teacher(), principles, seed=0, reasons={f"q{i}": f"gold {i}" for i in range(4)})
    assert [r["completion"][0]["content"] for r in rows[:2]] == ["The right answer: gold 0\n\nVERDICT: NO FAULT",
                                                                 "The right answer: gold 1\n\nVERDICT: FAULT"]
    plain = verdict_rows(answers(4), Teacher(), principles, seed=0)
    assert plain[0]["completion"][0]["content"] == "VERDICT: NO FAULT"
    assert plain[0]["prompt"] == rows[0]["prompt"] and "Reference answer" not in plain[0]["prompt"][0]["content"]


@pytest.mark.slow
def test_a_critic_folder_says_how_it_judges(tmp_path, tiny_folder):
    """A critic whose folder says it reasons first writes text, then the verdict its confidence gives."""
    import shutil

    from distill.core import Item
    from distill.data.principles import load_principles
    from distill.model.student import Student
    from teachers import load_teacher

    critic = tmp_path / "critic"
    shutil.copytree(tiny_folder, critic)
    (critic / "critic.json").write_text(json.dumps({"judging": "reason"}))
    teacher = load_teacher(f"critic:{critic}", student=Student(tiny_folder))
    assert teacher.critic.judging == "reason"
    principle = load_principles()[0].principles[0]
    from distill.core import SamplingConfig

    for c in teacher.critique([Item("What is 2 + 2?", "4")], principle, SamplingConfig(max_new_tokens=4)):
        assert c.text.endswith(f"VERDICT: {'FAULT' if c.confidence > 0.5 else 'NO FAULT'}")
        assert c.verdict == ("fault" if c.confidence > 0.5 else "no_fault")
