"""Prompts the student answers each round: from data/ by default, or any file or dataset named.

Prompt records are question records (:mod:`distill.data.questions`): a record may carry a reference
answer in any shape an eval file uses, and a grounded teacher then checks against it. Records
without one are asked too; they are critiqued without a reference.
"""

from __future__ import annotations

import random
from pathlib import Path

from distill.data.questions import Question, load_questions
from distill.errors import DataError


def _dropped_candidate(row: dict) -> bool:
    return row.get("kept") is False  # a filtered-out Self-Instruct record: evidence, not a prompt


def load_prompts(source: str | Path) -> list[Question]:
    """Read prompts from a .jsonl/.json/.csv/.parquet file, a .txt file (one prompt a line) or,
    online, a hub dataset id. Rows need a question field (see :mod:`distill.data.questions`); JSONL
    rows with ``"kept": false`` (dropped Self-Instruct candidates) are skipped."""
    path = Path(source)
    if path.suffix == ".txt":
        if not path.is_file():
            raise DataError(f"{path}: no such prompt file")
        return [Question(line.strip(), line=n, source=str(path))
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]
    if path.suffix in (".jsonl", ".json", ".csv", ".parquet") or path.exists():
        return load_questions(path, free_text=True, skip=_dropped_candidate, what="prompt file")
    return _hub_prompts(str(source))


def _hub_prompts(source: str) -> list[Question]:
    from distill.model.resolve import hub_reachable  # one notion of "online" for models and data

    if not hub_reachable():
        raise DataError(f"{source}: no such file, and the machine is offline, so it cannot be a hub data set")
    import datasets

    from distill.data.questions import FieldError, parse_question

    out = []
    for i, row in enumerate(datasets.load_dataset(source, split="train"), 1):
        try:
            out.append(parse_question(dict(row), free_text=True))
        except FieldError as e:
            raise DataError(f"{source}: row {i}: field {e.field!r}: {e.problem}") from None
    return out


def sample_round(pool: list[Question], n: int, round_number: int, seed: int, used: set[str], fresh: bool) -> list[Question]:
    """The prompts of one round: a deterministic sample, preferring prompts not used before when
    ``fresh``; the same first ``n`` every round otherwise."""
    if not fresh:
        return pool[:n]
    rng = random.Random(f"{seed}-{round_number}")
    unused = [p for p in pool if p.prompt not in used]
    chosen = rng.sample(unused, min(n, len(unused)))
    if len(chosen) < n:  # pool exhausted: reuse old prompts rather than run short
        old = [p for p in pool if p.prompt in used]
        chosen += rng.sample(old, min(n - len(chosen), len(old)))
    return chosen


__all__ = ["Question", "load_prompts", "sample_round"]
