"""Pushing a run's model to the Hub: `distill push` and `push_to_hub: true`, through the real
huggingface_hub client against a stand-in of the Hub's upload API on 127.0.0.1 (tests/hub_server.py):
the right round's files and card arrive, the token reaches the server and nothing else, and a push
that cannot happen is one line that leaves the run as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hub_server import hub_server

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_pushtest_0123456789abcdef"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_folder) -> Path:
    """A finished one-round run of the tiny model (its monitor recommends round 0, as a random model's does)."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    tmp = tmp_path_factory.mktemp("hub")
    cfg = {"run_dir": str(tmp / "run"), "student": str(tiny_folder), "teacher": "fakes:FixerTeacher", "rounds": 1,
           "prompts_per_round": 3, "approval_items": 1, "replay_heldout": None,
           "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")], "eval": {"limit": 2, "max_new_tokens": 4},
           "answer": {"max_new_tokens": 4}, "critique": {"max_new_tokens": 4}, "revision": {"max_new_tokens": 4},
           "train": {"sft": {"max_steps": 1}}, "hub_model_id": "me/tiny-distilled"}
    (tmp / "config.yaml").write_text(yaml.safe_dump(cfg))
    manifest = run(RunConfig.load(tmp / "config.yaml"))
    assert manifest.finished and manifest.best_round == 0
    return tmp / "run"


def distill(*args: str, endpoint: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HF_ENDPOINT=endpoint, HF_TOKEN=TOKEN, HF_HOME=str(Path(args[1]).parent / "hf-home"),
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "distill.ui.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)


def no_token_in(folder: Path, *texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
    for f in folder.rglob("*"):
        if f.is_file():
            assert TOKEN.encode() not in f.read_bytes(), f


def test_distill_push_uploads_the_round_with_its_card(finished_run):
    manifest_before = (finished_run / "manifest.json").read_text()
    with hub_server() as hub:
        refused = distill("push", str(finished_run), endpoint=hub.endpoint)
        assert refused.returncode == 2
        assert refused.stderr.strip().startswith("distill push: error: ") and len(refused.stderr.strip().splitlines()) == 1
        assert "recommends round 0, the untouched student, so there is nothing to push" in refused.stderr
        assert not hub.repos and (finished_run / "manifest.json").read_text() == manifest_before

        done = distill("push", str(finished_run), "--round", "1", "--private", endpoint=hub.endpoint)
        assert done.returncode == 0, done.stderr
        model = finished_run / "round-01" / "model"
        assert hub.repos["me/tiny-distilled"]["visibility"] == "private"  # the repo id came from the run's config
        sent = hub.files["me/tiny-distilled"]
        assert sent == {str(f.relative_to(model)): f.read_bytes() for f in model.rglob("*") if f.is_file()}
        card = sent["README.md"].decode()
        assert card.startswith("---\nbase_model:") and "round 1" in card and "fakes:FixerTeacher" in card
        assert hub.commits[-1]["summary"] == "run: round 1"
        assert all(h.get("authorization") == f"Bearer {TOKEN}" for h in hub.headers)
    pushed = json.loads((finished_run / "manifest.json").read_text())["pushed"]
    assert pushed["round"] == 1 and pushed["repo_id"] == "me/tiny-distilled" and pushed["commit_url"].startswith(hub.endpoint)
    assert f"pushed round 1 of {finished_run} to me/tiny-distilled: {pushed['commit_url']}" in done.stdout
    no_token_in(finished_run, done.stdout, done.stderr)


def test_a_push_that_cannot_reach_the_hub_is_one_line_and_loses_nothing(finished_run):
    from servers import free_port

    before = {str(f): f.read_bytes() for f in finished_run.rglob("*") if f.is_file() and f.name != "lock"}
    endpoint = f"http://127.0.0.1:{free_port()}"
    out = distill("push", str(finished_run), "--round", "1", "--repo-id", "me/elsewhere", endpoint=endpoint)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"distill push: error: pushing round 1 of {finished_run} to "
                                                   f"me/elsewhere at {endpoint} failed: ")
    assert lines[0].endswith(f"the run folder is untouched: retry with `distill push {finished_run}`")
    assert {str(f): f.read_bytes() for f in finished_run.rglob("*") if f.is_file() and f.name != "lock"} == before
    no_token_in(finished_run, out.stdout, out.stderr)


def test_push_to_hub_in_the_config_pushes_the_recommended_round_once(finished_run, tmp_path):
    """The loop's own push, when the run has ended: a tiny random model never beats round 0, so the
    monitor's choice is set by hand here (the test is of the push, not of the monitor)."""
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config.update(run_dir=str(run_dir), push_to_hub=True, hub_model_id="me/from-the-loop")
    for path in (tmp_path / "config.yaml", run_dir / "config.yaml"):  # as if the run had started with them
        path.write_text(yaml.safe_dump(config))
    with hub_server() as hub:
        first = distill("run", str(tmp_path / "config.yaml"), "--plain", endpoint=hub.endpoint)
        assert first.returncode == 0, first.stderr
        assert "the run recommends round 0, the untouched student; nothing pushed" in first.stdout and not hub.repos

        manifest = json.loads((run_dir / "manifest.json").read_text())
        manifest.update(best_round=1, pushed=None)
        (run_dir / "manifest.json").write_text(json.dumps(manifest))
        second = distill("run", str(tmp_path / "config.yaml"), "--plain", endpoint=hub.endpoint)
        assert second.returncode == 0, second.stderr
        assert "pushed round 1 to me/from-the-loop" in second.stdout
        assert hub.files["me/from-the-loop"]["README.md"] == (run_dir / "round-01" / "model" / "README.md").read_bytes()
        again = distill("run", str(tmp_path / "config.yaml"), "--plain", endpoint=hub.endpoint)
        assert again.returncode == 0 and len(hub.commits) == 1  # pushed once, not on every re-run
    no_token_in(run_dir, first.stdout, second.stdout, again.stdout)


def test_push_to_hub_without_a_repo_is_a_config_error(tmp_path):
    from distill.ui.cli import main

    (tmp_path / "c.yaml").write_text("push_to_hub: true\n")
    assert main(["run", str(tmp_path / "c.yaml"), "--quiet"]) == 2
