"""Run a student server command and end it, for sure, when the loop that started it stops or dies.

``python -m distill.model.server_guard PARENT_PID GRACE -- COMMAND...``: the guard runs COMMAND in a
process group of its own and, on SIGTERM (the loop stopping the server) or once PARENT_PID is no
longer its parent (the loop died, even by SIGKILL), sends the group SIGTERM, then SIGKILL after
GRACE seconds. Signalling the server directly was not enough: a busy server (``transformers
serve``, vLLM) drains its in-flight requests on SIGTERM, minutes of answers nobody reads once the
loop is gone, and a server's worker processes can outlive it. The parent is polled rather than
armed with Linux's parent-death signal, which fires when the starting *thread* ends and exists
only on Linux. Ctrl-C in the terminal reaches the loop, which stops at its next safe point and
then stops the server; the guard and the server ignore it, so generation under way can finish.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

POLL = 0.5  # seconds between checks that the loop is still there


def _end(child: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the server's group, SIGKILL after ``grace`` seconds (and to what it leaves behind)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:  # the whole group is gone already
            return
        try:
            child.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python -m distill.model.server_guard PARENT_PID GRACE -- COMMAND...", file=sys.stderr)
        return 2
    parent, grace, command = int(argv[0]), float(argv[1]), argv[3:]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping: list[int] = []
    # a flag, not the work: Popen.wait inside a handler that interrupted Popen.wait deadlocks
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    child = subprocess.Popen(command, start_new_session=True)
    while True:
        try:
            status = child.wait(timeout=POLL)
            break
        except subprocess.TimeoutExpired:
            if stopping or os.getppid() != parent:
                _end(child, grace)
                return 128 + signal.SIGTERM
    _end(child, 0.0)  # the server exited by itself: its workers go with it
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
