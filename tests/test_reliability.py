"""What a run survives: a second process on its folder, Ctrl-C (once and twice), a full disk, an
unreadable manifest. Each ends with a one-line message or a clean run, and the folder resumes
with nothing lost or duplicated."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from distill.store.jsonl import read_records

ROOT = Path(__file__).resolve().parents[1]


def config(tmp_path: Path, student: Path, teacher: str, **extra) -> Path:
    cfg = {"run_dir": str(tmp_path / "run"), "student": str(student), "teacher": teacher, "rounds": 1,
           "prompts_per_round": 6, "chunk_size": 2, "approval_items": 1, "replay_heldout": None,
           "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")], "eval": {"limit": 1, "max_new_tokens": 4},
           "answer": {"max_new_tokens": 4}, "critique": {"max_new_tokens": 4}, "revision": {"max_new_tokens": 4},
           "train": {"sft": {"max_steps": 1}}, **extra}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def start(cfg: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "distill.ui.cli", "run", str(cfg), "--plain"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_records(path: Path, n: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().count("\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early:\n{proc.stdout.read()[-2000:]}\n{proc.stderr.read()[-2000:]}")
        time.sleep(0.05)
    raise AssertionError(f"{path} never had {n} records")


def indices(run_dir: Path) -> list[int]:
    return sorted(r["index"] for r in read_records(run_dir / "round-01" / "samples.jsonl"))


def test_one_process_per_folder_and_a_dead_holder_is_taken_over(tmp_path, tiny_folder):
    # slow enough that the first run is still going when the second has started up, even on a busy machine
    cfg = config(tmp_path, tiny_folder, teacher="fakes:FixerTeacher", teacher_kwargs={"delay": 4.0})
    samples = tmp_path / "run" / "round-01" / "samples.jsonl"
    first = start(cfg)
    wait_for_records(samples, 2, first)
    second = start(cfg)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 2, out + err
    assert len(err.strip().splitlines()) == 1 and f"is in use by process {first.pid}" in err
    first.send_signal(signal.SIGKILL)
    first.wait()
    lock = json.loads((tmp_path / "run" / "lock").read_text())
    assert lock["pid"] == first.pid  # a SIGKILLed holder leaves its lock behind ...
    third = start(cfg)
    out, err = third.communicate(timeout=600)
    assert third.returncode == 0, out[-2000:] + err[-2000:]
    assert f"took over {tmp_path / 'run' / 'lock'}, left by process {first.pid}" in out  # ... and it is taken over
    assert indices(tmp_path / "run") == list(range(6)) and not (tmp_path / "run" / "lock").exists()


def test_ctrl_c_stops_at_a_safe_point_and_twice_stops_at_once(tmp_path, tiny_folder):
    # each teacher call sleeps 3 s, so both Ctrl-Cs of the second part land inside one call, with room
    # for a busy machine (at 2 s, the first landed so late in a call on a loaded CI box that the run
    # reached its safe point before the second)
    cfg = config(tmp_path, tiny_folder, teacher="fakes:FixerTeacher", teacher_kwargs={"delay": 3.0})
    samples = tmp_path / "run" / "round-01" / "samples.jsonl"
    proc = start(cfg)
    wait_for_records(samples, 2, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-2000:] + err[-2000:]
    assert "Traceback" not in err and err.strip().splitlines() == [
        "distill run: error: stopped at a safe point after Ctrl-C; run the same command again to resume "
        "(nothing finished is lost)"]
    assert "stopping at the next safe point" in out
    done = indices(tmp_path / "run")
    assert done and done == sorted(set(done)) and len(done) < 6 and not (tmp_path / "run" / "lock").exists()

    proc = start(cfg)  # resume; then Ctrl-C twice: at once
    wait_for_records(samples, len(done) + 1, proc)
    time.sleep(1.0)  # past the safe point after that chunk, into the next teacher call
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)  # two signals at the same instant arrive as one
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err
    assert "interrupted; run the same command again to resume" in err

    proc = start(cfg)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    assert indices(tmp_path / "run") == list(range(6))


def test_a_full_disk_is_one_line_and_the_run_resumes_with_nothing_lost(tmp_path, tiny_folder, monkeypatch, capsys):
    import distill.store.folder
    from distill.ui.cli import main

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = config(tmp_path, tiny_folder, teacher="fakes:FixerTeacher")
    real_fsync, calls = os.fsync, {"n": 0}

    def filling_fsync(fd):  # the disk fills up at the second chunk of records
        if os.readlink(f"/proc/self/fd/{fd}").endswith("samples.jsonl"):
            calls["n"] += 1
            if calls["n"] >= 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(distill.store.folder.os, "fsync", filling_fsync)
    assert main(["run", str(cfg), "--quiet"]) == 2
    err = capsys.readouterr().err
    samples = tmp_path / "run" / "round-01" / "samples.jsonl"
    assert err.strip().splitlines() == [
        f"distill run: error: {samples}: could not be written (No space left on device); free space or fix "
        "permissions, then run the same command again: nothing finished is lost"]
    kept = indices(tmp_path / "run")
    assert kept[:2] == [0, 1] and len(kept) == len(set(kept))  # the first chunk is safe; at most a torn line more
    monkeypatch.setattr(distill.store.folder.os, "fsync", real_fsync)  # space freed
    assert main(["run", str(cfg), "--quiet"]) == 0
    assert indices(tmp_path / "run") == list(range(6))


def test_an_unreadable_manifest_is_rebuilt_from_the_round_folders(tmp_path, tiny_folder, monkeypatch):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run
    from distill.loop.display import PlainDisplay

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = config(tmp_path, tiny_folder, teacher="fakes:FixerTeacher", rounds=2)
    first = run(RunConfig.load(cfg))
    run_dir = tmp_path / "run"
    model = run_dir / "round-02" / "model" / "model.safetensors"
    trained_at = model.stat().st_mtime_ns
    text = (run_dir / "manifest.json").read_text()
    (run_dir / "manifest.json").write_text(text[: len(text) // 2])  # a disk that failed mid-write, say
    import io

    shown = io.StringIO()
    again = run(RunConfig.load(cfg), PlainDisplay(shown))
    assert "manifest.json: not valid JSON" in shown.getvalue() and "rebuilding it from the round folders" in shown.getvalue()
    assert again.history == first.history and again.rounds == first.rounds and again.decision == first.decision
    assert model.stat().st_mtime_ns == trained_at  # rebuilt from disk: nothing was trained again
    assert list(run_dir.glob("manifest.json.unreadable-*"))
