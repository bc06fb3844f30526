"""The run display: live in a real pseudo-terminal, plain lines in a pipe, `distill show`, and
drawing failures that never stop a run.

The loop runs for real on the tiny random LLaMA with a tiny budget (one round, four prompts,
eight new tokens, one training step), in subprocesses where the terminal matters.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte
import pytest
import yaml

from distill.store.records import Manifest, Sample

ROOT = Path(__file__).resolve().parents[1]
ROWS, COLS = 60, 150
ESCAPE = re.compile(rb"\x1b")


def _config(tmp_path: Path, student: Path, teacher: str, name: str) -> Path:
    cfg = {
        "run_dir": str(tmp_path / name),
        "student": str(student),
        "teacher": teacher,
        "rounds": 1,
        "prompts_per_round": 4,
        "chunk_size": 4,
        "approval_items": 2,
        "answer": {"max_new_tokens": 8},
        "critique": {"max_new_tokens": 8},
        "revision": {"max_new_tokens": 8},
        "train": {"sft": {"max_steps": 1, "per_device_train_batch_size": 4}, "num_threads": 1},
        "eval": {"limit": 2, "max_new_tokens": 8},
        "replay": str(ROOT / "data" / "replay.jsonl"),
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _env() -> dict:
    env = dict(os.environ)
    for key in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLUMNS", "LINES", "TQDM_DISABLE"):
        env.pop(key, None)
    # One thread: the box is shared and small; oversubscribed threads make everything crawl.
    env.update(OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", TERM="xterm-256color",
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def run_in_pty(cmd: list[str], timeout: float = 240) -> tuple[bytes, int]:
    """Run ``cmd`` with a real pseudo-terminal as stdin/stdout/stderr; return everything it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=_env(), cwd=ROOT, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError as e:  # EIO: the child closed the terminal
                if e.errno == errno.EIO:
                    break
                raise
            if not data:
                break
            chunks.append(data)
        else:
            proc.kill()
            pytest.fail(f"{cmd} did not finish in {timeout}s")
    finally:
        os.close(master)
    return b"".join(chunks), proc.wait(timeout=30)


def screen_of(raw: bytes) -> list[str]:
    """The terminal screen after ``raw`` was written to it (a real VT100 emulator, not a regex)."""
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    stream.feed(raw)
    return [line.rstrip() for line in screen.display]


@pytest.fixture(scope="module")
def pty_run(tmp_path_factory, tiny_folder):
    """The self-bootstrap recipe run in a pseudo-terminal: (run folder, raw output, final screen)."""
    tmp = tmp_path_factory.mktemp("pty")
    cfg = _config(tmp, tiny_folder, "self", "pty-run")
    cmd = [sys.executable, str(ROOT / "recipes" / "self_bootstrap.py"), "--run-dir", str(tmp / "pty-run"),
           "--student", str(tiny_folder), "--rounds", "1", "--prompts", "4", "--eval-limit", "2", "--config", str(cfg)]
    raw, rc = run_in_pty(cmd)
    screen = screen_of(raw)
    assert rc == 0, "\n".join(screen)
    return tmp / "pty-run", raw, screen


def test_recipe_in_pty_draws_phase_bars_and_round_table(pty_run):
    run_dir, raw, screen = pty_run
    text = "\n".join(screen)
    print(text)  # the captured screen, for the log of a failing run
    assert b"\x1b[" in raw  # it really drew with control codes: the live display, not plain lines
    # One bar per phase of the round, with its count; the random model's verdicts are
    # unparseable, so nothing is kept and the train bar says why it was skipped.
    for phase, count in (("answer", "4/4"), ("critique", "4/4"), ("revise", "4/4")):
        line = next((ln for ln in screen if ln.lstrip().startswith(phase)), None)
        assert line is not None, f"no {phase} bar on screen:\n{text}"
        assert count in line and "━" in line, line
    train = next(ln for ln in screen if ln.lstrip().startswith("train"))
    assert "skipped" in train
    assert any(ln.lstrip().startswith("evaluate") and "━" in ln for ln in screen), text
    # The table of rounds: its header, the untouched student (round 0) and round 1.
    header = next((ln for ln in screen if "fault rate" in ln), None)
    assert header is not None, f"no round table on screen:\n{text}"
    for col in ("kept", "train loss", "gold acc", "approval", "held-out loss"):
        assert col in header
    rows = [ln for ln in screen if re.match(r"^\W*\*?[01]\s+│?\s*(self-contradiction|\w)", ln.replace("│", " ").strip())]
    assert any(re.search(r"\b1\b", r) for r in rows), text
    # The latest sample and the final decision are drawn; the recipe's last line follows.
    assert "Latest sample" in text and "question" in text
    assert "decision" in text and "report:" in text


