"""The run folder: config, manifest, and per-round records appended as they are produced.

Everything here is written so that a process killed at any moment leaves files a resumed run can
trust: JSONL records are appended, flushed and fsynced one line at a time (a torn last line is cut
off on reading), and whole files (manifest, eval results) are replaced atomically.
"""

from __future__ import annotations

import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from distill.errors import DataError, ResourceError
from distill.store.atomic import write_json, writing
from distill.store.jsonl import read_records
from distill.store.records import Manifest, Sample

__all__ = ["RunFolder", "read_json"]


def read_json(path: Path, default: Any = None, *, strict: bool = True) -> Any:
    """The JSON in ``path``, or ``default`` when there is no such file (or, not ``strict``, when it
    cannot be read: a reader beside a running writer)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        if not strict:
            return default
        raise DataError(f"{path}: not valid JSON ({e}); restore it or remove it to redo that step") from None


class RunFolder:
    """Paths and state of ``runs/<name>/``."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.yaml"

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def round_dir(self, n: int) -> Path:
        return self.path / f"round-{n:02d}"

    def samples_path(self, n: int) -> Path:
        return self.round_dir(n) / "samples.jsonl"

    def samples(self, n: int, *, repair: bool = True) -> list[Sample]:
        """Round ``n``'s records. A torn last line is cut off; without ``repair`` (a reader beside a
        running writer) it is skipped and the file left alone (see :func:`~distill.store.jsonl.read_records`)."""
        return [Sample.from_json(r) for r in read_records(self.samples_path(n), repair=repair)]

    def pairs_path(self, n: int) -> Path:
        return self.round_dir(n) / "pairs.jsonl"

    def eval_path(self, n: int) -> Path:
        return self.round_dir(n) / "eval.json"

    def manifest(self, *, strict: bool = True) -> Manifest | None:
        """The saved manifest, or None before round 0 has been measured (and, not ``strict``, when
        it cannot be read: a reader beside a running writer)."""
        data = read_json(self.manifest_path, strict=strict)
        try:
            if data is not None and not isinstance(data, dict):
                raise TypeError("a JSON object is expected")
            return Manifest.from_json(data) if data else None
        except TypeError as e:
            if not strict:
                return None
            raise DataError(f"{self.manifest_path}: not a manifest ({e}); restore it or remove it") from None

    def save_manifest(self, manifest: Manifest) -> None:
        with writing(self.manifest_path):
            self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.manifest_path, manifest.to_json())

    @property
    def lock_path(self) -> Path:
        return self.path / "lock"

    @contextmanager
    def lock(self) -> Iterator[str | None]:
        """Hold the folder for this process while the block runs: a second process refuses with
        :class:`~distill.errors.ResourceError`. A lock left by a process that died (SIGKILL) is taken over; the
        value yielded says so (None otherwise)."""
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        note = None
        for _ in range(3):
            try:
                with writing(self.lock_path):
                    self.path.mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                with os.fdopen(fd, "w") as f:
                    json.dump(me, f)
                break
            except FileExistsError:
                holder = self._holder()
                if holder == {}:  # being written this instant, or its writer died mid-write: look again
                    time.sleep(0.2)
                    holder = self._holder()
                if holder is None:  # released meanwhile
                    continue
                if holder and _alive(holder):
                    raise ResourceError(
                        f"{self.path} is in use by process {holder['pid']} on {holder['host']}; wait for it to "
                        f"finish or stop it (if it is gone, remove {self.lock_path})") from None
                note = f"took over {self.lock_path}, left by process {(holder or {}).get('pid', '?')} that is no longer running"
                self.lock_path.unlink(missing_ok=True)
        else:
            raise ResourceError(f"{self.lock_path}: could not be taken; another process keeps taking it")
        try:
            yield note
        finally:
            if (self._holder() or {}).get("pid") == me["pid"]:
                self.lock_path.unlink(missing_ok=True)

    def _holder(self) -> dict | None:
        try:
            data = json.loads(self.lock_path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else {}
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError):
            return {}  # a torn lock file: its writer died while writing it

    def rounds(self) -> list[int]:
        """Round numbers present on disk, in order (round 0 is the untouched student)."""
        out = []
        for p in self.path.glob("round-*"):
            try:
                out.append(int(p.name.split("-", 1)[1]))
            except ValueError:
                continue
        return sorted(out)


def _alive(holder: dict) -> bool:
    """Whether the lock's holder still runs. A holder on another host (a shared filesystem) is
    taken to be alive: we cannot see its processes."""
    if holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
