"""JSONL reading with errors that name the file and the line (one format for every data file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def where(path: str | Path, line: int) -> str:
    """The location prefix every data error starts with: ``<path>, line <n>``."""
    return f"{path}, line {line}"


def read_jsonl(path: str | Path, error: type[Exception] = ValueError) -> list[tuple[int, dict[str, Any]]]:
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
