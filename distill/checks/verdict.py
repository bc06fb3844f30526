"""What did a critic say? A critique's verdict read from its text, and a verdict as the monitor and
the rewards count it — each written once.

* :func:`parse_verdict` — ``"fault"``, ``"no_fault"`` or ``"unparseable"`` from a critique's VERDICT line;
* :func:`without_verdict` — a critique's reasoning: its text less the verdict lines that parsing reads;
* :func:`approval` — a verdict as the judge's approval of an answer (True, False, None: not counted);
* :func:`verdict_reward` — a verdict as the ``judge`` reward (1.0, 0.0, None: no reward).
"""

from __future__ import annotations

import re
from typing import Iterator

from distill.core import Verdict

# Tolerant verdict parsing. We look at lines that mention "verdict" (markdown, case and
# punctuation variants allowed; the outcome may also sit on the next line) and classify
# what follows the word. A line naming both outcomes ("VERDICT: FAULT / NO FAULT") or
# verdict lines that disagree (an echoed instruction) give "unparseable", and so does no
# verdict line at all: an unreadable critique is never silently taken as "no fault".
_VERDICT_WORD = re.compile(r"verdict\b(?P<tail>.*)$", re.IGNORECASE)
_NO_FAULT = re.compile(
    r"\b(?:no|zero|without)[\s_\-*]*faults?\b|\bnofaults?\b|\bfault[\s_\-]*free\b|\bnot\s+faulty\b", re.I
)
_FAULT = re.compile(r"\bfault(?:s|y)?\b", re.I)


def _classify(tail: str) -> Verdict | None:
    has_no = bool(_NO_FAULT.search(tail))
    has_fault = bool(_FAULT.search(_NO_FAULT.sub(" ", tail)))
    if has_no and has_fault:
        return "unparseable"
    if has_no:
        return "no_fault"
    if has_fault:
        return "fault"
    return None


def _verdict_lines(lines: list[str]) -> Iterator[tuple[list[int], Verdict | None]]:
    """Each verdict line of a critique's ``lines``: the indices of the lines it takes (the line naming
    VERDICT; with it, the next non-blank line when the outcome sits there) and the outcome (None: none)."""
    for i, line in enumerate(lines):
        m = _VERDICT_WORD.search(line)
        if not m:
            continue
        tail, taken = m.group("tail"), [i]
        if not re.search(r"[a-z]", tail, re.I):  # "VERDICT:" alone: the outcome is on the next line
            j = next((k for k in range(i + 1, len(lines)) if lines[k].strip()), None)
            tail = "" if j is None else lines[j]
            if j is not None and _classify(tail) is not None:
                taken.append(j)
        yield taken, _classify(tail)


def parse_verdict(text: str) -> Verdict:
    """``"fault"``, ``"no_fault"`` or ``"unparseable"`` from a critique's VERDICT line."""
    found = {v for _, v in _verdict_lines((text or "").splitlines()) if v is not None}
    return found.pop() if len(found) == 1 else "unparseable"


def without_verdict(text: str) -> str:
    """A critique's reasoning: ``text`` with every verdict line :func:`parse_verdict` reads (and the
    outcome under a bare ``VERDICT:``) emptied, stripped."""
    lines, ended = (text or "").splitlines(), (text or "").splitlines(keepends=True)
    for taken, _ in _verdict_lines(lines):
        for i in taken:
            ended[i] = ended[i][len(lines[i]):]  # the line break stays: the text keeps its shape
    return "".join(ended).strip()


def approval(verdict: str) -> bool | None:
    """The judge approves an answer it found no fault in; an unreadable or failed verdict is no vote."""
    return {"no_fault": True, "fault": False}.get(verdict)


def verdict_reward(verdict: str) -> float | None:
    """The ``judge`` reward of a verdict: its approval as a number."""
    a = approval(verdict)
    return None if a is None else float(a)
