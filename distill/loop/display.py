"""What the loop tells the person watching it.

The loop calls a :class:`Display`; it never prints itself. :class:`PlainDisplay` writes one line
per event (for pipes, CI and files; the loop's own when given none); :class:`distill.ui.live.RichDisplay`
draws the same events live on a terminal; the base :class:`Display` shows nothing (``--quiet``).
:func:`distill.ui.entry.make_display` picks one for where the output goes. Training progress reaches a display through
:func:`trainer_progress_callback`, a transformers ``TrainerCallback``.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, TextIO

from distill.callbacks import LoopCallback

if TYPE_CHECKING:
    from distill.store.records import Manifest

log = logging.getLogger(__name__)

PHASES = ("answer", "critique", "revise", "train", "evaluate")


class Display(LoopCallback):
    """A loop callback that shows the run to a person (the events of :class:`~distill.callbacks.LoopCallback`
    that a display draws). Every method is optional to implement; none may stop the run: the loop
    wraps a display in :class:`SafeDisplay`. ``trainer_callback`` reports training progress here."""


def trainer_progress_callback(display: Display):
    """A transformers ``TrainerCallback`` that reports training steps and loss to ``display``.

    The count of the ``train`` phase becomes optimizer steps (``phase_total``), each step
    advances it, and each logged loss becomes the phase's note. The callback is handed to the
    Trainer directly, outside :class:`SafeDisplay`, so it guards its own calls: a display that
    fails is logged and training goes on."""
    from transformers import TrainerCallback  # heavy: only when training is about to start

    def guarded(method: str, *args) -> None:
        try:
            getattr(display, method)(*args)
        except Exception:  # noqa: BLE001 - drawing must never stop training
            log.exception("display %s failed during training", method)

    class DisplayTrainerCallback(TrainerCallback):
        """Training steps and loss, to the run's display."""

        def on_train_begin(self, args, state, control, **kwargs):
            guarded("phase_total", "train", int(state.max_steps or 0), "steps")

        def on_step_end(self, args, state, control, **kwargs):
            guarded("phase_advance", "train", 1, 0)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                guarded("phase_note", "train", f"step {state.global_step}/{state.max_steps} loss {logs['loss']:.3f}")

    return DisplayTrainerCallback()


class PhaseClock:
    """The time each phase actually worked.

    The loop interleaves answer, critique and revise chunk by chunk and reports each phase's
    progress right after its work, so time since a phase's start would also count the other
    phases' work: each event credits the time since the previous event to its own phase."""

    def __init__(self) -> None:
        self.busy: dict[str, float] = {}
        self.last = time.perf_counter()

    def start(self, phase: str) -> None:
        self.busy[phase] = 0.0
        self.last = time.perf_counter()  # time before a phase starts is nobody's work

    def tick(self, phase: str) -> float:
        """Credit the time since the last event to ``phase``; its busy seconds so far."""
        now = time.perf_counter()
        self.busy[phase] = self.busy.get(phase, 0.0) + now - self.last
        self.last = now
        return self.busy[phase]


class PlainDisplay(Display):
    """Line-by-line progress with no control codes."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._phase: dict[str, list] = {}
        self.clock = PhaseClock()

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, run_dir: str, config: dict) -> None:
        self._print(f"run {run_dir}: student {config.get('student')}, teacher {config.get('teacher')}")

    def round_start(self, round_number: int, stage: str) -> None:
        self._print(f"round {round_number} (stage: {stage})")

    def phase_start(self, phase: str, total: int, unit: str = "items", done: int = 0) -> None:
        self._phase[phase] = [total, done, 0, unit]
        self.clock.start(phase)
        self._print(f"  {phase}: {total} {unit}")

    def phase_advance(self, phase: str, done: int = 1, tokens: int = 0) -> None:
        state = self._phase.get(phase)
        if state:
            state[1] += done
            state[2] += tokens
            self.clock.tick(phase)

    def phase_total(self, phase: str, total: int, unit: str) -> None:
        state = self._phase.get(phase)
        if state:
            state[0], state[1], state[3] = total, 0, unit
            self._print(f"  {phase}: {total} {unit}")

    def phase_note(self, phase: str, note: str) -> None:
        self._print(f"  {phase}: {note}")

    def phase_end(self, phase: str) -> None:
        state = self._phase.pop(phase, None)
        if state:
            total, done, tokens, unit = state
            secs = self.clock.tick(phase)
            rate = f", {tokens / secs:.1f} tok/s" if tokens else ""
            self._print(f"  {phase}: done {done}/{total} {unit} in {secs:.1f}s{rate}")

    def round_end(self, row: dict) -> None:
        parts = [f"{k}={_fmt(v)}" for k, v in row.items()]
        self._print("  round summary: " + ", ".join(parts))

    def warn(self, message: str) -> None:
        self._print(f"WARNING: {message}")

    def info(self, message: str) -> None:
        self._print(message)

    def finish(self, manifest: "Manifest") -> None:
        self._print(f"finished: {manifest.status} — {manifest.reason}; best round {manifest.best_round}")
        for warning in manifest.warnings:  # drift the monitor saw but did not stop for
            self.warn(warning)

    def trainer_callback(self):
        return trainer_progress_callback(self)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


class SafeDisplay(Display):
    """Wraps a display so that a failure in drawing is logged and never stops the run."""

    def __init__(self, inner: Display) -> None:
        self.inner = inner

    def __getattribute__(self, name: str):
        if name.startswith("_") or name == "inner":
            return object.__getattribute__(self, name)
        target = getattr(object.__getattribute__(self, "inner"), name)
        if not callable(target):
            return target

        def safe(*args, **kwargs):
            try:
                return target(*args, **kwargs)
            except Exception:  # noqa: BLE001 - drawing must never stop the run
                log.exception("display %s failed", name)

        return safe
