"""SIGKILL in the middle of the other objectives' training (DPO, GRPO, on-policy distillation) and
between the parts of a schedule, then resume: the run ends exactly as an uninterrupted one does (see
test_kill_sweep.py; its own module so that a parallel worker takes it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_kill_sweep import sweep  # bench/kill_sweep.py, loaded by path there

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_a_kill_mid_dpo_resumes_to_the_same_run(tmp_path, tiny_folder):
    rows = sweep(["train_step"], 1, tmp_path, tiny_folder, rounds=1,
                 train={"objective": "dpo", "dpo": {"max_steps": 3}})
    assert rows[0]["killed"] and (rows[0]["lost"], rows[0]["duplicated"], rows[0]["failed_resume"]) == (0, 0, False)


def test_a_kill_mid_grpo_resumes_to_the_same_run(tmp_path, tiny_folder):
    rows = sweep(["train_step"], 1, tmp_path, tiny_folder, rounds=1, prompts=str(ROOT / "data" / "train" / "yesno.jsonl"),
                 train={"objective": "grpo", "grpo": {"max_steps": 3, "num_generations": 2, "per_device_train_batch_size": 2,
                                                      "gradient_accumulation_steps": 1, "max_completion_length": 8}})
    assert rows[0]["killed"] and (rows[0]["lost"], rows[0]["duplicated"], rows[0]["failed_resume"]) == (0, 0, False)


def test_a_kill_mid_distillation_resumes_to_the_same_run(tmp_path, tiny_folder):
    rows = sweep(["train_step"], 1, tmp_path, tiny_folder, rounds=1, prompts=str(ROOT / "data" / "train" / "yesno.jsonl"),
                 train={"objective": "distill", "distill": {"max_steps": 3, "per_device_train_batch_size": 2,
                                                            "gradient_accumulation_steps": 1, "max_completion_length": 8}})
    assert rows[0]["killed"] and (rows[0]["lost"], rows[0]["duplicated"], rows[0]["failed_resume"]) == (0, 0, False)


def test_a_kill_between_the_parts_of_a_schedule_resumes_in_the_next_part(tmp_path, tiny_folder):
    """distill then grpo, killed as round 2 (the first GRPO round) writes its prompts: the resumed run
    trains round 1 by distillation and round 2 by GRPO, and ends as the uninterrupted one."""
    small = {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 1, "max_completion_length": 8}
    rows = sweep(["replace:prompts.json"], [2], tmp_path, tiny_folder, rounds=2,
                 prompts=str(ROOT / "data" / "train" / "yesno.jsonl"),
                 train={"schedule": ["distill", "grpo"], "distill": {"max_steps": 2, **small},
                        "sft": {"max_steps": 1}, "grpo": {"max_steps": 2, "num_generations": 2, **small}})
    for row in rows:
        assert row["killed"] and (row["lost"], row["duplicated"], row["failed_resume"]) == (0, 0, False), row
    manifest = json.loads((tmp_path / "reference" / "run" / "manifest.json").read_text())
    assert [r["objective"] for r in manifest["rounds"]] == ["distill", "grpo"]
    assert "reward_first" in manifest["rounds"][1]["train_metrics"]  # GRPO's own log, read by GRPO
    assert "divergence_first" in manifest["rounds"][0]["train_metrics"]
