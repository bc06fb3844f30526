"""Ctrl-C during a run: the first stops at the next safe point, a second stops at once."""

from __future__ import annotations

import signal
import threading

from distill.display import Display
from distill.interface import DistillError


class Interrupted(DistillError):
    """The run stopped at a safe point after Ctrl-C; the same command resumes it."""

    exit_status = 130  # the shell's status for a process ended by SIGINT


class StopOnCtrlC:
    """The first Ctrl-C asks the run to stop at its next safe point (:meth:`check` raises
    :class:`Interrupted` there); a second one stops at once (KeyboardInterrupt). Safe points are
    where nothing is half-written: between chunks of records, training steps, evaluation batches."""

    def __init__(self, display: Display) -> None:
        self.display = display
        self.requested = False
        self._previous = None

    def __enter__(self) -> "StopOnCtrlC":
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.display.warn("Ctrl-C: stopping at the next safe point (Ctrl-C again to stop at once)")

    def check(self) -> None:
        if self.requested:
            raise Interrupted("stopped at a safe point after Ctrl-C; run the same command again to resume "
                              "(nothing finished is lost)")
