"""The bootstrap loop end to end on the real embedded model, with the self, grounded and
arithmetic teachers (resuming after SIGKILL: test_kill_sweep.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from distill.store.jsonl import read_records

ROOT = Path(__file__).resolve().parents[1]

# A budget that exercises every phase in a couple of minutes on 2 CPU cores.
SMALL = {
    "rounds": 2,
    "prompts_per_round": 4,
    "chunk_size": 2,
    "approval_items": 3,
    "max_rounds_per_stage": 1,
    "answer": {"max_new_tokens": 24},
    "critique": {"max_new_tokens": 24},
    "revision": {"max_new_tokens": 32},
    "train": {"sft": {"max_steps": 2, "per_device_train_batch_size": 4}},
    "eval": {"limit": 2},
}


def write_config(tmp_path: Path, student: str, **extra) -> Path:
    # A few held-out examples are enough to show the forgetting measure works; all 40 cost minutes here.
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:6]))
    cfg = {**SMALL, "run_dir": str(tmp_path / "run"), "student": student, "replay_heldout": str(heldout), **extra}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_two_rounds_end_to_end(tmp_path, default_folder):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    config = RunConfig.load(write_config(tmp_path, str(default_folder)))
    manifest = run(config)
    run_dir = Path(config.run_dir)
    assert manifest.status in ("finished", "stopped", "converged")
    assert [m["round"] for m in manifest.history] == [0, 1, 2]
    # stages advance after max_rounds_per_stage: contradictions, then factual errors
    assert [r.stage for r in manifest.rounds] == ["contradictions", "factual errors"]
    for n in (1, 2):
        records = read_records(run_dir / f"round-{n:02d}" / "samples.jsonl")
        assert sorted(r["index"] for r in records) == list(range(4))
        for r in records:
            assert r["answer"] and r["critique"] is not None
            assert r["verdict"] in ("fault", "no_fault", "unparseable", "error")
            assert r["kept"] == (r["drop_reason"] is None)
        evald = json.loads((run_dir / f"round-{n:02d}" / "eval.json").read_text())["metrics"]
        assert 0 <= evald["gold_accuracy"] <= 1 and evald["heldout_loss"] > 0
        if any(r["kept"] for r in records):
            assert (run_dir / f"round-{n:02d}" / "model" / "config.json").is_file()
    m0 = manifest.history[0]
    assert m0["approval_rate"] is not None and m0["heldout_loss"] > 0
    assert manifest.reason and manifest.best_round in (0, 1, 2)
    report = (run_dir / "report.md").read_text()
    assert manifest.reason.split(";")[0] in report
    assert list((run_dir / "plots").glob("*.png"))
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["prompts_per_round"] == 4
    # the same command on a finished run does nothing more
    again = run(RunConfig.load(run_dir / "config.yaml"))
    assert again.history == manifest.history


def grounded_prompts(tmp_path: Path) -> Path:
    """Two prompts of each shipped training kind (with references) and one without a reference."""
    rows = []
    for kind in ("arithmetic", "facts", "yesno"):
        rows += (ROOT / "data" / "train" / f"{kind}.jsonl").read_text().splitlines()[:2]
    rows.append(json.dumps({"prompt": "Describe a quiet morning in two sentences."}))
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_grounded_round_with_the_real_student(tmp_path, default_folder):
    """grounded:self through a real round: answers with a reference are checked by the eval's rules, strictly (a hedge fails)
    (verified ones trained on as they are, wrong ones critiqued and revised with the reference and
    kept only if the revision passes); the prompt without one is critiqued without it."""
    from distill.config import RunConfig
    from distill.data.prompts import load_prompts
    from distill.loop.bootstrap import run

    prompts = grounded_prompts(tmp_path)
    cfg = write_config(tmp_path, str(default_folder), teacher="grounded:self", prompts=str(prompts), rounds=1,
                       prompts_per_round=7, chunk_size=7, eval_sets=[str(ROOT / "data" / "eval" / "arithmetic.jsonl")])
    manifest = run(RunConfig.load(cfg))
    assert manifest.status == "finished"
    questions = {q.prompt: q for q in load_prompts(prompts)}
    records = read_records(tmp_path / "run" / "round-01" / "samples.jsonl")
    assert len(records) == 7
    for r in records:
        q = questions[r["prompt"]]
        assert r["teacher"] == "grounded:self"
        if q.format is None:  # no reference: the self teacher's own verdict, nothing checked
            assert r["reference"] is None and r["check"] is None and r["answer_passed"] is None
            assert r["verdict_source"] in ("text", "likelihood")
            continue
        assert r["reference"] == q.reference and r["check"] == "reference"
        assert r["answer_passed"] == q.check(r["answer"], strict=True)
        assert r["verdict"] == ("no_fault" if r["answer_passed"] else "fault")
        if r["revision"] is not None:
            assert r["revision_passed"] == q.check(r["revision"], strict=True)
        if r["kept"]:
            source = r["answer"] if r["answer_passed"] else r["revision"]
            # as it is, unless the target review cut something (said in "cleaned"); either way it passes
            if not r["cleaned"]:
                assert r["target"] == source
            assert q.check(r["target"], strict=True)
            assert r["answer_passed"] or r["revision_passed"]
    summary = manifest.rounds[0]
    assert summary.ungrounded == 1 and summary.checked == 6
    assert summary.kept == sum(r["kept"] for r in records)
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| without reference |" in report and "decided by the reference check" in report


def test_arithmetic_verifier_round_trains_on_checked_corrections(tmp_path, tiny_folder):
    """The programmatic checker through a round: every answer is checked; wrong ones get the
    reference's worked solution as their correction, which passes the same check, and is trained on."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    arithmetic = tmp_path / "arithmetic.jsonl"
    arithmetic.write_text("\n".join((ROOT / "data" / "train" / "arithmetic.jsonl").read_text().splitlines()[:4]) + "\n")
    cfg = write_config(tmp_path, str(tiny_folder), teacher="arithmetic", prompts=str(arithmetic), rounds=1,
                       prompts_per_round=4, chunk_size=4, answer={"max_new_tokens": 8})
    manifest = run(RunConfig.load(cfg))
    records = read_records(tmp_path / "run" / "round-01" / "samples.jsonl")
    assert len(records) == 4 and all(r["check"] == "verifier" for r in records)
    for r in records:
        assert r["verdict"] == ("no_fault" if r["answer_passed"] else "fault")
        assert r["kept"] and (r["answer_passed"] or r["revision_passed"])
        if not r["answer_passed"]:  # a random tiny model's answer: corrected with the worked solution
            assert r["target"] == r["revision"] and r["revision"].endswith(f"The answer is {r['reference'].split('#### ')[1]}.")
    assert manifest.rounds[0].kept == 4 and manifest.rounds[0].train_loss is not None


