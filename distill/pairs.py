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
import random
from pathlib import Path
from typing import Iterable

from distill.interface import DistillError
from distill.jsonl import read_jsonl, where
from distill.records import Sample

PAIR_FIELDS = ("prompt", "chosen", "rejected")


class PairDataError(DistillError, ValueError):
    """A pairs file that cannot be used; the message names the file, the line and the field."""


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
    import json

    from distill.atomic import write_text

    write_text(path, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))


def _message_list(value: object, field: str, role: str, at: str) -> None:
    ok = (isinstance(value, list) and value and all(isinstance(m, dict) and isinstance(m.get("content"), str)
                                                    and isinstance(m.get("role"), str) for m in value))
    if not ok:
        raise PairDataError(f"{at}: field {field!r}: must be a non-empty list of {{role, content}} messages")
    if value[-1]["role"] != role:
        raise PairDataError(f"{at}: field {field!r}: the last message must be the {role}'s")


def read_pairs(path: str | os.PathLike) -> list[dict]:
    """The pairs of a ``pairs.jsonl`` (written by the loop or edited by hand), each checked."""
    path = Path(path)
    if not path.is_file():
        raise PairDataError(f"{path}: no such pairs file")
    pairs = []
    for n, row in read_jsonl(path, PairDataError):
        at = where(path, n)
        for field in PAIR_FIELDS:
            if field not in row:
                raise PairDataError(f"{at}: field {field!r}: missing (a pair needs {', '.join(PAIR_FIELDS)})")
        _message_list(row["prompt"], "prompt", "user", at)
        _message_list(row["chosen"], "chosen", "assistant", at)
        _message_list(row["rejected"], "rejected", "assistant", at)
        pairs.append(row)
    return pairs


def preference_mix(pairs: list[dict], sft_rows: list[dict], seed: int = 0) -> list[dict]:
    """Pairs plus rows to learn by imitation only, as one preference dataset (prompt, chosen, rejected).

    An imitation row (replay data, a verified answer) enters with ``rejected == chosen``: its
    preference term is then exactly zero (the policy's log-ratio of a response to itself), so it
    contributes only the SFT term of TRL's combined loss (``loss_type: [sigmoid, sft]``). That is
    how a DPO round keeps training on original data, the forgetting guard."""
    rows = [{k: p[k] for k in PAIR_FIELDS} for p in pairs]
    rows += [{"prompt": r["prompt"], "chosen": r["completion"], "rejected": r["completion"]} for r in sft_rows]
    random.Random(seed).shuffle(rows)
    return rows


def dpo_rows(pairs: list[dict], imitate: list[dict], replay, ratio: float, seed: int = 0) -> list[dict]:
    """A DPO round's data: ``pairs``, plus ``imitate`` (prompt/completion rows: verified answers)
    and ``ratio`` replay examples per row drawn from ``replay``, both as imitation-only rows."""
    n = 0 if replay is None else min(len(replay), round(ratio * (len(pairs) + len(imitate))))
    picked = [replay[i] for i in sorted(random.Random(seed).sample(range(len(replay)), n))] if n else []
    return preference_mix(pairs, imitate + picked, seed)
