"""Preference pairs from a round's records: Constitutional AI's second phase.

Every kept record with a fault verdict is a preference: the revision (chosen) over the student's
first answer (rejected). A round writes them to ``round-NN/pairs.jsonl`` in TRL's conversational
preference format, one JSON object per line::

    {"prompt": [{"role": "user", "content": ...}], "chosen": [{"role": "assistant", ...}],
     "rejected": [{"role": "assistant", ...}], "round": 1, "index": 7, "checked": true}

``checked`` says a reference check stood behind the preference (the chosen side passed it and
the rejected side failed it); a pair whose check did not come out that way is not a pair.
Unchecked pairs (no reference) rest on the teacher's word alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from distill.errors import DataError
from distill.store.jsonl import read_jsonl, where, write_jsonl
from distill.store.records import Sample

PAIR_FIELDS = ("prompt", "chosen", "rejected")


def _turn(role: str, text: str) -> list[dict]:
    return [{"role": role, "content": text}]


def pairs_from_samples(samples: Iterable[Sample]) -> list[dict]:
    """Preference pairs (revision over answer) from kept fault records, in record order."""
    out = []
    for s in samples:
        if not (s.kept and s.verdict == "fault" and s.revision):
            continue
        checked = s.answer_passed is not None and s.revision_passed is not None
        if checked and not (s.revision_passed and not s.answer_passed):
            continue
        out.append({"prompt": _turn("user", s.prompt), "chosen": _turn("assistant", s.revision),
                    "rejected": _turn("assistant", s.answer), "round": s.round, "index": s.index, "checked": checked})
    return out


def write_pairs(path: str | os.PathLike, pairs: list[dict]) -> None:
    """Write ``pairs`` as JSONL (atomically: the file is complete or absent)."""
    write_jsonl(path, pairs)


def _message_list(value: object, field: str, role: str, at: str) -> None:
    ok = (isinstance(value, list) and value and all(isinstance(m, dict) and isinstance(m.get("content"), str)
                                                    and isinstance(m.get("role"), str) for m in value))
    if not ok:
        raise DataError(f"{at}: field {field!r}: must be a non-empty list of {{role, content}} messages")
    if value[-1]["role"] != role:
        raise DataError(f"{at}: field {field!r}: the last message must be the {role}'s")


def read_pairs(path: str | os.PathLike) -> list[dict]:
    """The pairs of a ``pairs.jsonl`` (written by the loop or edited by hand), each checked."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such pairs file")
    pairs = []
    for n, row in read_jsonl(path, DataError):
        at = where(path, n)
        for field in PAIR_FIELDS:
            if field not in row:
                raise DataError(f"{at}: field {field!r}: missing (a pair needs {', '.join(PAIR_FIELDS)})")
        _message_list(row["prompt"], "prompt", "user", at)
        _message_list(row["chosen"], "chosen", "assistant", at)
        _message_list(row["rejected"], "rejected", "assistant", at)
        pairs.append(row)
    return pairs
