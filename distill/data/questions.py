"""Question records, as prompt files and gold-answer eval files hold them: one reader for both.

A record names what to ask and, optionally, its answer, in the field names datasets use:

* question: ``question``, ``prompt``, ``query``, ``instruction`` (with Alpaca's ``input`` added),
  ``messages`` (the last user turn), ``turns`` (MT-Bench: the first), ``input``;
* answer: ``answer``, ``answers``, ``aliases``, ``reference``, ``label``, ``answer_index``,
  ``answerKey``, ``target``; free-text ``output`` / ``response`` (Alpaca, Dolly);
* choices: ``choices`` / ``options`` (ARC's ``{"text": [...], "label": [...]}`` too);
* context: ``passage`` / ``context`` (BoolQ, SQuAD), put before the question when asking.

The answer's shape decides its format, and the format decides how a text is checked against it
(:mod:`distill.checks.reference` has the exact rules):

``short``  a string, a number or a list of aliases (SQuAD's ``{"text": [...]}`` too): alias match
``gsm8k``  a string ending in ``#### <number>``: the final number
``yesno``  ``true`` / ``false``: the first yes or no
``mc``     choices and the index (or letter) of the right one: scored by likelihood in evaluation
``text``   a free-text reference (prompt files only): shown to a grounded critic, never checked

Every error names the file, the line (the row for non-JSONL files) and the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from distill.checks.numbers import parse_number, split_worked
from distill.checks.reference import FORMATS_CHECKED, check, normalize_answer
from distill.errors import DataError
from distill.store.jsonl import read_jsonl, where


def as_asked(prompt: str, fmt: str | None, suffix: dict[str, str]) -> str:
    """``prompt`` as the evaluation asks it: followed by its answer format's instruction (``suffix``:
    the eval config's ``prompt_suffix``), so training, the critic's data and the eval ask alike."""
    return prompt + suffix.get(fmt or "", "")

FORMATS = ("short", "gsm8k", "mc", "yesno")
QUESTION_FIELDS = ("question", "prompt", "query", "instruction", "messages", "turns", "input")
ANSWER_FIELDS = ("answer", "answers", "aliases", "reference", "label", "answer_index", "answerKey", "target")
TEXT_ANSWER_FIELDS = ("output", "response")
CHOICE_FIELDS = ("choices", "options")
CONTEXT_FIELDS = ("passage", "context")
# A "short answer" longer than this is a free-text reference: alias matching cannot check it.
MAX_SHORT_ANSWER_WORDS = 12


class FieldError(Exception):
    """A problem with one field of one record (turned into a located :class:`DataError`)."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field_name
        self.problem = problem


