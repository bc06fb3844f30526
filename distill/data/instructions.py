"""Instruction data: load it in any standard format and normalise it (replay and held-out data).

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

from pathlib import Path
from typing import Any, Iterable, Sequence

import datasets
from datasets import Dataset

from distill.data.questions import read_rows
from distill.errors import DataError

Message = dict[str, str]
PROMPT, COMPLETION = "prompt", "completion"
_ROLES = {"system", "user", "assistant", "tool"}


def _messages(value: Any, field: str, where: str, *, default_role: str) -> list[Message]:
    """A string or a list of messages -> a validated list of messages."""
    if isinstance(value, str):
        if not value.strip():
            raise DataError(f"{where}: field {field!r} is empty")
        return [{"role": default_role, "content": value}]
    if not isinstance(value, (list, tuple)) or not value:
        raise DataError(f"{where}: field {field!r} must be a string or a non-empty list of messages, got {value!r:.80}")
    out = []
    for k, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise DataError(f"{where}: field {field!r}, message {k + 1} needs string 'role' and 'content', got {m!r:.80}")
        if m["role"] not in _ROLES:
            raise DataError(f"{where}: field {field!r}, message {k + 1} has unknown role {m['role']!r}")
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
    raise DataError(
        f"{source}, row 1: missing field 'messages' (or 'prompt'+'completion', or Alpaca 'instruction'+'output'); "
        f"the data has fields {sorted(cols)}"
    )


def _missing(row: dict, field: str, where: str) -> Any:
    value = row.get(field)
    if value is None:
        raise DataError(f"{where}: missing field {field!r}")
    return value


def normalize_example(row: dict, kind: str, where: str) -> dict[str, list[Message]]:
    """One row of a detected format -> ``{"prompt": [...], "completion": [assistant message]}``."""
    if kind == "messages":
        msgs = _messages(_missing(row, "messages", where), "messages", where, default_role="user")
        if msgs[-1]["role"] != "assistant":
            raise DataError(f"{where}: field 'messages' must end with an assistant message (the answer to train)")
        if len(msgs) < 2 or all(m["role"] == "assistant" for m in msgs[:-1]):
            raise DataError(f"{where}: field 'messages' has no user message before the answer")
        prompt, completion = msgs[:-1], msgs[-1:]
    elif kind == "prompt_completion":
        prompt = _messages(_missing(row, "prompt", where), "prompt", where, default_role="user")
        completion = _messages(_missing(row, "completion", where), "completion", where, default_role="assistant")
        if len(completion) != 1 or completion[0]["role"] != "assistant":
            raise DataError(f"{where}: field 'completion' must be one assistant message")
    elif kind == "alpaca":
        instruction = _missing(row, "instruction", where)
        output = _missing(row, "output", where)
        extra = row.get("input") or ""
        for name, v in (("instruction", instruction), ("output", output), ("input", extra)):
            if not isinstance(v, str):
                raise DataError(f"{where}: field {name!r} must be a string, got {v!r:.80}")
        if not instruction.strip():
            raise DataError(f"{where}: field 'instruction' is empty")
        if not output.strip():
            raise DataError(f"{where}: field 'output' is empty")
        text = f"{instruction}\n\n{extra}" if extra.strip() else instruction
        prompt, completion = [{"role": "user", "content": text}], [{"role": "assistant", "content": output}]
    else:  # pragma: no cover - _detect only returns the kinds above
        raise ValueError(kind)
    if not completion[0]["content"].strip():
        raise DataError(f"{where}: the answer is empty")
    return {PROMPT: prompt, COMPLETION: completion}


def _hub_dataset(source: str, split: str) -> Dataset:
    from distill.model.resolve import hub_reachable  # one notion of "online" for models and data

    if not hub_reachable():
        raise DataError(
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
        raise DataError(f"{source}: no rows")
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
    A row that fits no supported format raises :class:`DataError` naming the file, the row
    (the 1-based line for JSONL) and the missing field.
    """
    path = Path(source).expanduser()
    if path.is_file():
        located = read_rows(path, DataError)  # the same reader as prompt and eval files
        return normalize([row for _, row in located], str(path), [loc for loc, _ in located])
    if path.exists():
        raise DataError(f"{path}: not a file")
    s = str(source)
    if s.count("/") == 1 and not s.startswith((".", "/", "~")) and not path.suffix:
        return normalize(_hub_dataset(s, split), s)
    raise DataError(f"{s}: no such file (and not a hub data set id of the form org/name)")


def as_dataset(data: Dataset | Iterable[dict], source: str = "<data>") -> Dataset:
    """Pass a normalised Dataset through; normalise anything else (see :func:`normalize`)."""
    if isinstance(data, Dataset) and set(data.column_names) >= {PROMPT, COMPLETION}:
        first = data[0] if len(data) else None
        if first is None or isinstance(first[PROMPT], list):
            return data  # already normalised
    return normalize(data, source)
