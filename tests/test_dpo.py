"""Constitutional AI's second phase: preference pairs from the records, DPO with LoRA on the real
student, the DPO objectives through the loop, and ``distill export``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from distill.curate.pairs import pairs_from_samples, read_pairs
from distill.curate.rows import preference_mix
from distill.errors import DataError
from distill.store.records import Sample

ROOT = Path(__file__).resolve().parents[1]


def sums(pairs: list[tuple[int, int]]) -> list[dict]:
    """'What is a + b?' with the right sum chosen over a sum that is one off."""
    return [{"prompt": [{"role": "user", "content": f"What is {a} + {b}?"}],
             "chosen": [{"role": "assistant", "content": f"{a} + {b} = {a + b}."}],
             "rejected": [{"role": "assistant", "content": f"{a} + {b} = {a + b + 1}."}]} for a, b in pairs]


def margin(student, pairs: list[dict]) -> float:
    """Mean log-likelihood of chosen minus rejected, as the assistant's reply to the prompt."""
    total = 0.0
    for p in pairs:
        chosen, rejected = student.continuation_logprobs(p["prompt"], [p["chosen"][0]["content"], p["rejected"][0]["content"]])
        total += chosen - rejected
    return total / len(pairs)


def test_pairs_come_from_kept_faults_and_checks_must_agree():
    def s(i, **kw):
        return Sample(**{"round": 1, "index": i, "prompt": f"q{i}", "answer": "a", "verdict": "fault", "revision": "r",
                         "kept": True, **kw})
    records = [s(0), s(1, answer_passed=False, revision_passed=True), s(2, kept=False),
               s(3, verdict="no_fault", answer_passed=True), s(4, answer_passed=True, revision_passed=True)]
    pairs = pairs_from_samples(records)
    assert [(p["index"], p["checked"]) for p in pairs] == [(0, False), (1, True)]
    assert pairs[1]["chosen"] == [{"role": "assistant", "content": "r"}]
    assert pairs[1]["rejected"] == [{"role": "assistant", "content": "a"}]
    mixed = preference_mix(pairs, [{"prompt": [{"role": "user", "content": "x"}],
                                     "completion": [{"role": "assistant", "content": "y"}]}])
    imitation = [r for r in mixed if r["chosen"] == r["rejected"]]
    assert len(mixed) == 3 and imitation == [{"prompt": [{"role": "user", "content": "x"}],
                                              "chosen": [{"role": "assistant", "content": "y"}],
                                              "rejected": [{"role": "assistant", "content": "y"}]}]


def test_a_hand_edited_pairs_file_is_checked(tmp_path):
    path = tmp_path / "pairs.jsonl"
    good = sums([(2, 3)])[0]
    path.write_text(json.dumps(good) + "\n" + json.dumps({k: v for k, v in good.items() if k != "rejected"}) + "\n")
    with pytest.raises(DataError, match=r"pairs.jsonl, line 2: field 'rejected': missing"):
        read_pairs(path)
    path.write_text(json.dumps({**good, "chosen": "just text"}) + "\n")
    with pytest.raises(DataError, match=r"line 1: field 'chosen': must be a non-empty list"):
        read_pairs(path)


def test_dpo_raises_the_margin_on_its_pairs_and_on_held_out_ones(tmp_path, default_folder):
    from distill.model.resolve import load_model
    from distill.model.student import Student
    from distill.train.config import TrainConfig
    from distill.train.lora import train_lora

    train = sums([(2, 3), (4, 5), (6, 2), (7, 1), (3, 8), (5, 5), (9, 4), (6, 6)])
    held_out = sums([(3, 4), (8, 1), (2, 9), (5, 7)])
    model, tok = load_model(default_folder)  # our own copy: trained in place
    before = Student("before", model=model, tokenizer=tok)
    m_train, m_held = margin(before, train), margin(before, held_out)
    config = TrainConfig(objective="dpo", num_threads=1, dpo={
        "max_steps": 8, "learning_rate": 5e-4, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 1,
        "loss_type": ["sigmoid"], "loss_weights": None})
    result = train_lora(model, tok, {"dpo": train}, tmp_path / "round", config, quiet=True)
    after = Student(result.model_dir, model=result.model, tokenizer=result.tokenizer)
    gain_train, gain_held = margin(after, train) - m_train, margin(after, held_out) - m_held
    print(f"\nDPO margin gain: trained pairs {gain_train:+.2f} nats, held-out pairs {gain_held:+.2f} nats")
    assert gain_train > 1.0 and gain_held > 0.5
    assert {e["objective"] for e in result.log_history} == {"dpo"} and result.loss_history
    # the merged folder is the model that was in memory: it generates the same text
    reloaded = Student(result.model_dir)
    asks = ["What is 3 + 4?", "Name a colour."]
    assert [c.text for c in reloaded.generate(asks, max_new_tokens=12)] == [c.text for c in after.generate(asks, max_new_tokens=12)]
    assert not any(n.startswith("adapter_") for n in (p.name for p in result.model_dir.iterdir()))
    assert (result.adapter_dir / "adapter_config.json").is_file()
    assert not (result.adapter_dir / "ref").exists()  # DPO's frozen reference is not saved


