"""The live terminal display of a run, drawn with rich.

:class:`RichDisplay` implements :class:`distill.loop.display.Display`: a header with the round and
stage, one progress bar per phase (answer, critique, revise, train, evaluate) with counts, rate
and time left, the table of finished rounds, the latest sample and recent warnings. Training
progress arrives through :meth:`RichDisplay.trainer_callback` (a transformers callback).

The loop wraps every display in :class:`~distill.loop.display.SafeDisplay`, so an exception in here
is logged and the run goes on.
"""

from __future__ import annotations

import atexit
import os
from collections import deque
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

from distill.store.folder import RunFolder
from distill.store.records import Manifest, Sample
from distill.loop.display import PHASES, Display, PhaseClock, trainer_progress_callback
from distill.ui.show import decision_text, rounds_table, sample_panel


class RateColumn(ProgressColumn):
    """Tokens per second when the phase counts tokens (generation), else units per second."""

    def render(self, task: Task) -> Text:
        elapsed = _worked(task)
        tokens = task.fields.get("tokens", 0)
        if tokens and elapsed:
            return Text(f"{tokens / elapsed:6.1f} tok/s", style="progress.data.speed")
        speed = task.finished_speed or task.speed
        if speed is None and elapsed and task.completed:
            speed = task.completed / elapsed
        if not speed:
            return Text("", style="progress.data.speed")
        return Text(f"{speed:6.2f} {task.fields.get('unit', 'items')}/s", style="progress.data.speed")


class TimeColumn(ProgressColumn):
    """Time left while a phase runs, the time it took once it has ended."""

    def render(self, task: Task) -> Text:
        if not task.started:
            return Text("")
        if task.stop_time is not None or task.finished:
            return Text(f"took {_clock(_worked(task))}", style="progress.elapsed")
        left = task.time_remaining
        return Text(f"left {_clock(left) if left is not None else '-:--'}", style="progress.remaining")


def _worked(task: Task) -> float | None:
    """The phase's own working time (see PhaseClock), else rich's wall time since its start."""
    busy = task.fields.get("busy")
    return busy if busy else (task.finished_time if task.finished else task.elapsed)


