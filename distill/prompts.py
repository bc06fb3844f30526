"""Prompts the student answers each round: from data/ by default, or any file or dataset named."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from distill.jsonl import read_jsonl, where

PROMPT_FIELDS = ("prompt", "instruction", "question", "messages", "turns")
REFERENCE_FIELDS = ("reference", "answer", "output", "response")


class PromptDataError(ValueError):
    """A prompt source that cannot be read; the message names the file, the line and the field."""


@dataclass(frozen=True)
class PromptItem:
    """One training prompt and, for grounded teachers, an optional reference answer."""

    prompt: str
    reference: str | None = None


def _from_row(row: dict, where: str) -> PromptItem:
    key = next((k for k in PROMPT_FIELDS if row.get(k) not in (None, "", [])), None)
    if key is None:
        raise PromptDataError(f"{where}: no prompt field (expected one of: {', '.join(PROMPT_FIELDS)})")
    value = row[key]
    if key == "messages":  # the last user turn is the prompt
        users = [m.get("content") for m in value if isinstance(m, dict) and m.get("role") == "user"]
        if not users or not isinstance(users[-1], str):
            raise PromptDataError(f"{where}: field 'messages' has no user message with text content")
        value = users[-1]
    elif key == "turns":  # MT-Bench style: the first turn
        value = value[0]
    elif key == "instruction" and row.get("input"):
        value = f"{value}\n\n{row['input']}"
    if not isinstance(value, str):
        raise PromptDataError(f"{where}: field {key!r} must be text, got {type(value).__name__}")
    ref_key = next((k for k in REFERENCE_FIELDS if isinstance(row.get(k), str) and row[k].strip()), None)
    return PromptItem(value.strip(), row[ref_key].strip() if ref_key else None)


def load_prompts(source: str | Path) -> list[PromptItem]:
    """Read prompts from a .jsonl/.json/.csv/.parquet/.txt file (a .txt has one prompt a line) or,
    online, a hub dataset id. Rows need one of the fields in ``PROMPT_FIELDS``; JSONL rows with
    ``"kept": false`` (dropped Self-Instruct candidates) are skipped."""
    path = Path(source)
    if path.suffix == ".txt":
        return [PromptItem(line.strip()) for line in path.read_text().splitlines() if line.strip()]
    if path.suffix == ".jsonl":
        if not path.is_file():
            raise PromptDataError(f"{path}: no such prompt file")
        items = []
        for n, row in read_jsonl(path, PromptDataError):
            if row.get("kept") is False:  # a filtered-out record (Self-Instruct output): evidence, not a prompt
                continue
            items.append(_from_row(row, where(path, n)))
        return items
    # Other formats and hub datasets through `datasets`, which already knows them.
    import datasets

    builders = {".json": "json", ".csv": "csv", ".parquet": "parquet"}
    if path.suffix in builders:
        if not path.is_file():
            raise PromptDataError(f"{path}: no such prompt file")
        rows = datasets.load_dataset(builders[path.suffix], data_files=str(path), split="train")
    else:
        from distill.models import hub_reachable

        if not hub_reachable():
            raise PromptDataError(f"{source}: no such file, and the machine is offline, so it cannot be a hub data set")
        rows = datasets.load_dataset(str(source), split="train")
    return [_from_row(row, f"{source}: row {i}") for i, row in enumerate(rows, 1)]


def sample_round(pool: list[PromptItem], n: int, round_number: int, seed: int, used: set[str], fresh: bool) -> list[PromptItem]:
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
