"""The student's generation through an OpenAI-compatible server: the same greedy answers as in
process, a run that starts, uses and stops a real `transformers serve` for each round's model, no
orphan server even when the loop is SIGKILLed, and bad server settings as one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytest.register_assert_rewrite("servers")

from servers import _transformers_cli  # noqa: E402

from distill.errors import ResourceError
from distill.interface import SamplingConfig  # noqa: E402
from distill.model.serving import ResourceError, ServedStudent, StudentServer, StudentServerConfig  # noqa: E402

pytest_plugins = ["servers"]
ROOT = Path(__file__).resolve().parents[1]
SERVE = f"{' '.join(_transformers_cli())} serve {{model}} --host 127.0.0.1 --port {{port}} --log-level info"
PROMPTS = ["What is the capital of France?", "Name three colours.", "What is 12 + 30?", "Is the Sun a star?",
           "Write a sentence about the sea.", "Who wrote Hamlet?"]


def servers_of(folder: Path) -> list[int]:
    """PIDs of live processes serving ``folder`` (read from /proc)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and " serve " in cmd and str(folder) in cmd:
            pids.append(int(proc.name))
    return pids


def test_greedy_answers_through_a_server_match_in_process(openai_server, student, tmp_path):
    server = StudentServer(StudentServerConfig(base_url=openai_server.base_url, model=openai_server.model),
                           openai_server.model, tmp_path / "server.log")
    served = ServedStudent(student, server)
    cfg = SamplingConfig(max_new_tokens=24)
    done = []
    remote = served.generate(PROMPTS, cfg, progress=lambda n, tokens: done.append(n))
    local = student.generate(PROMPTS, cfg)
    assert [c.text for c in remote] == [c.text for c in local]
    assert [c.finish_reason for c in remote] == [c.finish_reason for c in local]
    assert sum(done) == len(PROMPTS) and all(c.completion_tokens > 0 for c in remote)
    assert served.student is student  # likelihood scoring and training stay in process
    assert served.continuation_logprobs("2 + 2 =", [" 4", " 5"]) == student.continuation_logprobs("2 + 2 =", [" 4", " 5"])


def run_config(tmp_path: Path, student: Path, **server) -> Path:
    cfg = {"run_dir": str(tmp_path / "run"), "student": str(student), "teacher": "fakes:FixerTeacher", "rounds": 2,
           "max_rounds_per_stage": 1, "prompts_per_round": 3, "approval_items": 1, "replay_heldout": None,
           "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")], "eval": {"limit": 2, "max_new_tokens": 4},
           "answer": {"max_new_tokens": 4}, "critique": {"max_new_tokens": 4}, "revision": {"max_new_tokens": 4},
           "train": {"sft": {"max_steps": 1}}, "student_server": {"serve": SERVE, **server}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_a_run_generates_through_servers_it_starts_and_stops(tmp_path, tiny_folder, monkeypatch):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run
    from distill.store.jsonl import read_records

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    manifest = run(RunConfig.load(run_config(tmp_path, tiny_folder)))
    run_dir = tmp_path / "run"
    assert manifest.status == "finished" and len(manifest.rounds) == 2
    # round 0's server (the base model) answered round 0's eval and round 1's prompts; round 1's model
    # got its own server for its eval and round 2's prompts, and so on
    for n, model in ((0, tiny_folder), (1, run_dir / "round-01" / "model"), (2, run_dir / "round-02" / "model")):
        log = (run_dir / f"round-{n:02d}" / "server.log").read_text()
        assert log.count("POST /v1/chat/completions") >= 2, log[-2000:]
        assert not servers_of(model)  # stopped
    assert all(r["answer"] is not None for r in read_records(run_dir / "round-01" / "samples.jsonl"))


def flood(pid: int, model: Path, requests: int, max_tokens: int) -> bool:
    """Keep the server with ``pid`` busy with ``requests`` long chat requests in flight (replies
    ignored); False if it does not answer yet."""
    import json
    import threading
    import urllib.request

    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    root = f"http://127.0.0.1:{cmd[cmd.index('--port') + 1]}/v1"
    try:
        urllib.request.urlopen(f"{root}/models", timeout=2)
    except OSError:
        return False
    body = json.dumps({"model": str(model), "max_tokens": max_tokens, "temperature": 0,
                       "messages": [{"role": "user", "content": "Tell me a long story."}]}).encode()

    def one() -> None:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{root}/chat/completions", body,
                                                          {"Content-Type": "application/json"}), timeout=600)
        except OSError:
            pass  # the server went away under it: the point of the test

    for _ in range(requests):
        threading.Thread(target=one, daemon=True).start()
    return True


def test_a_killed_loop_leaves_no_server_even_a_busy_one(tmp_path, tiny_folder):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    proc = subprocess.Popen([sys.executable, "-m", "distill.ui.cli", "run",
                             str(run_config(tmp_path, tiny_folder, stop_timeout=2)), "--quiet"], cwd=ROOT, env=env)
    # a busy server drains what it was asked on SIGTERM: here minutes of answers nobody would read
    deadline = time.time() + 300
    while time.time() < deadline and not any(flood(pid, tiny_folder, 48, 400) for pid in servers_of(tiny_folder)[-1:]):
        time.sleep(0.2)
    time.sleep(3)  # the requests are in
    assert servers_of(tiny_folder) and proc.poll() is None, "the server should be up and answering"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = time.time()
    while time.time() < killed + 60 and servers_of(tiny_folder):
        time.sleep(0.2)
    assert not servers_of(tiny_folder), "the server outlived the killed loop by a minute"


def test_bad_server_settings_are_one_line_errors(tmp_path, tiny_folder, capsys):
    from distill.ui.cli import main

    started = time.time()
    with pytest.raises(ResourceError, match=r"`false .*` exited with status 1 before answering"):
        StudentServer(StudentServerConfig(serve="false {model} {port}"), str(tiny_folder), tmp_path / "a.log")
    with pytest.raises(ResourceError, match=r"did not answer within 2s; its last lines: waiting"):
        StudentServer(StudentServerConfig(serve="sh -c 'echo waiting; sleep 60' {model} {port}", startup_timeout=2),
                      str(tiny_folder), tmp_path / "b.log")
    assert time.time() - started < 30  # and the sleeping one was stopped, not waited for
    cfg = run_config(tmp_path, tiny_folder)
    data = yaml.safe_load(cfg.read_text())
    data["student_server"] = {"base_url": "http://127.0.0.1:9/v1"}
    cfg.write_text(yaml.safe_dump(data))
    assert main(["run", str(cfg), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["distill run: error: student_server.base_url http://127.0.0.1:9/v1: no server "
                                        "answers there (/health and /v1/models both failed)"]