@dataclass
class Question:
    """One question, with its gold answer when the record has one.

    ``gold`` depends on ``format``: short -> list of aliases, gsm8k -> float, mc -> index of the
    right choice, yesno -> bool, text -> the reference text; None (and ``format`` None) when the
    record has no answer."""

    question: str
    line: int = 0
    format: str | None = None
    gold: Any = None
    choices: list[str] | None = None
    context: str | None = None
    answer_text: str | None = None  # the answer as the record wrote it (a GSM8K worked solution)
    source: str | None = None

    @property
    def prompt(self) -> str:
        """What the model is asked: the context (if any), a blank line, then the question."""
        return f"{self.context}\n\n{self.question}" if self.context else self.question

    @property
    def gold_text(self) -> str | None:
        """The gold answer as a person would write it (for tables, reports and critics)."""
        if self.format is None:
            return None
        if isinstance(self.gold, bool):
            return "yes" if self.gold else "no"
        if self.choices is not None:
            return self.choices[self.gold]
        if isinstance(self.gold, float):
            return str(int(self.gold)) if self.gold == int(self.gold) else str(self.gold)
        if isinstance(self.gold, list):
            return " | ".join(self.gold)
        return str(self.gold)

    @property
    def reference(self) -> str | None:
        """The trusted answer a grounded critic is shown: the record's own wording (a worked
        solution, a free-text answer) where it has one, else the gold answer."""
        return self.answer_text or self.gold_text

    @property
    def checkable(self) -> bool:
        """True when a generated text can be checked against the gold answer."""
        return self.format in FORMATS_CHECKED

    def check(self, text: str, strict: bool = False) -> bool:
        """Whether ``text`` reaches the gold answer (:func:`distill.checks.reference.check`): by the
        evaluation's matching rules, or with ``strict`` (what training rewards and keeps) by them and
        naming one candidate only."""
        return self.score(text, strict)[0]

    def score(self, text: str, strict: bool = False) -> tuple[bool, Any]:
        """(correct, parsed prediction) for a generated ``text``; ``strict`` as in :meth:`check`."""
        return check(self.format, self.gold, text, strict)

    def to_json(self) -> dict:
        """Plain data for a run folder's ``prompts.json``; :meth:`from_json` reads it back."""
        out = {"prompt": self.question, "format": self.format, "gold": self.gold, "line": self.line}
        for key in ("choices", "context", "answer_text", "source"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Question":
        if "format" not in data:  # prompts.json written before references were typed: free text
            ref = data.get("reference")
            return cls(data["prompt"], format="text" if ref else None, gold=ref)
        return cls(data["prompt"], line=data.get("line", 0), format=data["format"], gold=data["gold"],
                   choices=data.get("choices"), context=data.get("context"), answer_text=data.get("answer_text"),
                   source=data.get("source"))


def first_key(record: dict, keys: Sequence[str]) -> str | None:
    """The first of ``keys`` that the record has (with any value but null)."""
    return next((k for k in keys if record.get(k) is not None), None)


def detect_format(record: dict) -> str | None:
    """The format of a record's answer, judged from its fields; None when it has none."""
    if first_key(record, CHOICE_FIELDS):
        return "mc"
    key = first_key(record, ANSWER_FIELDS)
    if key is None:  # an empty free-text answer (Self-Instruct output, say) is no answer
        return "text" if any(isinstance(record.get(k), str) and record[k].strip() for k in TEXT_ANSWER_FIELDS) else None
    value = record[key]
    if isinstance(value, bool):
        return "yesno"
    if isinstance(value, str) and split_worked(value) is not None:
        return "gsm8k"
    return "short"


def _question(record: dict) -> str:
    key = first_key(record, QUESTION_FIELDS)
    if key is None:
        raise FieldError("question", f"missing (one of {', '.join(QUESTION_FIELDS)})")
    value = record[key]
    if key == "messages":  # the last user turn is the question
        users = [m.get("content") for m in value if isinstance(m, dict) and m.get("role") == "user"] \
            if isinstance(value, list) else []
        if not users or not isinstance(users[-1], str):
            raise FieldError(key, "has no user message with text content")
        value = users[-1]
    elif key == "turns":  # MT-Bench style: the first turn
        value = value[0] if isinstance(value, list) and value else value
    elif key == "instruction" and isinstance(record.get("input"), str) and record["input"].strip():
        value = f"{value}\n\n{record['input']}" if isinstance(value, str) else value
    if not isinstance(value, str) or not value.strip():
        raise FieldError(key, f"must be non-empty text, got {_kind(value)}")
    return value.strip()


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:60]


def _parse_mc(record: dict, question: str) -> Question:
    ckey = first_key(record, CHOICE_FIELDS)
    choices = record[ckey]
    labels: list[str] | None = None
    if isinstance(choices, dict):  # ARC: {"text": [...], "label": ["A", "B", ...]}
        labels, choices = choices.get("label"), choices.get("text")
    if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
        raise FieldError(ckey, "must be a list of at least two strings")
    akey = first_key(record, ("answer", "label", "answer_index", "answerKey", "target"))
    if akey is None:
        raise FieldError("answer", "missing (index of the right choice)")
    ans = record[akey]
    if isinstance(ans, str) and not ans.strip().lstrip("-").isdigit():
        letters = labels or [chr(ord("A") + i) for i in range(len(choices))]
        if ans.strip() not in letters:
            raise FieldError(akey, f"{ans!r} is not one of the choice labels {letters}")
        ans = letters.index(ans.strip())
    elif isinstance(ans, str):
        ans = int(ans)
    if isinstance(ans, bool) or not isinstance(ans, int):
        raise FieldError(akey, f"must be the integer index of the right choice, got {_kind(ans)}")
    if not 0 <= ans < len(choices):
        raise FieldError(akey, f"index {ans} is out of range for {len(choices)} choices")
    return Question(question, format="mc", gold=ans, choices=list(choices))