def _clock(seconds: float | None) -> str:
    s = int(seconds or 0)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class RichDisplay(Display):
    """A live rich view of the loop, redrawn a few times a second while the run goes on.

    ``console`` defaults to standard output. Prints from other code while the display is live
    (warnings, a teacher's messages) appear above it instead of tearing it."""

    def __init__(self, console: Console | None = None, max_rows: int = 10, sample_lines: int = 2,
                 refresh_per_second: float = 4) -> None:
        self.console = console or Console()
        self.max_rows = max_rows
        self.sample_lines = sample_lines
        self.clock = PhaseClock()
        self.progress = Progress(
            TextColumn("{task.description:<9}", style="bold"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]:<8}"),
            RateColumn(),
            TimeColumn(),
            TextColumn("{task.fields[note]}"),
            console=self.console,
        )
        # One task per phase, hidden until the phase starts, so the bars keep the phases' order.
        self.tasks = {p: self.progress.add_task(p, total=None, visible=False, unit="", note="", tokens=0, start=False)
                      for p in PHASES}
        self.run_dir: str | None = None
        self.config: dict = {}
        self.round: int | None = None
        self.stage: str | None = None
        self.rows: list[dict] = []
        self.manifest = Manifest()
        self.latest: Sample | None = None
        self.messages: deque[Text] = deque(maxlen=4)
        self.live = Live(get_renderable=self._render, console=self.console, refresh_per_second=refresh_per_second,
                         transient=False, redirect_stdout=True, redirect_stderr=True)
        self._tqdm_env: str | None = None
        self._hf_bars = False
        self._atexit = False

    # -- drawing ------------------------------------------------------------------------
    def _render(self) -> RenderableType:
        head = Text.assemble(("distill ", "bold magenta"), (self.run_dir or "", "bold"))
        if self.config:
            head.append(f"   student {self.config.get('student')}   teacher {self.config.get('teacher')}", style="dim")
        where = Text.assemble(("round ", "bold"), str(self.round if self.round is not None else 0),
                              ("   stage ", "bold"), self.stage or "-")
        if self.round is None:
            where.append("   (scoring the untouched student)", style="dim")
        parts: list[RenderableType] = [head, where, self.progress]
        if self.rows:
            parts.append(rounds_table(self.rows, best_round=self.manifest.best_round, max_rows=self.max_rows))
        if self.latest is not None:
            parts.append(sample_panel(self.latest, width=self.console.width, lines=self.sample_lines))
        if self.messages:
            parts.append(Text("\n").join(self.messages))
        if self.manifest.decision:
            parts.append(decision_text(self.manifest))
        return Group(*parts)

    def _ensure_live(self) -> None:
        if not self.live.is_started:
            # Other progress bars (the trainer's tqdm, datasets' map) would scribble over the
            # live view; the trainer callback reports training here instead.
            self._tqdm_env = os.environ.get("TQDM_DISABLE")
            os.environ["TQDM_DISABLE"] = "1"
            try:  # transformers' own bars (loading weights) pass `disable` themselves
                from transformers.utils import logging as hf_logging

                self._hf_bars = hf_logging.is_progress_bar_enabled()
                hf_logging.disable_progress_bar()
            except ImportError:
                self._hf_bars = False
            self.live.start()
            # A run killed by an exception must still give the terminal its cursor back.
            if not self._atexit:
                atexit.register(self.close)
                self._atexit = True

    def close(self) -> None:
        """Stop drawing, leaving the last frame on the terminal."""
        if self.live.is_started:
            self.live.stop()
            # Give other code its progress bars back (a process may run more than one thing).
            if self._tqdm_env is None:
                os.environ.pop("TQDM_DISABLE", None)
            else:
                os.environ["TQDM_DISABLE"] = self._tqdm_env
            if self._hf_bars:
                from transformers.utils import logging as hf_logging

                hf_logging.enable_progress_bar()

    def _load_manifest(self) -> None:
        # The loop saves the manifest before round_start/round_end, so history (with round 0
        # and, on resume, the earlier rounds) comes from it.
        if not self.run_dir:
            return
        manifest = RunFolder(self.run_dir).manifest(strict=False)
        if manifest:
            self.manifest = manifest
            self.rows = manifest.table()

    def _task(self, phase: str) -> Task:
        task_id = self.tasks[phase]
        return next(t for t in self.progress.tasks if t.id == task_id)

    # -- Display ------------------------------------------------------------------------
    def start(self, run_dir: str, config: dict) -> None:
        self.run_dir, self.config = run_dir, config
        self._load_manifest()
        self._ensure_live()

    def round_start(self, round_number: int, stage: str) -> None:
        self._ensure_live()
        self.round, self.stage = round_number, stage
        self._load_manifest()
        for task in self.tasks.values():  # a new round starts with no bars
            self.progress.update(task, visible=False)

    def phase_start(self, phase: str, total: int, unit: str = "items", done: int = 0) -> None:
        self._ensure_live()
        self.progress.reset(self.tasks[phase], total=total, completed=done, visible=True, unit=unit, note="", tokens=0,
                            busy=0.0)
        self.clock.start(phase)

    def phase_total(self, phase: str, total: int, unit: str) -> None:
        self.progress.reset(self.tasks[phase], total=total, completed=0, visible=True, unit=unit,
                            tokens=0, note=self._task(phase).fields.get("note", ""))

    def phase_advance(self, phase: str, done: int = 1, tokens: int = 0) -> None:
        fields = self._task(phase).fields
        self.progress.update(self.tasks[phase], advance=done, tokens=fields.get("tokens", 0) + tokens,
                             busy=self.clock.tick(phase))

    def phase_note(self, phase: str, note: str) -> None:
        self.progress.update(self.tasks[phase], note=note)

    def phase_end(self, phase: str) -> None:
        note = self._task(phase).fields.get("note", "")
        self.progress.update(self.tasks[phase], note=f"{note}  done".strip(), busy=self.clock.tick(phase))
        self.progress.stop_task(self.tasks[phase])

    def sample(self, record: Sample) -> None:
        self.latest = record

    def round_end(self, row: dict) -> None:
        self._load_manifest()
        if not any(r.get("round") == row.get("round") for r in self.rows):
            self.rows.append(dict(row))
        task = self.tasks["train"]
        if not self._task("train").visible:
            # No train phase this round (nothing kept): say so rather than show no bar.
            self.progress.reset(task, total=1, completed=0, visible=True, unit="", tokens=0, note="skipped: no pairs kept")
            self.progress.stop_task(task)

    def warn(self, message: str) -> None:
        self.messages.append(Text(f"warning: {message}", style="bold yellow"))

    def info(self, message: str) -> None:
        self.messages.append(Text(message, style="cyan"))

    def finish(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.rows = manifest.table() or self.rows
        self.close()  # stopping draws the final frame

    def trainer_callback(self) -> Any:
        return trainer_progress_callback(self)