def show_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``distill show`` through the CLI entry point, output captured (not a terminal)."""
    from distill.ui.cli import main

    rc = main(["show", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_show_draws_a_run_folder_made_by_the_tests(pty_run, capsys):
    run_dir, _, _ = pty_run
    rc, out, err = show_cli(capsys, str(run_dir))
    print(out)
    assert rc == 0, err
    assert "\x1b" not in out  # not a terminal: no control codes
    assert "fault rate" in out and "held-out loss" in out
    assert "status finished" in out and "decision stop (budget)" in out
    assert "Latest sample (round 1" in out and "question" in out
    # Rows for round 0 (the untouched student, best here) and round 1.
    table_rows = [ln for ln in out.splitlines() if re.match(r"^│\s*\*?[01]\s*│", ln)]
    assert len(table_rows) == 2, out
    assert "*0" in table_rows[0]


def test_show_of_a_running_run_and_a_missing_one(tmp_path, pty_run, capsys):
    """A run caught mid-round (manifest of round 0 only, samples torn mid-line) is drawn, not repaired."""
    import shutil

    from distill.ui.show import load_run

    run_dir, _, _ = pty_run
    live = tmp_path / "running"
    shutil.copytree(run_dir, live, ignore=shutil.ignore_patterns("model", "train"))
    import json

    manifest = json.loads((live / "manifest.json").read_text())
    manifest.update(status="running", rounds=[], history=manifest["history"][:1], decision=None)
    (live / "manifest.json").write_text(json.dumps(manifest))
    samples = live / "round-01" / "samples.jsonl"
    before = samples.read_bytes()
    samples.write_bytes(before + b'{"prompt": "torn')
    view = load_run(live)
    assert view["in_progress"] == {"round": 1, "records": 4, "prompts": 4}
    assert samples.read_bytes().endswith(b'{"prompt": "torn')  # read-only: the writer's line is left alone
    rc, out, err = show_cli(capsys, str(live))
    assert rc == 0, err
    assert "status running" in out and "round 1 in progress: 4/4 samples written" in out
    rc, out, err = show_cli(capsys, str(tmp_path / "nope"))
    assert rc == 2 and "not a run folder" in err


def test_piped_distill_run_is_plain_lines_with_training_progress(tmp_path, tiny_folder):
    cfg = _config(tmp_path, tiny_folder, "fakes:FixerTeacher", "piped")
    out = subprocess.run([sys.executable, "-m", "distill.ui.cli", "run", str(cfg)], capture_output=True,
                         env=_env(), cwd=ROOT, timeout=300)
    text = out.stdout.decode()
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    assert not ESCAPE.search(out.stdout), "control codes in piped output"
    assert not ESCAPE.search(out.stderr), "control codes in piped stderr"
    for phase in ("answer", "critique", "revise", "train", "evaluate"):
        assert re.search(rf"^  {phase}: done \d+/\d+", text, re.M), f"no end of {phase}:\n{text}"
    # Training progress came through the trainer callback: steps, then the logged loss.
    assert re.search(r"^  train: 1 steps$", text, re.M), text
    assert re.search(r"^  train: step 1/1 loss \d+\.\d+", text, re.M), text
    assert re.search(r"round summary: round=1, .*kept=4, train_loss=\d", text), text
    assert "finished: finished" in text and "report:" in text


class ExplodingDisplay:
    """A display whose every method raises, the trainer callback's too."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        def boom(*args, **kwargs):
            self.calls.append(name)
            raise RuntimeError(f"display {name} exploded")

        if name == "trainer_callback":
            from distill.loop.display import trainer_progress_callback

            def callback():
                self.calls.append(name)
                return trainer_progress_callback(self)

            return callback
        return boom


def test_display_that_raises_never_stops_the_run(tmp_path, tiny_folder, caplog, monkeypatch):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = RunConfig.load(_config(tmp_path, tiny_folder, "fakes:FixerTeacher", "exploding"))
    display = ExplodingDisplay()
    with caplog.at_level("ERROR"):
        manifest = run(cfg, display)
    assert manifest.status == "finished"
    assert manifest.rounds[0].kept == 4 and manifest.rounds[0].train_loss is not None
    assert (tmp_path / "exploding" / "round-01" / "model").is_dir()
    # Every kind of call was tried and each failure logged, training steps included.
    for name in ("start", "round_start", "phase_start", "phase_advance", "round_end", "finish", "phase_total"):
        assert name in display.calls
    logged = caplog.text
    assert "display round_end failed" in logged and "display phase_advance failed during training" in logged


