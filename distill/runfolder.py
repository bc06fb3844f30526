"""The run folder: config, manifest, and per-round records appended as they are produced.

Everything here is written so that a process killed at any moment leaves files a resumed run can
trust: JSONL records are appended, flushed and fsynced one line at a time (a torn last line is cut
off on reading), and whole files (manifest, eval results) are replaced atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from distill.jsonl import where


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        return default


def read_records(path: Path) -> list[dict]:
    """All complete records of a JSONL file. A torn last line (a write killed midway) is removed
    from the file, so appending continues on a clean line."""
    path = Path(path)
    if not path.exists():
        return []
    raw = path.read_bytes()
    good_end = raw.rfind(b"\n") + 1
    if good_end < len(raw):
        with open(path, "r+b") as f:
            f.truncate(good_end)
    records = []
    for n, line in enumerate(raw[:good_end].splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{where(path, n)}: not valid JSON ({e}); fix or remove that line") from None
    return records


def append_records(path: Path, records: Iterable[dict]) -> None:
    """Append records, one JSON line each, durable before returning."""
    with open(path, "a") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
        os.fsync(f.fileno())


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

    def eval_path(self, n: int) -> Path:
        return self.round_dir(n) / "eval.json"

    def manifest(self) -> dict:
        return read_json(self.manifest_path, {}) or {}

    def save_manifest(self, manifest: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.manifest_path, manifest)

    def rounds(self) -> list[int]:
        """Round numbers present on disk, in order (round 0 is the untouched student)."""
        out = []
        for p in self.path.glob("round-*"):
            try:
                out.append(int(p.name.split("-", 1)[1]))
            except ValueError:
                continue
        return sorted(out)
