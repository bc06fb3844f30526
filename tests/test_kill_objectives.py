"""SIGKILL in the middle of the other objectives' training (DPO, GRPO, on-policy distillation), then resume: the run ends
exactly as an uninterrupted one does (see test_kill_sweep.py; its own module so that a parallel
worker takes it)."""

from __future__ import annotations

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
