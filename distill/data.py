"""Instruction data: load it in any standard format, normalise it, mix it with corrected pairs.

Every loader here returns a :class:`datasets.Dataset` in TRL's *conversational
prompt/completion* format::

    {"prompt": [{"role": "user", "content": "..."}, ...],
     "completion": [{"role": "assistant", "content": "..."}]}

That is the format for which TRL's ``SFTTrainer`` computes the loss on the completion
only (``completion_only_loss``) and lets the chat template close the answer with the
end-of-turn token, so one format serves training, replay-loss evaluation and de-duplication.

Accepted input formats (per file, detected from the columns):

* conversational ``messages``: a list of ``{"role", "content"}``; the last message must be
  the assistant's answer (earlier turns become the prompt, and only the last answer is trained);
* ``prompt`` / ``completion``: strings or message lists;
* Alpaca: ``instruction`` / ``output`` with an optional ``input``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Iterable, Sequence

import datasets
from datasets import Dataset

from distill.interface import DistillError
from distill.questions import read_rows

Message = dict[str, str]
PROMPT, COMPLETION, ORIGIN = "prompt", "completion", "origin"
_ROLES = {"system", "user", "assistant", "tool"}

class DataFormatError(DistillError, ValueError):
    """Instruction data that is not in a supported format; the message names file, row and field."""


def _messages(value: Any, field: str, where: str, *, default_role: str) -> list[Message]:
    """A string or a list of messages -> a validated list of messages."""
    if isinstance(value, str):
        if not value.strip():
            raise DataFormatError(f"{where}: field {field!r} is empty")
        return [{"role": default_role, "content": value}]
    if not isinstance(value, (list, tuple)) or not value:
        raise DataFormatError(f"{where}: field {field!r} must be a string or a non-empty list of messages, got {value!r:.80}")
    out = []
    for k, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise DataFormatError(f"{where}: field {field!r}, message {k + 1} needs string 'role' and 'content', got {m!r:.80}")
        if m["role"] not in _ROLES:
            raise DataFormatError(f"{where}: field {field!r}, message {k + 1} has unknown role {m['role']!r}")
        out.append({"role": m["role"], "content": m["content"]})
    return out


def _detect(columns: Sequence[str], source: str) -> str:
    cols = set(columns)
    if "messages" in cols:
        return "messages"
    if "prompt" in cols or "completion" in cols:
        return "prompt_completion"
    if "instruction" in cols or "output" in cols:
        return "alpaca"
    raise DataFormatError(
        f"{source}, row 1: missing field 'messages' (or 'prompt'+'completion', or Alpaca 'instruction'+'output'); "
        f"the data has fields {sorted(cols)}"
    )


def _missing(row: dict, field: str, where: str) -> Any:
    value = row.get(field)
    if value is None:
        raise DataFormatError(f"{where}: missing field {field!r}")
    return value


def normalize_example(row: dict, kind: str, where: str) -> dict[str, list[Message]]:
    """One row of a detected format -> ``{"prompt": [...], "completion": [assistant message]}``."""
    if kind == "messages":
        msgs = _messages(_missing(row, "messages", where), "messages", where, default_role="user")
        if msgs[-1]["role"] != "assistant":
            raise DataFormatError(f"{where}: field 'messages' must end with an assistant message (the answer to train)")
        if len(msgs) < 2 or all(m["role"] == "assistant" for m in msgs[:-1]):
            raise DataFormatError(f"{where}: field 'messages' has no user message before the answer")
        prompt, completion = msgs[:-1], msgs[-1:]
    elif kind == "prompt_completion":
        prompt = _messages(_missing(row, "prompt", where), "prompt", where, default_role="user")
        completion = _messages(_missing(row, "completion", where), "completion", where, default_role="assistant")
        if len(completion) != 1 or completion[0]["role"] != "assistant":
            raise DataFormatError(f"{where}: field 'completion' must be one assistant message")
    elif kind == "alpaca":
        instruction = _missing(row, "instruction", where)
        output = _missing(row, "output", where)
        extra = row.get("input") or ""
        for name, v in (("instruction", instruction), ("output", output), ("input", extra)):
            if not isinstance(v, str):
                raise DataFormatError(f"{where}: field {name!r} must be a string, got {v!r:.80}")
        if not instruction.strip():
            raise DataFormatError(f"{where}: field 'instruction' is empty")
        if not output.strip():
            raise DataFormatError(f"{where}: field 'output' is empty")
        text = f"{instruction}\n\n{extra}" if extra.strip() else instruction
        prompt, completion = [{"role": "user", "content": text}], [{"role": "assistant", "content": output}]
    else:  # pragma: no cover - _detect only returns the kinds above
        raise ValueError(kind)
    if not completion[0]["content"].strip():
        raise DataFormatError(f"{where}: the answer is empty")
    return {PROMPT: prompt, COMPLETION: completion}


def _hub_dataset(source: str, split: str) -> Dataset:
    from distill.models import hub_reachable  # one notion of "online" for models and data

    if not hub_reachable():
        raise DataFormatError(
            f"{source!r} is not a local file, and looks like a hub data set id, but this machine is offline "
            "(the hub cannot be reached). Use a local .jsonl/.json/.parquet/.csv file, e.g. data/replay.jsonl"
        )
    return datasets.load_dataset(source, split=split)


def normalize(rows: Iterable[dict] | Dataset, source: str = "<data>", locations: list[str] | None = None) -> Dataset:
    """Any supported rows (a Dataset or dicts) -> conversational prompt/completion Dataset.

    ``source`` and ``locations`` (where each row is, e.g. ``file, line 3``) only serve error messages.
    """
    rows = list(rows)
    if not rows:
        raise DataFormatError(f"{source}: no rows")
    columns: list[str] = []
    for r in rows:  # union of keys: JSONL rows may differ
        columns.extend(k for k in r if k not in columns)
    kind = _detect(columns, source)
    out = [normalize_example(r, kind, locations[i] if locations else f"{source}, row {i + 1}")
           for i, r in enumerate(rows)]
    return Dataset.from_list(out)


def load_instructions(source: str | Path, split: str = "train") -> Dataset:
    """Load instruction data from a local .jsonl/.json/.parquet/.csv file or a hub id (online only).

    Returns a conversational prompt/completion :class:`~datasets.Dataset` (see module docstring).
    A row that fits no supported format raises :class:`DataFormatError` naming the file, the row
    (the 1-based line for JSONL) and the missing field.
    """
    path = Path(source).expanduser()
    if path.is_file():
        located = read_rows(path, DataFormatError)  # the same reader as prompt and eval files
        return normalize([row for _, row in located], str(path), [loc for loc, _ in located])
    if path.exists():
        raise DataFormatError(f"{path}: not a file")
    s = str(source)
    if s.count("/") == 1 and not s.startswith((".", "/", "~")) and not path.suffix:
        return normalize(_hub_dataset(s, split), s)
    raise DataFormatError(f"{s}: no such file (and not a hub data set id of the form org/name)")


def prompt_key(prompt: Sequence[Message]) -> str:
    """Identity of a prompt for de-duplication: roles and contents, whitespace- and case-insensitive."""
    return json.dumps([[m["role"], " ".join(m["content"].split()).casefold()] for m in prompt])


def as_dataset(data: Dataset | Iterable[dict], source: str = "<data>") -> Dataset:
    """Pass a normalised Dataset through; normalise anything else (see :func:`normalize`)."""
    if isinstance(data, Dataset) and set(data.column_names) >= {PROMPT, COMPLETION}:
        first = data[0] if len(data) else None
        if first is None or isinstance(first[PROMPT], list):
            return data  # already normalised
    return normalize(data, source)


def mix(pairs: Dataset | Iterable[dict], replay: Dataset | Iterable[dict], ratio: float, seed: int = 0) -> Dataset:
    """Corrected pairs plus replay examples, shuffled; the training set of one round.

    ``ratio`` is the number of replay examples per corrected pair (after de-duplication):
    ``round(ratio * len(pairs))`` replay examples are drawn without replacement, capped at the
    number available. ``ratio=1`` gives a half-and-half mix, ``ratio=0`` no replay.
    Duplicates by prompt (see :func:`prompt_key`) are removed: the first of several pairs is
    kept, and a corrected pair always wins over a replay example with the same prompt.
    The same inputs and seed always give the same dataset. The result has an ``origin``
    column (``"pair"`` or ``"replay"``) besides ``prompt`` and ``completion``.
    """
    if ratio < 0:
        raise ValueError(f"mix ratio must be >= 0 (replay examples per corrected pair), got {ratio}")
    pair_ds, replay_ds = as_dataset(pairs, "<pairs>"), as_dataset(replay, "<replay>")
    seen: set[str] = set()

    def unseen(ds: Dataset, origin: str) -> list[dict]:
        # Order matters: pairs are read first, so a corrected pair wins over replay.
        out = []
        for row in ds:
            key = prompt_key(row[PROMPT])
            if key not in seen:
                seen.add(key)
                out.append({PROMPT: row[PROMPT], COMPLETION: row[COMPLETION], ORIGIN: origin})
        return out

    kept = unseen(pair_ds, "pair")
    candidates = unseen(replay_ds, "replay")
    rng = random.Random(seed)
    n_replay = min(len(candidates), round(ratio * len(kept)))
    chosen = rng.sample(candidates, n_replay)
    rows = kept + chosen
    rng.shuffle(rows)
    if not rows:
        raise ValueError("mix: no examples (no corrected pairs and no replay requested)")
    return Dataset.from_list(rows)
