"""Gold-answer eval sets: question records with an answer each, all of one format.

``short`` (alias match), ``gsm8k`` (the final number), ``yesno`` (the first yes or no) and ``mc``
(the log-likelihood of each choice): :mod:`distill.data.questions` reads the records,
:mod:`distill.checks.reference` has the matching rules, and :mod:`distill.eval.gold` scores a student.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from distill.checks.reference import normalize_answer
from distill.data.paths import DATA_DIR
from distill.data.questions import Question, load_questions

EVAL_DIR = DATA_DIR / "eval"
GUARD_DIR = DATA_DIR / "guard"


@dataclass
class EvalSet:
    """A named list of eval items of one format."""

    name: str
    format: str
    items: list[Question]
    path: str | None = None


def load_eval_set(path: str | os.PathLike, format: str | None = None, name: str | None = None) -> EvalSet:
    """Read an eval file (see :mod:`distill.data.questions` for the record shapes). Every record needs
    an answer, and every record has the format of the first unless ``format`` forces one.

    Raises :class:`~distill.errors.DataError` naming the file, the line and the field on bad input.
    """
    path = Path(path)
    items = load_questions(path, format=format, need_answer=True, one_format=True, what="eval file")
    return EvalSet(name or path.stem, items[0].format, items, str(path))


def default_eval_paths() -> list[Path]:
    """The eval sets shipped with the project (``data/eval/*.jsonl``)."""
    return sorted(EVAL_DIR.glob("*.jsonl"))


def default_guard_paths() -> list[Path]:
    """The forgetting guards shipped with the project (``data/guard/*.jsonl``: general-capability
    multiple choice unlike the training data and the eval sets)."""
    return sorted(GUARD_DIR.glob("*.jsonl"))


def eval_questions(paths: Iterable[str | os.PathLike] | None = None) -> set[str]:
    """Normalised questions (and contexts, if any) of the given (default: shipped) eval sets.

    The loop checks training prompts against this set, so that no eval question is
    trained on: ``normalize_answer(prompt) in eval_questions()`` means leakage.
    """
    out: set[str] = set()
    for p in paths if paths is not None else default_eval_paths():
        for item in load_eval_set(p).items:
            out.add(normalize_answer(item.question))
            if item.context:
                out.add(normalize_answer(item.context))
    return out