def test_model_cards_and_tensorboard(tmp_path, tiny_folder, monkeypatch):
    """Every trained round's model/ has a model card; with report_to tensorboard, TRL's training
    steps and the loop's per-round metrics and decisions are in TensorBoard event files."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = write_config(tmp_path, str(tiny_folder), teacher="fakes:FixerTeacher", eval={"limit": 2, "max_new_tokens": 8},
                       answer={"max_new_tokens": 8}, critique={"max_new_tokens": 8}, revision={"max_new_tokens": 8},
                       train={"sft": {"max_steps": 2, "report_to": "tensorboard"}})
    manifest = run(RunConfig.load(cfg))
    run_dir = tmp_path / "run"
    for n in (1, 2):
        card = (run_dir / f"round-{n:02d}" / "model" / "README.md").read_text()
        assert card.startswith(f"---\nbase_model: {tiny_folder}\n") and f"# run, round {n}" in card
        assert "fakes:FixerTeacher" in card and "## The monitor's decision" in card
        assert f"distill run {run_dir / 'config.yaml'}" in card and "| all |" in card
    assert manifest.reason in card  # the last round's card carries the run's final decision
    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    gold = events.Scalars("round/gold_accuracy")
    assert [e.step for e in gold] == [0, 1, 2]
    assert [e.value for e in gold] == pytest.approx([m["gold_accuracy"] for m in manifest.history])
    assert [e.step for e in events.Scalars("round/kept")] == [1, 2] and "gold/facts" in events.Tags()["scalars"]
    assert events.Tensors("decision/text_summary") or "decision" in str(events.Tags())
    trl_logs = list((run_dir / "round-01" / "train").rglob("events.out.tfevents.*"))
    assert trl_logs  # TRL's own training logs went to the same tracker
    steps = EventAccumulator(str(trl_logs[0].parent))
    steps.Reload()
    assert len(steps.Scalars("train/loss")) == 2
