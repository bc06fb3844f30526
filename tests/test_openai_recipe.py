"""The loop with an OpenAI-compatible teacher: the recipe against a real server on 127.0.0.1, and a
teacher that fails mid-round keeps the finished records and is retried on resume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.register_assert_rewrite("servers")

from servers import Fault, fault_proxy  # noqa: E402

from distill.errors import RunFailed
from distill.store.folder import read_json
from distill.store.jsonl import read_records  # noqa: E402

pytest_plugins = ["servers"]
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

BUDGET = {
    "chunk_size": 2,
    "approval_items": 1,
    "answer": {"max_new_tokens": 8},
    "critique": {"max_new_tokens": 8},
    "revision": {"max_new_tokens": 8},
    "train": {"sft": {"max_steps": 1, "per_device_train_batch_size": 2}},
    "eval": {"limit": 1, "max_new_tokens": 8},
}


def test_openai_teacher_recipe_against_a_real_server(tmp_path, openai_server, tiny_folder):
    cfg = tmp_path / "budget.yaml"
    cfg.write_text(yaml.safe_dump(BUDGET))
    run_dir = tmp_path / "run"
    out = subprocess.run(
        [sys.executable, "recipes/openai_teacher.py", "--run-dir", str(run_dir), "--student", str(tiny_folder),
         "--rounds", "1", "--prompts", "2", "--config", str(cfg), "--plain",
         "--base-url", openai_server.base_url, "--teacher-model", openai_server.model, "--api-key-env", ""],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    records = read_records(run_dir / "round-01" / "samples.jsonl")
    assert len(records) == 2
    for r in records:
        assert r["teacher"] == f"openai:{openai_server.model}"
        assert r["critique"] and r["usage"]["critique"]["completion"] > 0  # came back from the server
    manifest = read_json(run_dir / "manifest.json")
    assert manifest["status"] == "finished" and "report.md" in out.stdout
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["teacher"] == "openai" and saved["teacher_kwargs"]["base_url"] == openai_server.base_url


def test_teacher_outage_keeps_finished_records_resumes_and_never_leaks_the_key(tmp_path, openai_server, tiny_folder,
                                                                             monkeypatch, caplog):
    """The teacher's server goes away for longer than the retry budget mid-round, then comes back:
    the run stops with the finished records saved, the same command finishes the round, and the
    API key is in no file of the run folder, no log line and no error text."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    secret = "sk-outage-" + "5b1e0c" * 6
    monkeypatch.setenv("DISTILL_OUTAGE_KEY", secret)
    caplog.set_level("DEBUG")
    with fault_proxy(openai_server.base_url) as proxy:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(yaml.safe_dump({
            **BUDGET, "run_dir": str(tmp_path / "run"), "student": str(tiny_folder), "rounds": 1,
            "prompts_per_round": 4, "teacher": "openai",
            "teacher_kwargs": {"base_url": proxy.base_url, "model": openai_server.model, "api_key_env": "DISTILL_OUTAGE_KEY",
                               "max_concurrency": 1, "max_retries": 1, "backoff_initial": 0.05, "backoff_jitter": 0.05},
        }))
        # requests in order: round 0's approval, chunk 0's two critiques, then the server is gone for
        # both attempts of chunk 1's first critique (a dropped connection, then a 503)
        proxy.inject(Fault.forward(), Fault.forward(), Fault.forward(), Fault.drop(), Fault.http(503))
        with pytest.raises(RunFailed, match=r"failed on 1 of 4 prompts .* 3 finished records are saved") as failure:
            run(RunConfig.load(cfg))
        run_dir = tmp_path / "run"
        samples = run_dir / "round-01" / "samples.jsonl"
        assert sorted(r["index"] for r in read_records(samples)) == [0, 1, 3]
        before = len(proxy.seen)
        manifest = run(RunConfig.load(run_dir / "config.yaml"))  # the server is back
        assert sorted(r["index"] for r in read_records(samples)) == [0, 1, 2, 3]
        assert manifest.status == "finished"
        # on resume only the failed prompt was critiqued again
        prompts = [p["prompt"] for p in read_json(run_dir / "round-01" / "prompts.json")]
        asked = [s.body["messages"][-1]["content"] for s in proxy.seen[before:]]
        assert [sum(f"Request:\n{p}\n" in a for a in asked) >= 1 for p in prompts] == [False, False, True, False]
        assert {s.authorization for s in proxy.seen} == {f"Bearer {secret}"}  # sent where it belongs
    texts = [p.read_bytes().decode("utf-8", "replace") for p in run_dir.rglob("*") if p.is_file()]
    assert texts and not any(secret in t for t in texts)
    assert secret not in caplog.text and secret not in str(failure.value)
    assert "DISTILL_OUTAGE_KEY" in (run_dir / "config.yaml").read_text()  # only the variable's name
