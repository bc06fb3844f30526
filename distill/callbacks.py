"""Hooks into a run, the way TRL's trainers take ``TrainerCallback`` objects: what cuts across the
loop — the display, the trackers, model cards, Ctrl-C, kill points — is a list of callbacks the
loop calls at fixed events, so a new metric or report plugs in without editing the loop body.

Every event is a method of :class:`LoopCallback` that does nothing unless overridden:

* for the person watching (a :class:`~distill.loop.display.Display` draws them): ``start``,
  ``round_start``, ``phase_start`` / ``phase_advance`` / ``phase_total`` / ``phase_note`` /
  ``phase_end``, ``sample`` (a record just written), ``round_end`` (a trained round's row of the
  rounds table), ``warn``, ``info``, ``finish``;
* ``safe_point``: nothing is half-written here, so a callback may stop the run by raising (Ctrl-C
  does); ``phase_advance`` follows every batch of work, a kill point may end the process there;
* ``round_recorded``: round ``n``'s metrics (and for a trained round its summary and the monitor's
  decision) are saved in the manifest: trackers log them, model cards are written;
* ``trainer_callback``: a transformers ``TrainerCallback`` to hand the round's trainer (training
  progress, and each optimizer step as a safe point), or None.

Imports nothing heavy: the loop, the displays and the tools all import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from distill.store.records import Manifest, Sample


class LoopCallback:
    """Receives the loop's events (see the module docstring); override what you need."""

    def start(self, run_dir: str, config: dict) -> None: ...
    def round_start(self, round_number: int, stage: str) -> None: ...
    def phase_start(self, phase: str, total: int, unit: str = "items", done: int = 0) -> None:
        """A phase of ``total`` units starts, ``done`` of them finished already (a resumed round)."""

    def phase_advance(self, phase: str, done: int = 1, tokens: int = 0) -> None: ...
    def phase_end(self, phase: str) -> None: ...
    def phase_total(self, phase: str, total: int, unit: str) -> None:
        """The phase's count restarts with a new total and unit (training: examples -> optimizer steps)."""

    def phase_note(self, phase: str, note: str) -> None:
        """A short status for a running phase (training: the latest loss)."""

    def sample(self, record: "Sample") -> None: ...
    def round_end(self, row: dict) -> None: ...
    def warn(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def finish(self, manifest: "Manifest") -> None: ...
    def safe_point(self) -> None: ...
    def round_recorded(self, round_number: int, manifest: "Manifest") -> None: ...

    def trainer_callback(self) -> Any:
        """A transformers ``TrainerCallback`` for the round's trainer, or None."""
        return None


class CallbackList(LoopCallback):
    """Several callbacks as one: each event goes to every callback, in order."""

    def __init__(self, callbacks: Sequence[LoopCallback]) -> None:
        self.callbacks = list(callbacks)

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("_") or name in ("callbacks", "trainer_callback", "trainer_callbacks") \
                or not hasattr(LoopCallback, name):
            return object.__getattribute__(self, name)

        def every(*args: Any, **kwargs: Any) -> None:
            for callback in object.__getattribute__(self, "callbacks"):
                getattr(callback, name)(*args, **kwargs)

        return every

    def trainer_callbacks(self) -> list:
        """Every callback's ``TrainerCallback``, in order (those that have one)."""
        return [c for c in (cb.trainer_callback() for cb in self.callbacks) if c is not None]


__all__ = ["CallbackList", "LoopCallback"]