def loop_config(tmp_path: Path, student: Path, **extra) -> Path:
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:4]))
    cfg = {"run_dir": str(tmp_path / "run"), "student": str(student), "teacher": "fakes:FixerTeacher",
           "rounds": 1, "prompts_per_round": 4, "chunk_size": 2, "approval_items": 2, "replay_heldout": str(heldout),
           "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")],
           "answer": {"max_new_tokens": 8}, "critique": {"max_new_tokens": 8}, "revision": {"max_new_tokens": 8},
           "eval": {"limit": 2, "max_new_tokens": 8}, **extra}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("objective", ["dpo", "sft_then_dpo"])
def test_dpo_objectives_through_the_loop_and_export(tmp_path, tiny_folder, monkeypatch, capsys, objective):
    from datasets import load_from_disk

    from distill.config import RunConfig
    from distill.loop.bootstrap import run
    from distill.ui.cli import main

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = loop_config(tmp_path, tiny_folder, train={"objective": objective, "sft": {"max_steps": 1},
                                                    "dpo": {"max_steps": 2}})
    manifest = run(RunConfig.load(cfg))
    run_dir = tmp_path / "run"
    pairs = read_pairs(run_dir / "round-01" / "pairs.jsonl")
    assert len(pairs) == 4 and not any(p["checked"] for p in pairs)  # the fixer's word, no reference
    summary = manifest.rounds[0]
    assert summary.objective == objective and summary.pairs == 4 and summary.train_note is None
    logged = json.loads((run_dir / "round-01" / "train" / "log_history.json").read_text())["log_history"]
    assert {e["objective"] for e in logged} == ({"dpo"} if objective == "dpo" else {"sft", "dpo"})
    assert f"| {objective} |" in (run_dir / "report.md").read_text()

    for kind, columns in (("dpo", {"prompt", "chosen", "rejected"}), ("sft", {"prompt", "completion"})):
        assert main(["export", str(run_dir), "--kind", kind, "--out", str(tmp_path / f"export-{kind}")]) == 0
        ds = load_from_disk(str(tmp_path / f"export-{kind}"))
        assert set(ds.column_names) == columns and len(ds) == 4
        assert ds[0]["prompt"][0]["role"] == "user"
        card = (tmp_path / f"export-{kind}" / "README.md").read_text()
        assert "fakes:FixerTeacher" in card and "Rows: 4" in card
        assert len((tmp_path / f"export-{kind}" / "data.jsonl").read_text().splitlines()) == 4
    assert main(["export", str(run_dir), "--kind", "dpo", "--out", str(tmp_path / "export-dpo")]) == 2
    assert "exists and is not empty" in capsys.readouterr().err


def test_a_round_without_pairs_skips_dpo_and_says_so(tmp_path, tiny_folder, monkeypatch):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    # the arithmetic checker finds nothing to check in facts prompts: no fault, no pair
    facts = tmp_path / "facts.jsonl"
    facts.write_text("\n".join((ROOT / "data" / "train" / "facts.jsonl").read_text().splitlines()[:4]) + "\n")
    cfg = loop_config(tmp_path, tiny_folder, teacher="arithmetic", prompts=str(facts),
                      train={"objective": "dpo", "dpo": {"max_steps": 1}})
    manifest = run(RunConfig.load(cfg))
    assert manifest.status == "finished" and manifest.rounds[0].pairs == 0
    assert "DPO skipped" in manifest.rounds[0].train_note
    assert not (tmp_path / "run" / "round-01" / "model").exists()
    assert "DPO skipped" in (tmp_path / "run" / "report.md").read_text()
