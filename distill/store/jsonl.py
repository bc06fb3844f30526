"""JSONL, the format of every record file: one reader for data files, one for records a run appends,
and the two ways of writing (append durably, replace atomically).

* :func:`read_jsonl`: a data file a person wrote (prompts, eval sets, pairs, seed tasks); a bad
  line is an error naming the file and the line.
* :func:`read_records`: records a run appended (``samples.jsonl``); a torn last line — a write
  killed midway — is cut off (``repair``) or skipped by a reader that must not write.
* :func:`append_records`: append and flush record by record, fsynced before returning.
* :func:`write_jsonl`: replace a whole file atomically (complete or absent).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from distill.errors import DataError
from distill.store import killpoints
from distill.store.atomic import write_text, writing


def where(path: str | Path, line: int) -> str:
    """The location prefix every data error starts with: ``<path>, line <n>``."""
    return f"{path}, line {line}"


def read_jsonl(path: str | Path, error: type[Exception] = DataError) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for each non-blank line of a JSONL file whose records are JSON objects.

    A line that is not UTF-8 text, not valid JSON, or not an object raises ``error`` naming the
    file and the line."""
    records = []
    with Path(path).open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise error(f"{where(path, n)}: not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8") from None
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                raise error(f"{where(path, n)}: not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise error(f"{where(path, n)}: JSON nested too deeply") from None
            if not isinstance(record, dict):
                raise error(f"{where(path, n)}: expected a JSON object, got {type(record).__name__}")
            records.append((n, record))
    return records


def read_records(path: str | Path, *, repair: bool = True) -> list[dict]:
    """All complete records of a JSONL file a run appends to (none when it does not exist).

    With ``repair`` (the run's own reads) a torn last line is removed from the file, so appending
    continues on a clean line, and a garbage line is an error naming it. Without (a reader beside a
    running writer, such as ``distill show``) the file is never touched: a torn last line — perhaps
    being written this instant — and unreadable lines are skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    good_end = raw.rfind(b"\n") + 1
    if repair and good_end < len(raw):
        with open(path, "r+b") as f:
            f.truncate(good_end)
    records = []
    for n, line in enumerate(raw[:good_end].splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            if repair:
                raise DataError(f"{where(path, n)}: not valid JSON ({e}); fix or remove that line") from None
    return records


def append_records(path: str | Path, records: Iterable[dict]) -> None:
    """Append records, one JSON line each, durable before returning. A write that fails midway
    leaves at most a torn last line, which :func:`read_records` cuts off."""
    with writing(path), open(path, "a", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            killpoints.point("append")
        os.fsync(f.fileno())


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> None:
    """Replace ``path`` with ``rows`` as JSONL, atomically: the file is complete or absent."""
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