def test_rich_display_renders_every_event_offscreen():
    """The live display's own drawing, without a run: bars, table, sample, warnings, decision."""
    from rich.console import Console

    from distill.ui.live import RichDisplay

    console = Console(record=True, width=120, force_terminal=True, color_system=None)
    d = RichDisplay(console, refresh_per_second=20)
    d.start("runs/x", {"student": "tiny", "teacher": "self"})
    d.round_start(1, "contradictions")
    d.phase_start("answer", 4)
    d.phase_advance("answer", 2, tokens=50)
    d.phase_start("train", 8, "examples")
    d.phase_total("train", 2, "steps")
    d.phase_advance("train", 1)
    d.phase_note("train", "step 1/2 loss 2.500")
    d.sample(Sample(round=1, index=0, prompt="Why is the sky blue? " * 40, answer="Because.", critique="VERDICT: FAULT",
                    verdict="fault", revision="Rayleigh scattering.", kept=True))
    d.warn("approval up while gold accuracy fell")
    d.round_end({"round": 1, "stage": "contradictions", "fault_rate": 0.5, "kept": 3, "train_loss": 2.5,
                 "gold_accuracy": 0.25, "approval_rate": 1.0, "heldout_loss": 3.0})
    d.finish(Manifest(status="stopped", best_round=1,
                      decision={"action": "stop", "kind": "divergence", "reason": "approval up, accuracy down"}))
    text = console.export_text()
    assert not d.live.is_started and "TQDM_DISABLE" not in os.environ  # other code gets its bars back
    assert re.search(r"answer\s+━+\S*\s+2/4 items", text), text
    assert re.search(r"train\s+━+\S*\s+1/2 steps .*step 1/2 loss 2\.500", text), text
    assert re.search(r"answer .* \d+\.\d tok/s", text), text  # generation phases show a token rate
    assert "*1" in text and "25.0%" in text and "3.000" in text
    assert "…" in text  # the long question was cut to fit
    assert "warning: approval up while gold accuracy fell" in text
    assert "decision stop (divergence)" in text


def test_interleaved_phases_are_timed_by_their_own_work():
    """Answer, critique and revise run chunk by chunk, interleaved: each phase's time is its own
    work, not the wall time since all three started (which counted every phase three times)."""
    import io

    from rich.console import Console

    from distill.loop.display import PlainDisplay
    from distill.ui.live import RichDisplay

    out = io.StringIO()
    plain = PlainDisplay(out)
    rich = RichDisplay(Console(file=io.StringIO(), width=120, force_terminal=True), refresh_per_second=20)
    phases, work = ("answer", "critique", "revise"), {"answer": 0.2, "critique": 0.05, "revise": 0.05}
    t0 = time.perf_counter()
    for d in (plain, rich):
        for p in phases:
            d.phase_start(p, 2)
    for _ in range(2):  # two chunks
        for p in phases:
            time.sleep(work[p])
            for d in (plain, rich):
                d.phase_advance(p, 1, tokens=10)
    busy = {p: rich._task(p).fields["busy"] for p in phases}
    for d in (plain, rich):
        for p in phases:
            d.phase_end(p)
    rich.finish(Manifest(status="finished"))
    wall = time.perf_counter() - t0
    secs = {p: float(re.search(rf"{p}: done 2/2 items in ([\d.]+)s", out.getvalue()).group(1)) for p in phases}
    for timed in (secs, busy):
        assert sum(timed.values()) <= wall + 0.1, (timed, wall)
        assert timed["answer"] >= 0.35 and timed["critique"] < timed["answer"] / 2, timed


def test_plain_display_ends_with_the_monitors_warnings():
    import io

    from distill.loop.display import PlainDisplay

    out = io.StringIO()
    PlainDisplay(out).finish(Manifest(status="finished", best_round=2, decision={
        "reason": "round budget of 2 used", "warnings": ["length drift: mean answer 21.3 -> 15.1 tokens since round 0"]}))
    assert out.getvalue().splitlines() == ["finished: finished — round budget of 2 used; best round 2",
                                           "WARNING: length drift: mean answer 21.3 -> 15.1 tokens since round 0"]
