"""Atomic writes: a file or a folder is either the old one or the complete new one, never half.

A process killed mid-write leaves at most a ``*.tmp`` file or a ``.tmp-*`` folder beside the
target, which nothing reads. Folders also get a completion marker written last, so a reader can
tell a finished folder from one copied or left by other means.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from distill.errors import ResourceError
from distill.store import killpoints

COMPLETE_MARKER = "distill-complete.json"
# A write that fails for these reasons is the machine's state, not a bug: say what, and how to go on.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


@contextmanager
def writing(path: str | os.PathLike) -> Iterator[None]:
    """Turn a disk-full / read-only / permission error while writing ``path`` into a :class:`ResourceError`."""
    try:
        yield
    except ResourceError:
        raise
    except OSError as e:
        if e.errno not in _DISK_ERRNOS:
            raise
        raise ResourceError(f"{path}: could not be written ({e.strerror}); free space or fix permissions, then run "
                         "the same command again: nothing finished is lost") from None


def write_text(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8), durable before returning."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with writing(path), open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        killpoints.point(f"replace:{path.name}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Replace ``path`` with ``data`` as indented JSON."""
    write_text(path, json.dumps(data, indent=2, default=str, ensure_ascii=False))


def is_complete(folder: str | os.PathLike) -> bool:
    """True when ``folder`` was fully written by :func:`write_folder` (its marker exists)."""
    return (Path(folder) / COMPLETE_MARKER).is_file()


def write_folder(final: str | os.PathLike, write: Callable[[Path], None], **marker: Any) -> Path:
    """Fill a folder under a temporary name with ``write(tmp)``, mark it complete, rename it to ``final``.

    An existing ``final`` is replaced. If another process put a complete ``final`` in place
    first (two processes converting one cache entry), that one is kept. ``marker`` fields are
    stored in the completion marker."""
    final = Path(final)
    with writing(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a served model folder must be readable by a server's user
    old = final.parent / f".old-{final.name}-{os.getpid()}-{time.monotonic_ns()}"
    try:
        with writing(final):
            write(tmp)
            (tmp / COMPLETE_MARKER).write_text(json.dumps({"saved_at": time.time(), **marker}, default=str))
        killpoints.point("folder_written")
        if final.exists():
            os.rename(final, old)  # a rename cannot replace a non-empty folder
        try:
            os.rename(tmp, final)
        except OSError:
            if not is_complete(final):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return final
