"""What every entry point shares — the ``distill`` command and every recipe: the display for where
output goes, and a user's mistake as one line with its exit status instead of a traceback."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import TYPE_CHECKING, Callable, TextIO

from distill.errors import DistillError

if TYPE_CHECKING:
    from distill.loop.display import Display

log = logging.getLogger(__name__)


def make_display(stream: TextIO | None = None, quiet: bool = False, plain: bool = False) -> "Display":
    """The right display for where output goes: nothing when ``quiet``, live on a terminal,
    plain lines elsewhere (a pipe, a file, CI) or when ``plain``."""
    from distill.loop.display import Display, PlainDisplay

    if quiet:
        return Display()
    stream = stream or sys.stdout
    if not plain and stream.isatty():
        try:
            from rich.console import Console

            from distill.ui.live import RichDisplay

            return RichDisplay(Console(file=stream))
        except ImportError:  # rich missing or broken: plain lines still tell the story
            log.warning("live display unavailable; using plain lines", exc_info=True)
    return PlainDisplay(stream)


def guarded(prog: str, fn: Callable[[], int], debug: bool = False) -> int:
    """Run ``fn`` the way every command and recipe does: the current folder importable (a user's
    ``mymod:MyTeacher``), and a :class:`DistillError` — a user's mistake, a full disk, a run
    stopped by Ctrl-C — printed as one line with its exit status instead of a traceback (unless
    ``debug``)."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return int(fn() or 0)
    except DistillError as exc:
        if debug:
            traceback.print_exc()
        print(f"{prog}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:  # a second Ctrl-C: stopped at once, between two durable writes
        if debug:
            traceback.print_exc()
        print(f"{prog}: interrupted; run the same command again to resume (nothing finished is lost)", file=sys.stderr)
        return 130
