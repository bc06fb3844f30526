"""How the checks read and write numbers, written once: the grammar of a number, the final number of
an answer, the one tolerance two numbers agree within, and GSM8K's ``work #### n`` notation.

* **A number**: an optional minus sign, digits with optional thousands commas (``1,200``; groups of
  exactly three), optional decimals (``2.5``). Standing alone in text (:func:`numbers_in`) it is not
  glued to a word or to a dot before it: ``3rd``, ``x2``, ``v1.5`` and ``.5`` hold no number;
  ``$1,200``, ``5%`` and ``(7)`` do. Inside an equation its operands may touch an operator
  (``12x3``): :data:`NUMBER` is the grammar without the look-arounds, :data:`STARTS` where one may begin.
* **The final number** (:func:`final_number`): the number after ``####`` when the text has one,
  else the last number (:func:`last_number`).
* **Agreement** (:func:`same_number`): equal up to float error (one part in a million of the larger),
  or, with ``places``, equal once both are rounded (worked arithmetic writes ``10 / 3 = 3.33``).
* **GSM8K**: a reference ``<working> #### <final answer>`` splits at its last ``####``
  (:func:`split_worked`), and is written for a person as ``<working>. The answer is <n>.``
  (:func:`render_worked`).
"""

from __future__ import annotations

import re

# A number, without look-arounds (for patterns that embed it, e.g. an equation's operands).
NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
# Where a number may start: not glued to a word or a dot before it (not inside "x2", "v1.5" or a run of digits).
STARTS = r"(?<![\w.])"
# A number standing alone in text: where a number may start, and not glued to a word after it.
_STANDALONE = re.compile(rf"{STARTS}{NUMBER}(?!\w)")
GSM8K_MARK = "####"  # GSM8K's final-answer marker: "<working> #### <number>"


def parse_number(text: str) -> float | None:
    """The number ``text`` is, as a whole (commas allowed as thousands separators, a leading ``$`` and a
    trailing full stop ignored), or None."""
    text = text.strip().replace(",", "").rstrip(".")
    text = text.lstrip("$")
    try:
        return float(text)
    except ValueError:
        return None


def number_spans(text: str) -> list[tuple[int, int, float]]:
    """(start, end, value) of every number standing alone in ``text``, in order."""
    out = []
    for m in _STANDALONE.finditer(text or ""):
        value = parse_number(m.group(0))
        if value is not None:
            out.append((m.start(), m.end(), value))
    return out


def numbers_in(text: str) -> list[float]:
    """Every number in ``text``, in order."""
    return [value for _, _, value in number_spans(text)]


def canonical(value: float) -> str:
    """A number written one way, to compare as text: ``1200``, ``2.5`` (exact, unlike :func:`fmt`)."""
    return str(int(value)) if value == int(value) else repr(value)


def canonical_numbers(text: str) -> str:
    """``text`` with every number in it written canonically (``$1,200.0`` -> ``$1200``)."""

    def one(m: re.Match) -> str:
        value = parse_number(m.group(0))
        return m.group(0) if value is None else canonical(value)

    return _STANDALONE.sub(one, text)


def fmt(value: float) -> str:
    """A number as a person writes it: 42, 3.5, 0.3333."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def last_number(text: str | None) -> float | None:
    """The last number in ``text`` (None when there is none)."""
    found = numbers_in(text or "")
    return found[-1] if found else None


def final_number(text: str | None) -> float | None:
    """The number after ``####`` if present, else the last number in the text."""
    parts = split_worked(text or "")
    if parts is not None:
        after = numbers_in(parts[1])
        if after:
            return after[0]
    return last_number(text)


def same_number(a: float | None, b: float | None, places: int | None = None) -> bool:
    """Whether two numbers agree: equal up to float error (one part in a million of the larger, at
    least 1e-6), or, with ``places``, equal rounded to that many decimals. None never matches."""
    if a is None or b is None:
        return False
    if abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b)):
        return True
    return places is not None and round(a, places) == round(b, places)


def split_worked(text: str) -> tuple[str, str] | None:
    """(working, final answer as written) of a GSM8K-style ``<working> #### <final answer>``, split at
    the last ``####`` and stripped; None when ``text`` has no ``####``."""
    if GSM8K_MARK not in text:
        return None
    working, _, final = text.rpartition(GSM8K_MARK)
    return working.strip(), final.strip()


def render_worked(working: str, final: str) -> str:
    """A worked answer as a person writes it, without GSM8K's notation: ``<working>. The answer is
    <final>.``, or ``The answer is <final>.`` without working."""
    working = working.strip().rstrip(".")
    return f"{working}. The answer is {final}." if working else f"The answer is {final}."
