"""Training past one process: the round's training under torchrun (2 CPU processes, gloo), TRL
doing the distribution, the main process alone writing the merged model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from distill.errors import RunFailed

ROOT = Path(__file__).resolve().parents[1]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]


def job(folder: Path, model: str, **sft) -> Path:
    """A worker job: 32 replay examples, 8 per optimizer step however many processes share them."""
    from distill.data.instructions import load_instructions

    rows = load_instructions(ROOT / "data" / "replay.jsonl").select(range(32)).to_list()
    folder.mkdir(parents=True)
    (folder / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = {"sft": {"max_steps": 4, "learning_rate": 2e-4, **sft}}
    path = folder / "job.json"
    path.write_text(json.dumps({"model": model, "out_dir": str(folder), "config": config,
                                "rows": {"sft": str(folder / "sft.jsonl")}}))
    return path


def worker(command: list[str], job_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([*command, "-m", "distill.train.worker", str(job_path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    results = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(results) == 1, out.stdout  # one process (the main one) wrote the model
    return results[0]


def test_two_processes_train_like_one(tmp_path, tiny_folder):
    # the launcher's plumbing (sharding, gradient sync, one merged folder): the tiny model shows it
    one = worker([sys.executable], job(tmp_path / "one", str(tiny_folder),
                                       per_device_train_batch_size=2, gradient_accumulation_steps=4))
    two = worker(TORCHRUN, job(tmp_path / "two", str(tiny_folder),
                               per_device_train_batch_size=1, gradient_accumulation_steps=4))
    print(f"\nloss over 4 steps: 1 process {one['train_loss']:.4f}, 2 processes {two['train_loss']:.4f}")
    assert one["steps"] == two["steps"] == 4
    assert two["train_loss"] == pytest.approx(one["train_loss"], rel=0.1)
    from distill.model.student import Student
    from distill.store.atomic import is_complete

    model_dir = Path(two["model_dir"])
    assert is_complete(model_dir) and not [p for p in model_dir.parent.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    [answer] = Student(model_dir).generate(["What is the capital of France?"], max_new_tokens=8)
    assert answer.ok and answer.completion_tokens >= 1  # the merged folder loads and generates


def test_a_round_trains_under_a_launcher(tmp_path, tiny_folder, monkeypatch):
    import yaml

    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = {"run_dir": str(tmp_path / "run"), "student": str(tiny_folder), "teacher": "fakes:FixerTeacher", "rounds": 1,
           "prompts_per_round": 4, "approval_items": 1, "replay_heldout": None,
           "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")], "eval": {"limit": 1, "max_new_tokens": 4},
           "answer": {"max_new_tokens": 4}, "critique": {"max_new_tokens": 4}, "revision": {"max_new_tokens": 4},
           "train": {"launcher": " ".join(TORCHRUN), "sft": {"max_steps": 2, "per_device_train_batch_size": 1}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    manifest = run(RunConfig.load(tmp_path / "c.yaml"))
    round_dir = tmp_path / "run" / "round-01"
    assert manifest.status == "finished" and manifest.rounds[0].train_loss is not None
    assert (round_dir / "model" / "README.md").is_file() and (round_dir / "train" / "job.json").is_file()
    # a launcher that fails is one line naming the log
    shutil.rmtree(tmp_path / "run")
    cfg["train"]["launcher"] = f"{sys.executable} -c 'import sys; sys.exit(3)'"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))

    with pytest.raises(RunFailed, match=r"round 1: training under .* failed \(exit 3\).*worker.log"):
        run(RunConfig.load(tmp_path / "c.yaml"))


def test_a_distillation_round_trains_under_a_launcher(tmp_path, tiny_folder, monkeypatch):
    """On-policy distillation under torchrun: each process samples and distills its share of the
    prompts, the context teacher reading the kept targets; the main process measures the teacher,
    logs its answers and writes the merged model."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = {"run_dir": str(tmp_path / "run"), "student": str(tiny_folder), "teacher": "fakes:FixerTeacher", "rounds": 1,
           "prompts_per_round": 4, "approval_items": 1, "replay_heldout": None,
           "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")], "eval": {"limit": 1, "max_new_tokens": 4},
           "answer": {"max_new_tokens": 4}, "critique": {"max_new_tokens": 4}, "revision": {"max_new_tokens": 4},
           "train": {"objective": "distill", "launcher": " ".join(TORCHRUN), "sft": {"max_steps": 1},
                     "distill": {"max_steps": 2, "per_device_train_batch_size": 1, "gradient_accumulation_steps": 1,
                                 "max_completion_length": 4}}}
    manifest = run(RunConfig.from_data(cfg))
    round_dir = tmp_path / "run" / "round-01"
    assert manifest.status == "finished"
    m = manifest.rounds[0].train_metrics
    assert m["steps"] == 2 and m["distilled_tokens"] > 0 and "teacher" not in m  # no references: nothing to check
    assert (round_dir / "model" / "README.md").is_file() and (round_dir / "train" / "job.json").is_file()
