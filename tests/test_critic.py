"""Teaching the critic from the check (train.critic_share): the rows built from a round's checked
records, through a real loop (whose records also label a critic's data, distill.critic), and a run
extended with a larger round budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from distill.store.jsonl import read_records
from test_loop import ROOT, write_config


def records():
    from distill.store.records import Sample

    def passed(i):
        return Sample(round=1, index=i, prompt=f"What is {i} + {i}?", answer=f"{i} + {i} = {2 * i}.", critique="",
                      verdict="no_fault", answer_passed=True, check="reference", kept=True, target=f"{2 * i}")

    def failed(i, critique, kept=True):
        return Sample(round=1, index=i, prompt=f"What is {i} times 3?", answer=f"{i} times 3 is {i + 3}.",
                      critique=critique, verdict="fault", answer_passed=False, revision_passed=True,
                      check="reference", revision=f"{i} times 3 is {3 * i}.", kept=kept,
                      target=f"{i} times 3 is {3 * i}." if kept else None)

    return ([passed(i) for i in range(5)]
            + [failed(10, "The answer adds 3 instead of multiplying by 3.\nVERDICT: FAULT"),
               failed(11, "The reference answer says 33, so the answer is wrong.\nVERDICT: FAULT"),  # cites the reference
               failed(12, "Multiplying is not adding.\nVERDICT: FAULT", kept=False),  # its revision was not kept
               failed(13, "It should be 39, not 16.\nVERDICT: FAULT")]
            + [Sample(round=1, index=20, prompt="Write a poem.", answer="Roses.", verdict="fault", critique="Short.")])


def test_critic_rows_are_balanced_critiques_without_the_reference_and_corrections():
    from distill.curate.critic import NO_FAULT, critic_rows
    from distill.curate.targets import LeakCheck
    from distill.data.principles import load_principles
    from fakes import FixerTeacher

    teacher, principle = FixerTeacher(), load_principles()[0].principles[0]
    leaks = LeakCheck(teacher.instructions(principle))
    rows, counts = critic_rows(records(), teacher, principle, leaks, count=30)
    # 5 passed, 2 usable faults (one cites the reference, one was not kept): 2 of each verdict, 2 corrections
    assert counts == {"checked": 9, "faults": 2, "no_faults": 2, "corrections": 2, "unusable": 1}
    assert len(rows) == 6
    critiques = [r for r in rows if "VERDICT" in r["completion"][0]["content"]]
    assert sorted(r["completion"][0]["content"].splitlines()[-1] for r in critiques) == \
        ["VERDICT: FAULT", "VERDICT: FAULT", "VERDICT: NO FAULT", "VERDICT: NO FAULT"]
    for r in rows:
        asked = r["prompt"][0]["content"]
        assert "Reference answer" not in asked and "reference" not in r["completion"][0]["content"].lower()
    from distill.core import Item

    asked = [teacher.critique_chat(Item(r.prompt, r.answer), principle) for r in records()]
    for r in critiques:  # the critique template the teacher uses, on the student's own answer, no reference
        said = r["completion"][0]["content"]
        assert r["prompt"] in asked
        assert said.count("VERDICT") == 1 and (said.startswith(NO_FAULT) or "adds 3" in said or "39" in said)
    fixes = [r for r in rows if "VERDICT" not in r["completion"][0]["content"]]
    for r in fixes:
        assert "Critique:" in r["prompt"][0]["content"] and r["completion"][0]["content"].endswith(
            ("is 30.", "is 39."))
    assert critic_rows(records(), teacher, principle, leaks, count=0) == ([], {**counts, "faults": 0, "no_faults": 0,
                                                                                 "corrections": 0})
    assert len(critic_rows(records(), teacher, principle, leaks, count=3)[0]) == 3  # one of each


@pytest.mark.slow
def test_the_critic_is_taught_from_the_check_in_a_real_round(tmp_path, default_folder):
    """grounded:self on prompts with references and critic_share 0.3: the round's SFT rows include
    critiques and corrections, counted in the round's summary and the report; the round's records,
    read as a critic's data (distill.critic), are labelled by the strict check; on prompts without a
    reference the critic is skipped with one warning, counted."""
    from distill.config import RunConfig
    from distill.critic.data import answers_from_runs
    from distill.data.prompts import load_prompts
    from distill.loop.bootstrap import run

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join((ROOT / "data" / "train" / "facts.jsonl").read_text().splitlines(keepends=True)[:12]))
    cfg = write_config(tmp_path, str(default_folder), teacher="grounded:self", prompts=str(prompts), rounds=1,
                       prompts_per_round=12, chunk_size=12, train={"critic_share": 0.3, "sft": {"max_steps": 1}},
                       eval_sets=[str(ROOT / "data" / "eval" / "facts.jsonl")])
    manifest = run(RunConfig.load(cfg))
    samples = read_records(tmp_path / "run" / "round-01" / "samples.jsonl")
    passed = sum(bool(s["answer_passed"]) for s in samples)
    usable = sum(s["answer_passed"] is False and bool(s["revision_passed"]) and s["kept"] for s in samples)
    counts = manifest.rounds[0].train_metrics["critic"]
    assert counts["checked"] == 12 and counts["faults"] == counts["no_faults"] <= min(passed, usable)
    if passed and usable:  # the real student on 12 facts: some right, some wrong and revised
        assert counts["faults"] >= 1
        report = (tmp_path / "run" / "report.md").read_text()
        n = 3 * counts["faults"]
        assert f"| {n} ({counts['faults']} / {counts['faults']} / {counts['faults']}) |" in report

    # the same records as data for a critic built apart (distill.critic): every label the strict check's
    questions = {q.prompt: q for q in load_prompts(prompts)}
    labelled = answers_from_runs([tmp_path / "run"], list(questions.values()), {}, heldout_share=0.5, split_seed=0)
    assert len(labelled) == len(samples) == 12
    for r, a in zip(samples, labelled):
        assert (a["prompt"], a["answer"]) == (r["prompt"], r["answer"])
        assert a["right"] == r["answer_passed"] == questions[r["prompt"]].check(r["answer"], strict=True)

    bare = tmp_path / "bare"
    bare.mkdir()
    plain = bare / "prompts.jsonl"
    plain.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in ("Name a colour.", "Say hello.")))
    cfg = write_config(bare, str(default_folder), teacher="self", prompts=str(plain), rounds=1,
                       prompts_per_round=2, train={"critic_share": 0.3, "sft": {"max_steps": 1}},
                       eval_sets=[str(ROOT / "data" / "eval" / "facts.jsonl")])
    manifest = run(RunConfig.load(cfg))
    assert manifest.rounds[0].train_metrics["critic"]["skipped"] == "no checked records"
    assert "skipped: no checked records" in (bare / "run" / "report.md").read_text()


def test_a_finished_run_given_a_larger_budget_goes_on(tmp_path, tiny_folder):
    """1 round, then --rounds 2: the same records as a 2-round run from the start; the same or a
    smaller budget again: finished, nothing redone."""
    from dataclasses import replace

    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    def config(folder: Path, rounds: int) -> RunConfig:
        folder.mkdir(exist_ok=True)
        return RunConfig.load(write_config(folder, str(tiny_folder), teacher="fakes:FixerTeacher", rounds=rounds,
                                           max_rounds_per_stage=2, replay_heldout=None))

    short = config(tmp_path / "a", 1)
    assert run(short).status == "finished"
    extended = run(replace(short, rounds=2))
    assert extended.status == "finished" and len(extended.rounds) == 2
    whole = run(config(tmp_path / "b", 2))

    def strip(rows):
        return [{k: v for k, v in r.items() if k not in ("time", "seconds", "usage")} for r in rows]

    for n in (1, 2):
        a = strip(read_records(tmp_path / "a" / "run" / f"round-{n:02d}" / "samples.jsonl"))
        b = strip(read_records(tmp_path / "b" / "run" / f"round-{n:02d}" / "samples.jsonl"))
        assert a == b
    assert [m["gold_accuracy"] for m in extended.history] == [m["gold_accuracy"] for m in whole.history]
    assert yaml.safe_load((tmp_path / "a" / "run" / "config.yaml").read_text())["rounds"] == 2
    again = run(replace(short, rounds=1))
    assert again.status == "finished" and len(again.rounds) == 2 and again.history == extended.history


@pytest.mark.parametrize("train, said", [
    ({"critic_share": 1.0}, "section train: critic_share must be in [0, 1), got 1.0"),
    ({"critic_share": -0.1}, "section train: critic_share must be in [0, 1), got -0.1"),
    # an option of the objectives with an SFT step: not of one without
    ({"critic_share": 0.3, "objective": "grpo"},
     "key train.critic_share: an option of objective sft, sft_then_dpo, not of 'grpo'"),
])
def test_a_bad_critic_share_is_one_line_naming_it(tmp_path, train, said):
    from distill.config import RunConfig
    from distill.errors import ConfigError

    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({"train": train}))
    with pytest.raises(ConfigError) as e:
        RunConfig.load(path)
    assert str(e.value) == f"{path}: {said}"
