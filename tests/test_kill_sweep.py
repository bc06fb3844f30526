"""SIGKILL at named points of a real run (records half-appended, mid-training, a model folder
written but not yet renamed, the manifest being replaced), then resume: the run ends exactly as an
uninterrupted one does, nothing lost or duplicated. The full sweep is bench/kill_sweep.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# loaded by path: bench/ holds scripts, and putting it on sys.path would shadow packages
_spec = importlib.util.spec_from_file_location("kill_sweep", ROOT / "bench" / "kill_sweep.py")
kill_sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kill_sweep)
sweep = kill_sweep.sweep

pytestmark = pytest.mark.slow


def test_kills_at_every_kind_of_write_resume_to_the_same_run(tmp_path, tiny_folder):
    rows = sweep(["append", "train_step", "folder_written", "replace:manifest.json"], 1, tmp_path, tiny_folder, rounds=1)
    assert all(r["killed"] for r in rows), rows  # each kill really happened at its point
    assert [(r["point"], r["lost"], r["duplicated"], r["failed_resume"]) for r in rows] == [
        (r["point"], 0, 0, False) for r in rows]
