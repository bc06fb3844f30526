"""What may end a run mid-way, as loop callbacks: Ctrl-C (the first stops at the next safe point, a
second at once) and, in tests, the kill points (:mod:`distill.store.killpoints`)."""

from __future__ import annotations

import signal
import threading

from distill.callbacks import LoopCallback
from distill.errors import Interrupted
from distill.store.killpoints import point


class StopOnCtrlC(LoopCallback):
    """The first Ctrl-C asks the run to stop at its next safe point (:meth:`check` raises
    :class:`~distill.errors.Interrupted` there); a second one stops at once (KeyboardInterrupt). Safe
    points are where nothing is half-written: between chunks of records, generation and evaluation
    batches, training steps. ``display`` is told when a stop was asked for."""

    def __init__(self, display: LoopCallback) -> None:
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

    def safe_point(self) -> None:
        self.check()

    def trainer_callback(self):
        """Every optimizer step is a safe point: ``model/`` is written only after training, so a
        round stopped mid-training is trained again on resume."""
        from transformers import TrainerCallback

        stop = self

        class StopAtStep(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                stop.check()

        return StopAtStep()


class KillPoints(LoopCallback):
    """The phase kill points as a loop callback: ``answer``, ``critique``, ``revise`` and
    ``evaluate`` after each batch of the phase's work, ``train_step`` after each optimizer step."""

    def phase_advance(self, phase: str, done: int = 1, tokens: int = 0) -> None:
        point(phase)

    def trainer_callback(self):
        from transformers import TrainerCallback

        class KillAtStep(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                point("train_step")

        return KillAtStep()
