"""Named points at which a process may be SIGKILLed on purpose, to prove a run survives it.

``DISTILL_KILL_AT=name`` (or ``name:n``, the n-th time the point is passed) makes this process
kill itself with SIGKILL there — no cleanup, no ``finally``, exactly as ``kill -9`` or a power
cut would. Unset (always, outside tests and ``bench/kill_sweep.py``), :func:`point` does nothing.
The loop passes the phase points through :class:`distill.loop.interrupt.KillPoints`, a loop callback.

The points: ``answer`` and ``evaluate`` (after a generation batch), ``critique`` and ``revise``
(after the teacher answered, before the records are written), ``append`` (after one record of a
chunk is written, before the next), ``train_step`` (after an optimizer step), ``folder_written``
(a model or adapter folder complete under its temporary name, not yet renamed), and
``replace:<file>`` (an atomic file write done under its temporary name, not yet in place).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_passed: Counter = Counter()


def point(name: str) -> None:
    """Die here if ``DISTILL_KILL_AT`` names this point (and this is its n-th passing)."""
    spec = os.environ.get("DISTILL_KILL_AT")
    if not spec:
        return
    want, _, nth = spec.rpartition(":") if spec.rsplit(":", 1)[-1].isdigit() else (spec, "", "1")
    if name != want:
        return
    _passed[name] += 1
    if _passed[name] == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)
