"""The loop's parts that need no model: near-duplicates, filters, durable records, config, prompts."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from distill.curate.filters import SampleFilter
from distill.data.dedupe import NearDuplicateIndex, rouge_l
from distill.data.prompts import load_prompts, sample_round
from distill.data.questions import Question
from distill.errors import ConfigError, DataError
from distill.store.jsonl import append_records, read_records
from distill.store.records import Manifest, RoundSummary, Sample

ROOT = Path(__file__).resolve().parents[1]
WORDS = "the cat dog sat on a mat river blue sky sun moon eat red green big small fast slow tree".split()


def test_index_matches_brute_force_rouge_l():
    rng = random.Random(0)
    pool = [" ".join(rng.choices(WORDS, k=rng.randint(3, 12))) for _ in range(300)]
    index = NearDuplicateIndex(0.7)
    for p in pool:
        index.add(p)
    for _ in range(60):
        q = " ".join(rng.choices(WORDS, k=rng.randint(3, 12)))
        brute = max(rouge_l(p, q) for p in pool)
        match, score = index.closest(q)
        if brute >= 0.7:
            assert score == pytest.approx(brute)
        else:
            assert score < 0.7
        assert index.is_duplicate(q)[0] == (brute >= 0.7)


def _rec(**kw) -> Sample:
    base = dict(round=1, index=0, prompt="Why is the sky blue?", answer="Because of the sea.", verdict="fault",
                revision="Sunlight scatters off air molecules; blue light scatters most.", revision_finish="stop")
    return Sample(**{**base, **kw})


@pytest.mark.parametrize(
    "record, reason",
    [
        (_rec(verdict="unparseable"), "verdict unparseable"),
        (_rec(verdict="no_fault"), "no fault found"),
        (_rec(revision="  "), "revision empty"),
        (_rec(revision="because of the  SEA."), "revision unchanged"),
        (_rec(revision_finish="length"), "revision cut off at the token limit"),
        (_rec(revision="The request is not contradictory, it is a positive step."), "revision comments instead of answering"),
        (_rec(revision="Revised answer: the sky is blue because air scatters blue light."), "revision comments instead of answering"),
        (_rec(revision="Sunlight scatters; the critique was right that the sea is not the cause."), "revision comments instead of answering"),
        (_rec(revision="blue sky blue sky " * 20), "degenerate repetition"),
        (_rec(revision=" ".join(f"word{i}" for i in range(80))), "far longer than needed"),
        (_rec(revision_passed=False), "revision still disagrees with the reference"),
        # a verified answer is trained on as it is, unless it was cut off
        (_rec(verdict="no_fault", answer_passed=True, revision=None), None),
        (_rec(verdict="no_fault", answer_passed=True, answer_finish="length"), "answer cut off at the token limit"),
        (_rec(verdict="no_fault", answer_passed=False), "no fault found"),
        (_rec(), None),
        (_rec(answer="Nine.", revision="The answer is 8 apples: 3 plus 5.", revision_passed=True), None),
    ],
)
def test_filter_reasons(record, reason):
    out = SampleFilter().apply(record)
    assert out.drop_reason == reason
    assert out.kept is (reason is None)
    assert out.target == (None if reason else out.revision if out.verdict == "fault" else out.answer)


def test_verified_answers_are_not_kept_when_switched_off():
    from distill.curate.filters import FilterConfig

    out = SampleFilter(FilterConfig(keep_verified=False)).apply(_rec(verdict="no_fault", answer_passed=True))
    assert not out.kept and out.drop_reason == "no fault found"


def test_near_duplicate_prompt_dropped_after_first_kept():
    f = SampleFilter()
    assert f.apply(_rec(prompt="Why is the sky blue during the day?")).kept
    second = f.apply(_rec(prompt="Why is the sky blue in the day?"))
    assert not second.kept and second.drop_reason.startswith("near-duplicate prompt (ROUGE-L")
    # checked pairs answer their own (templated) questions: not duplicates of each other
    assert f.apply(_rec(prompt="Is F the chemical symbol for fluorine?", verdict="no_fault", answer_passed=True)).kept
    assert f.apply(_rec(prompt="Is N the chemical symbol for calcium?", verdict="no_fault", answer_passed=True)).kept
    assert not f.apply(_rec(prompt="Is N the chemical symbol for calcium?")).kept  # unchecked: still a duplicate


def test_records_keep_unknown_keys_and_read_old_ones():
    old = {"round": 1, "index": 3, "prompt": "p", "answer": "a", "verdict": "fault", "revision": "r", "kept": True,
           "drop_reason": None, "from_the_future": [1, 2]}
    s = Sample.from_json(old)
    assert s.target == "r" and s.extra == {"from_the_future": [1, 2]}  # old records trained on the revision
    assert Sample.from_json(s.to_json()) == s and s.to_json()["from_the_future"] == [1, 2]
    m = Manifest.from_json({"status": "finished", "best_round": 2, "decision": {"reason": "why", "warnings": ["w"]},
                            "rounds": [], "history": [], "note": "kept"})
    assert m.finished and m.reason == "why" and m.warnings == ["w"] and m.to_json()["note"] == "kept"


def test_torn_last_line_is_cut_and_appending_continues(tmp_path):
    path = tmp_path / "samples.jsonl"
    append_records(path, [{"index": 0}, {"index": 1}])
    with open(path, "a") as f:
        f.write('{"index": 2, "prom')  # a write killed midway
    assert [r["index"] for r in read_records(path)] == [0, 1]
    append_records(path, [{"index": 2}])
    assert [r["index"] for r in read_records(path)] == [0, 1, 2]


def test_corrupt_middle_line_names_the_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    with pytest.raises(ValueError, match=r"samples.jsonl, line 2: not valid JSON"):
        read_records(path)


def test_config_roundtrip_and_errors(tmp_path):
    from distill.config import RunConfig

    cfg = RunConfig(rounds=3, prompts=["a.jsonl", "b.jsonl"])
    cfg.train.sections["sft"]["learning_rate"] = 1e-4
    cfg.answer.max_new_tokens = 40
    cfg.save(tmp_path / "c.yaml")
    back = RunConfig.load(tmp_path / "c.yaml")
    assert back == cfg and back.prompt_files == ["a.jsonl", "b.jsonl"]
    (tmp_path / "bad.yaml").write_text("rounds: 2\ntrain:\n  lora_rank: 8\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: key train.lora_rank: unknown key"):
        RunConfig.load(tmp_path / "bad.yaml")
    (tmp_path / "bad3.yaml").write_text("answer: {num_samples: 4}\n")
    with pytest.raises(ConfigError, match=r"bad3.yaml: section answer: num_samples > 1 needs temperature > 0"):
        RunConfig.load(tmp_path / "bad3.yaml")
    (tmp_path / "bad2.yaml").write_text("rounds: two\n")
    with pytest.raises(ConfigError, match=r"bad2.yaml: key rounds: expected int"):
        RunConfig.load(tmp_path / "bad2.yaml")


def test_prompts_formats_and_errors(tmp_path):
    p = tmp_path / "p.jsonl"
    rows = [{"instruction": "Translate", "input": "chat"},
            {"messages": [{"role": "user", "content": "Hi?"}]},
            {"question": "2+2?", "answer": "4"},
            {"prompt": "Ben has 3 and gets 2. How many?", "answer": "3 + 2 = 5\n#### 5"},
            {"question": "Is ice cold?", "answer": True},
            {"question": "Capital of Peru?", "aliases": ["Lima", "Ciudad de los Reyes"]},
            {"instruction": "Describe the sea.", "output": "The sea is a large body of salt water covering most of the planet."}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = load_prompts(p)
    assert [i.prompt for i in items] == ["Translate\n\nchat", "Hi?", "2+2?", rows[3]["prompt"], "Is ice cold?",
                                         "Capital of Peru?", "Describe the sea."]
    assert [i.format for i in items] == [None, None, "short", "gsm8k", "yesno", "short", "text"]
    assert [i.reference for i in items] == [None, None, "4", "3 + 2 = 5\n#### 5", "yes", "Lima | Ciudad de los Reyes",
                                            rows[6]["output"]]
    # a reference is checked by the evaluation's rules; free text is shown, never checked
    assert items[3].check("3 plus 2 makes 5.") and not items[3].check("It is 6.")
    assert items[4].check("Yes, it is.") and items[5].check("The capital is Lima.")
    assert not items[6].checkable and not items[0].checkable
    # what a round saves in prompts.json reads back the same
    assert [Question.from_json(i.to_json()) for i in items] == items
    (tmp_path / "bad.jsonl").write_text('{"prompt": "ok"}\n{"text": "no prompt here"}\n')
    with pytest.raises(DataError, match=r"bad.jsonl, line 2: field 'question': missing"):
        load_prompts(tmp_path / "bad.jsonl")
    (tmp_path / "badref.jsonl").write_text('{"prompt": "ok", "answer": "#### 4"}\n{"prompt": "q", "answer": [[1], 2]}\n')
    with pytest.raises(DataError, match=r"badref.jsonl, line 2: field 'answer' \(short format\): must be a "
                                               r"string, a number or a non-empty list of strings, got list"):
        load_prompts(tmp_path / "badref.jsonl")


def test_round_sampling_is_deterministic_and_fresh():
    pool = [Question(f"q{i}") for i in range(20)]
    a = sample_round(pool, 8, 1, 0, set(), True)
    assert a == sample_round(pool, 8, 1, 0, set(), True)
    b = sample_round(pool, 8, 2, 0, {p.prompt for p in a}, True)
    assert not {p.prompt for p in a} & {p.prompt for p in b}


@pytest.mark.slow
@pytest.mark.parametrize("recipe", sorted(p.name for p in (ROOT / "recipes").glob("*.py")))
def test_every_recipe_has_help(recipe):
    out = subprocess.run([sys.executable, f"recipes/{recipe}", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "usage:" in out.stdout
    if recipe not in ("self_instruct.py",):
        for flag in ("--run-dir", "--student", "--rounds", "--prompts", "--seed"):
            assert flag in out.stdout, f"{recipe} lacks the common flag {flag}"


def _metrics(n: int, acc: float = 0.5) -> dict:
    return {"round": n, "gold_accuracy": acc, "gold_n": 100, "gold_correct": int(acc * 100),
            "approval_rate": 0.5, "heldout_loss": 2.0}


@pytest.mark.parametrize("rounds_in_stage, expect", [(1, ("stop", "finished", 0)), (2, ("stop", "finished", 0))])
def test_round_budget_ends_the_run_even_when_a_stage_ends(tmp_path, rounds_in_stage, expect):
    """A stage that ends on the last budgeted round must not start another round."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import BootstrapLoop

    loop = BootstrapLoop(RunConfig(run_dir=str(tmp_path / "run"), rounds=2, max_rounds_per_stage=2))
    manifest = Manifest(rounds_in_stage=rounds_in_stage, replay_share=0.5,
                        rounds=[RoundSummary(round=1, stage="contradictions", fault_rate=0.5),
                                RoundSummary(round=2, stage="contradictions", fault_rate=0.5)],
                        history=[_metrics(0), _metrics(1), _metrics(2)])
    loop.decide(manifest)
    assert (manifest.decision["action"], manifest.status, manifest.stage_index) == expect
    assert "round budget of 2" in manifest.reason


def test_stage_ends_after_its_rounds_when_budget_remains(tmp_path):
    from distill.config import RunConfig
    from distill.loop.bootstrap import BootstrapLoop

    loop = BootstrapLoop(RunConfig(run_dir=str(tmp_path / "run"), rounds=4, max_rounds_per_stage=2))
    manifest = Manifest(rounds_in_stage=2, replay_share=0.5,
                        rounds=[RoundSummary(round=1, stage="contradictions", fault_rate=0.5),
                                RoundSummary(round=2, stage="contradictions", fault_rate=0.5)],
                        history=[_metrics(0), _metrics(1), _metrics(2)])
    loop.decide(manifest)
    assert manifest.decision["action"] == "next_stage" and manifest.stage_index == 1
    assert manifest.status == "running" and manifest.rounds_in_stage == 0
