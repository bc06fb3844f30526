"""The loop's parts that need no model: near-duplicates, filters, durable records, config, prompts."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from distill.dedupe import NearDuplicateIndex, rouge_l
from distill.filters import PairFilter
from distill.prompts import PromptDataError, load_prompts, sample_round
from distill.runfolder import append_records, read_records

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


def _rec(**kw):
    base = dict(prompt="Why is the sky blue?", answer="Because of the sea.", verdict="fault",
                revision="Sunlight scatters off air molecules; blue light scatters most.", revision_finish="stop")
    return {**base, **kw}


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
        (_rec(), None),
        (_rec(answer="Nine.", revision="The answer is 8 apples: 3 plus 5."), None),
    ],
)
def test_filter_reasons(record, reason):
    out = PairFilter().apply(record)
    assert out["drop_reason"] == reason
    assert out["kept"] is (reason is None)


def test_near_duplicate_prompt_dropped_after_first_kept():
    f = PairFilter()
    assert f.apply(_rec(prompt="Why is the sky blue during the day?"))["kept"]
    second = f.apply(_rec(prompt="Why is the sky blue in the day?"))
    assert not second["kept"] and second["drop_reason"].startswith("near-duplicate prompt (ROUGE-L")


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
    from distill.config import ConfigError, RunConfig

    cfg = RunConfig(rounds=3)
    cfg.train.learning_rate = 1e-4
    cfg.answer.max_new_tokens = 40
    cfg.save(tmp_path / "c.yaml")
    back = RunConfig.load(tmp_path / "c.yaml")
    assert back == cfg
    (tmp_path / "bad.yaml").write_text("rounds: 2\ntrain:\n  learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: key train.learning_rat: unknown key"):
        RunConfig.load(tmp_path / "bad.yaml")
    (tmp_path / "bad2.yaml").write_text("rounds: two\n")
    with pytest.raises(ConfigError, match=r"bad2.yaml: key rounds: expected int"):
        RunConfig.load(tmp_path / "bad2.yaml")


def test_prompts_formats_and_errors(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps({"instruction": "Translate", "input": "chat"}) + "\n"
                 + json.dumps({"messages": [{"role": "user", "content": "Hi?"}]}) + "\n"
                 + json.dumps({"question": "2+2?", "answer": "4"}) + "\n")
    items = load_prompts(p)
    assert [i.prompt for i in items] == ["Translate\n\nchat", "Hi?", "2+2?"]
    assert items[2].reference == "4"
    (tmp_path / "bad.jsonl").write_text('{"prompt": "ok"}\n{"text": "no prompt here"}\n')
    with pytest.raises(PromptDataError, match=r"bad.jsonl, line 2: no prompt field"):
        load_prompts(tmp_path / "bad.jsonl")


def test_round_sampling_is_deterministic_and_fresh():
    from distill.prompts import PromptItem

    pool = [PromptItem(f"q{i}") for i in range(20)]
    a = sample_round(pool, 8, 1, 0, set(), True)
    assert a == sample_round(pool, 8, 1, 0, set(), True)
    b = sample_round(pool, 8, 2, 0, {p.prompt for p in a}, True)
    assert not {p.prompt for p in a} & {p.prompt for p in b}


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
    from distill.loop import BootstrapLoop

    loop = BootstrapLoop(RunConfig(run_dir=str(tmp_path / "run"), rounds=2, max_rounds_per_stage=2))
    manifest = {"status": "running", "stage_index": 0, "rounds_in_stage": rounds_in_stage, "replay_share": 0.5,
                "rounds": [{"round": 1, "stage": "contradictions", "fault_rate": 0.5},
                           {"round": 2, "stage": "contradictions", "fault_rate": 0.5}],
                "history": [_metrics(0), _metrics(1), _metrics(2)]}
    loop._decide(manifest)
    assert (manifest["decision"]["action"], manifest["status"], manifest["stage_index"]) == expect
    assert "round budget of 2" in manifest["decision"]["reason"]


def test_stage_ends_after_its_rounds_when_budget_remains(tmp_path):
    from distill.config import RunConfig
    from distill.loop import BootstrapLoop

    loop = BootstrapLoop(RunConfig(run_dir=str(tmp_path / "run"), rounds=4, max_rounds_per_stage=2))
    manifest = {"status": "running", "stage_index": 0, "rounds_in_stage": 2, "replay_share": 0.5,
                "rounds": [{"round": 1, "stage": "contradictions", "fault_rate": 0.5},
                           {"round": 2, "stage": "contradictions", "fault_rate": 0.5}],
                "history": [_metrics(0), _metrics(1), _metrics(2)]}
    loop._decide(manifest)
    assert manifest["decision"]["action"] == "next_stage" and manifest["stage_index"] == 1
    assert manifest["status"] == "running" and manifest["rounds_in_stage"] == 0
