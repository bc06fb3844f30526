"""Round 0 scored once: a second run with the same model, eval files and settings reuses round 0's
gold evaluation and held-out loss; a changed file or setting misses the cache."""

from __future__ import annotations

import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(tmp_path: Path, name: str, student: Path, eval_file: Path, **extra):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run
    from distill.loop.display import PlainDisplay

    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:2]))
    cfg = RunConfig.from_data({"run_dir": str(tmp_path / name), "student": str(student), "teacher": "fakes:FixerTeacher",
                               "rounds": 1, "prompts_per_round": 2, "approval_items": 1, "replay_heldout": str(heldout),
                               "eval_sets": [str(eval_file)], "answer": {"max_new_tokens": 4},
                               "critique": {"max_new_tokens": 4}, "revision": {"max_new_tokens": 4},
                               "eval": {"limit": 3, "max_new_tokens": 4}, "train": {"sft": {"max_steps": 1}}, **extra})
    out = io.StringIO()
    manifest = run(cfg, PlainDisplay(out))
    return manifest, out.getvalue()


def test_a_second_run_reuses_round_0_and_a_changed_setting_does_not(tmp_path, tiny_folder, monkeypatch):
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    eval_file = tmp_path / "facts.jsonl"
    eval_file.write_text((ROOT / "data" / "eval" / "facts.jsonl").read_text())
    first, log1 = run_once(tmp_path, "one", tiny_folder, eval_file)
    second, log2 = run_once(tmp_path, "two", tiny_folder, eval_file)
    assert "reused from an earlier run" not in log1 and "reused from an earlier run" in log2
    assert log2.index("reused from an earlier run") < log2.index("round 1")  # round 0 was not evaluated again
    for key in ("gold_accuracy", "heldout_loss", "sets"):
        assert first.history[0][key] == second.history[0][key]
    # a changed eval file misses, and so does a changed setting
    eval_file.write_text("".join(eval_file.read_text().splitlines(keepends=True)[1:]))
    _, log3 = run_once(tmp_path, "three", tiny_folder, eval_file)
    _, log4 = run_once(tmp_path, "four", tiny_folder, eval_file, eval={"limit": 2, "max_new_tokens": 4})
    assert "reused from an earlier run" not in log3 and "reused from an earlier run" not in log4
    assert not list((tmp_path / "cache" / "round0").glob("*.tmp"))  # entries are whole or absent