def _parse_answer(record: dict, fmt: str, question: str) -> Question:
    if fmt == "mc":
        return _parse_mc(record, question)
    if fmt == "text":
        key = first_key(record, TEXT_ANSWER_FIELDS) or first_key(record, ANSWER_FIELDS)
        value = record[key]
        if not isinstance(value, str) or not value.strip():
            raise FieldError(key, f"must be non-empty text, got {_kind(value)}")
        return Question(question, format="text", gold=value.strip())
    key = first_key(record, ANSWER_FIELDS)
    if key is None:
        raise FieldError("answer", f"missing (one of {', '.join(ANSWER_FIELDS)})")
    value = record[key]
    if fmt == "yesno":
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
            value = value.strip().lower() in ("yes", "true")
        if not isinstance(value, bool):
            raise FieldError(key, f"must be true or false (or \"yes\"/\"no\"), got {_kind(value)}")
        return Question(question, format="yesno", gold=value)
    if fmt == "gsm8k":
        parts = split_worked(value) if isinstance(value, str) else None
        if parts is None:
            raise FieldError(key, f"must be a string ending in '#### <number>', got {_kind(value)}")
        number = parse_number(parts[1])
        if number is None:
            raise FieldError(key, f"no number after '####' in {parts[1]!r}")
        return Question(question, format="gsm8k", gold=number, answer_text=value.strip())
    # short answer: a string, a number, a list of aliases, or SQuAD's {"text": [...]}
    if isinstance(value, dict) and "text" in value:
        value = value["text"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    aliases = [value] if isinstance(value, str) else value
    if not isinstance(aliases, list) or not aliases or not all(
            isinstance(a, (str, int, float)) and not isinstance(a, bool) for a in aliases):
        raise FieldError(key, f"must be a string, a number or a non-empty list of strings, got {_kind(value)}")
    aliases = [str(a).strip() for a in aliases]
    if not any(normalize_answer(a) for a in aliases):
        raise FieldError(key, "is empty after normalisation (only punctuation or articles)")
    return Question(question, format="short", gold=aliases)


def parse_question(record: dict, *, format: str | None = None, need_answer: bool = False,
                   free_text: bool = False) -> Question:
    """One record -> a :class:`Question`; raises :class:`FieldError` naming the field at fault.

    ``format`` forces the answer's format instead of detecting it; ``need_answer`` makes a
    missing answer an error; ``free_text`` lets a long answer be a free-text reference."""
    question = _question(record)
    fmt = format or detect_format(record)
    if fmt is None or (need_answer and fmt == "text"):
        if need_answer:
            raise FieldError("answer", f"missing (one of {', '.join(ANSWER_FIELDS)}; free text cannot be scored)")
        item = Question(question)
    else:
        item = _parse_answer(record, fmt, question)
        if free_text and item.format == "short" and all(len(a.split()) > MAX_SHORT_ANSWER_WORDS for a in item.gold):
            item = Question(question, format="text", gold=item.gold[0])
    ckey = first_key(record, CONTEXT_FIELDS)
    if ckey is not None:
        if not isinstance(record[ckey], str):
            raise FieldError(ckey, f"must be a string, got {_kind(record[ckey])}")
        item.context = record[ckey].strip() or None
    return item


def read_rows(path: str | os.PathLike, error: type[Exception] = DataError,
              what: str = "file") -> list[tuple[str, dict]]:
    """``(location, record)`` for each record of a .jsonl/.json/.csv/.parquet file.

    JSONL is read line by line, so errors name the line (and types are the file's own, not a
    schema unified across rows); other formats go through ``datasets`` and name the row."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    if path.suffix == ".jsonl":
        return [(where(path, n), row) for n, row in read_jsonl(path, error)]
    builders = {".json": "json", ".csv": "csv", ".parquet": "parquet"}
    if path.suffix not in builders:
        raise error(f"{path}: unsupported file type {path.suffix!r}; use .jsonl, .json, .csv, .parquet (or .txt for prompts)")
    import datasets  # only for the formats it reads better than we would

    try:
        rows = datasets.load_dataset(builders[path.suffix], data_files=str(path), split="train")
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise error(f"{path}: cannot be read as {builders[path.suffix]}: {str(exc).splitlines()[0]}") from None
    return [(f"{path}, row {i}", dict(row)) for i, row in enumerate(rows, 1)]


def load_questions(path: str | os.PathLike, *, format: str | None = None, need_answer: bool = False,
                   one_format: bool = False, free_text: bool = False,
                   skip: Any = None, what: str = "file") -> list[Question]:
    """Read question records from a file (see the module docstring for the fields).

    ``format`` forces every answer's format; ``one_format`` requires every record to have the
    format of the first (an eval set); ``need_answer`` requires an answer on every record;
    ``skip(row)`` drops rows before parsing; ``what`` names the file's kind in errors. Raises
    :class:`DataError` naming the file, the line and the field."""
    if format is not None and format not in FORMATS:
        raise DataError(f"{path}: unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    items: list[Question] = []
    fmt = format
    for loc, row in read_rows(path, what=what):
        if skip is not None and skip(row):
            continue
        try:
            item = parse_question(row, format=fmt, need_answer=need_answer, free_text=free_text)
        except FieldError as exc:
            shown = fmt or detect_format(row)
            shown = f" ({shown} format)" if shown and exc.field not in QUESTION_FIELDS + ("question",) else ""
            raise DataError(f"{loc}: field {exc.field!r}{shown}: {exc.problem}") from None
        if one_format and fmt is None:
            fmt = item.format
        item.line = int(loc.rsplit(" ", 1)[1])
        item.source = str(path)
        items.append(item)
    if not items:
        raise DataError(f"{path}: no records")
    return items
