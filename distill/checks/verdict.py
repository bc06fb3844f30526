"""What did a critic say? A critique's verdict read from its text, and a verdict as the monitor and
the rewards count it — each written once.

* :func:`parse_verdict` — ``"fault"``, ``"no_fault"`` or ``"unparseable"`` from a critique's VERDICT line;
* :func:`approval` — a verdict as the judge's approval of an answer (True, False, None: not counted);
* :func:`verdict_reward` — a verdict as the ``judge`` reward (1.0, 0.0, None: no reward).
"""

from __future__ import annotations

import re

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


def parse_verdict(text: str) -> Verdict:
    """``"fault"``, ``"no_fault"`` or ``"unparseable"`` from a critique's VERDICT line."""
    lines = (text or "").splitlines()
    found: set[Verdict] = set()
    for i, line in enumerate(lines):
        m = _VERDICT_WORD.search(line)
        if not m:
            continue
        tail = m.group("tail")
        if not re.search(r"[a-z]", tail, re.I):  # "VERDICT:" alone: the outcome is on the next line
            tail = next((ln for ln in lines[i + 1 :] if ln.strip()), "")
        v = _classify(tail)
        if v is not None:
            found.add(v)
    return found.pop() if len(found) == 1 else "unparseable"


def approval(verdict: str) -> bool | None:
    """The judge approves an answer it found no fault in; an unreadable or failed verdict is no vote."""
    return {"no_fault": True, "fault": False}.get(verdict)


def verdict_reward(verdict: str) -> float | None:
    """The ``judge`` reward of a verdict: its approval as a number."""
    a = approval(verdict)
    return None if a is None else float(a)
