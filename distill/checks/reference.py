"""Does an answer reach its reference? The matching rules by answer format, for gold-answer
evaluation, the grounded teacher's check, the target review and the ``reference`` reward
(:func:`check`), in one place so they can be cited:

* **Normalisation** (SQuAD style): lower-case, numbers rewritten canonically
  (``1,000`` -> ``1000``, ``7.0`` -> ``7``), punctuation removed, the articles
  *a*, *an*, *the* removed, whitespace collapsed.
* **Short answers**: correct when some normalised alias occurs in the normalised
  answer as a whole-word match (``"paris"`` matches ``"it is paris"`` but not
  ``"parisian"``). Containment rather than equality because chat models answer
  in sentences; whole words so that ``"red"`` does not match ``"bored"``. This
  lenient rule lets an answer that hedges across candidates ("Paris or Rome")
  count as right; evaluation reports it, and reports the strict rule beside it.
* **Strict** (what training rewards and keeps): lenient, and not :func:`hedged`:
  no alternatives joined by *or* / *either*, and the matched alias not one of a
  list of names ("Paris, Rome and Madrid"). A yes/no answer that offers both
  ("yes or no") is hedged too. GSM8K answers have one final number: strict is lenient.
* **GSM8K style**: the gold number follows ``####``; the prediction is the number
  after ``####`` when the answer has one, else the last number in the answer.
  Numbers compare as numbers (``1,200``, ``1200`` and ``1200.0`` agree; :mod:`distill.checks.numbers`
  has the grammar and the tolerance).
* **Yes/no**: the first standalone *yes* or *no* in the answer; none -> wrong.
"""

from __future__ import annotations

import re
import string
from typing import Sequence

from distill.checks.numbers import canonical, canonical_numbers, final_number, same_number

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_YESNO = re.compile(r"\b(yes|no)\b")
_DISJUNCTION = re.compile(r"\b(or|either)\b")
_BOTH_YESNO = re.compile(r"\b(yes|no)\b\s*(?:/|,|\bor\b)\s*\b(yes|no)\b")
# A name: capitalised words, with a few lower-case joiners inside ("Gulf of Mexico").
_NAME = r"[A-Z][\w'.-]*(?:\s+(?:of|the|de|du|la|and\s+the)?\s*[A-Z][\w'.-]*)*"
# A list of two or more names: "A, B and C", "A and B", "A, B".
_NAME_LIST = re.compile(rf"{_NAME}(?:\s*,\s*{_NAME})*\s*(?:,\s*|\s+)(?:and|&)\s+{_NAME}|{_NAME}(?:\s*,\s*{_NAME})+")
_PUNCT = str.maketrans({c: " " for c in string.punctuation})


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation, with numbers rewritten canonically first."""
    text = text.lower()
    text = canonical_numbers(text)
    # keep decimal points inside numbers ("2.5") while removing other punctuation
    text = re.sub(r"(?<=\d)\.(?=\d)", "\x00", text)
    text = text.translate(_PUNCT).replace("\x00", ".")
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def alias_match(answer: str, aliases: list[str]) -> bool:
    """True when a normalised alias occurs as whole words in the normalised answer."""
    padded = f" {normalize_answer(answer)} "
    for alias in aliases:
        norm = normalize_answer(alias)
        if norm and f" {norm} " in padded:
            return True
    return False


def hedged(answer: str, aliases: list[str] | None = None) -> bool:
    """True when ``answer`` names more than one candidate: alternatives joined by *or* / *either*,
    both yes and no offered together, or (given ``aliases``) a matched alias that is one name of a
    list of names. Such an answer passes the lenient alias match by listing candidates; the strict
    check (training's) fails it."""
    lowered = answer.lower()
    if _DISJUNCTION.search(lowered) or _BOTH_YESNO.search(lowered):
        return True
    for listed in _NAME_LIST.finditer(answer) if aliases else ():
        names = [n for n in re.split(r"\s*,\s*|\s+(?:and|&)\s+", listed.group(0)) if n.strip()]
        if any(alias_match(n, aliases) for n in names) and not all(alias_match(n, aliases) for n in names):
            return True
    return False


def answer_key(format: str | None, text: str) -> str | None:
    """What an answer says, reduced to compare across questions (is the student giving the same
    answer whatever it is asked?): ``yes`` / ``no`` for yes/no, the final number for GSM8K style,
    the normalised first sentence for short answers; None when there is nothing to read."""
    if format == "yesno":
        v = first_yes_no(text)
        return None if v is None else ("yes" if v else "no")
    if format == "gsm8k":
        v = final_number(text)
        return None if v is None else canonical(v)
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return normalize_answer(first) or None


def most_common(keys: Sequence[str | None]) -> tuple[str, float] | None:
    """The most common answer among ``keys`` (None counts as an answer of its own, never the top one)
    and its share of all of them; None when there are none."""
    counts: dict[str, int] = {}
    for k in keys:
        if k is not None:
            counts[k] = counts.get(k, 0) + 1
    if not counts:
        return None
    top = max(counts, key=counts.__getitem__)
    return top, counts[top] / len(keys)


def answer_collapse(rollouts: Sequence[dict]) -> dict[str, dict]:
    """Per answer format, the most common answer of an online round's rollouts (one row per answer:
    ``format``, ``completion``) and its share: ``{format: {"n", "top", "share"}}``. A policy giving one
    answer whatever it is asked has collapsed onto it."""
    by_format: dict[str, list[str | None]] = {}
    for r in rollouts:
        if r.get("format") in FORMATS_CHECKED:
            by_format.setdefault(r["format"], []).append(answer_key(r["format"], r.get("completion") or ""))
    out = {}
    for fmt, keys in sorted(by_format.items()):
        top = most_common(keys)
        if top is not None:
            out[fmt] = {"n": len(keys), "top": top[0], "share": top[1]}
    return out


def first_yes_no(text: str) -> bool | None:
    """True for yes, False for no, from the first standalone yes/no; None when neither occurs."""
    m = _YESNO.search(text.lower())
    if m is None:
        return None
    return m.group(1) == "yes"


FORMATS_CHECKED = ("short", "gsm8k", "yesno")


def check(format: str | None, gold: object, text: str, strict: bool = False) -> tuple[bool, object]:
    """(right, the prediction read from ``text``) against ``gold`` by the rules of ``format`` (see the
    module docstring); ``strict`` fails an answer that names several candidates (:func:`hedged`).
    Raises ``ValueError`` for a format that cannot be checked from generated text."""
    if format == "gsm8k":
        pred = final_number(text)
        return same_number(pred, gold), pred
    if format == "yesno":
        pred = first_yes_no(text)
        return pred is not None and pred == gold and not (strict and hedged(text)), pred
    if format == "short":
        return alias_match(text, gold) and not (strict and hedged(text, gold)), None
    raise ValueError(f"a {format or 'question without an answer'} cannot be checked from generated text")
