"""Teaching the critic from the check: a round's checked records as critique and correction examples.

The reference check knows which of the student's answers are wrong, so it can teach the student to
judge (Self-Taught Evaluator; critique fine-tuning). From the records whose answer was checked:

* **critiques**, in the critique template the run's teacher uses, without the reference (the student
  will judge without one): an answer that passed -> :data:`NO_FAULT` ending in ``VERDICT: NO
  FAULT``; an answer that failed and whose checked revision passed -> the teacher's critique (which
  found the fault with the reference in view) ending in ``VERDICT: FAULT``. A critique that leaks
  the template, markup or the reference's framing ("the reference answer says...") is not used:
  the student would learn to cite a reference it will not have. Balanced between the two verdicts.
* **corrections**: (the question, the wrong answer, that critique) -> the checked revision, so the
  student learns the second attempt too.

``critic_rows`` returns conversational prompt/completion rows (:mod:`distill.curate.rows`) and the
counts the round's summary keeps.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Sequence

from distill.checks.verdict import without_verdict
from distill.core import Critique, Item
from distill.data.instructions import COMPLETION, PROMPT

if TYPE_CHECKING:
    from distill.core import Principle, Teacher
    from distill.curate.targets import LeakCheck
    from distill.store.records import Sample

NO_FAULT = "I found no problem of this kind in the answer."
_REFERENCE = re.compile(r"\breference\b|\bgold answer\b|\bexpected answer\b", re.IGNORECASE)


def fault_reason(sample: "Sample", leaks: "LeakCheck") -> str | None:
    """The teacher's critique of a failed answer without its verdict line, or None when it cannot be
    taught as the student's own (empty, or it leaks the template, markup or the reference's framing)."""
    text = without_verdict(sample.critique or "")
    if not text or _REFERENCE.search(text) or leaks.find(text, sample.prompt) is not None:
        return None
    return text


def critic_rows(records: Sequence["Sample"], teacher: "Teacher", principle: "Principle", leaks: "LeakCheck",
                count: int, seed: int = 0) -> tuple[list[dict], dict]:
    """About ``count`` critic examples from a round's ``records`` (see the module docstring): as many
    critiques that found a fault as that found none, and a correction per fault. Returns the rows and
    their counts (``faults``, ``no_faults``, ``corrections``, ``unusable``: failed answers whose
    critique could not be taught, ``checked``: records whose answer was checked)."""
    checked = [s for s in records if s.answer_passed is not None]
    passed = [s for s in checked if s.answer_passed]
    # failed answers whose checked revision was kept, so the target review has read it
    failed = [s for s in checked if not s.answer_passed and s.revision_passed and s.kept and s.target]
    reasons = [(s, fault_reason(s, leaks)) for s in failed]
    usable = [(s, r) for s, r in reasons if r is not None]
    rng = random.Random(seed)
    k = min(len(passed), len(usable), -(-count // 3)) if count > 0 else 0
    rows: list[dict] = []
    for s in rng.sample(passed, k):
        rows.append(_row(teacher.critique_chat(Item(s.prompt, s.answer), principle), f"{NO_FAULT}\nVERDICT: NO FAULT"))
    for s, reason in rng.sample(usable, k):
        critique = f"{reason}\nVERDICT: FAULT"
        item = Item(s.prompt, s.answer)
        rows.append(_row(teacher.critique_chat(item, principle), critique))
        rows.append(_row(teacher.revision_chat(item, Critique(critique, "fault"), principle), s.target))
    return rows, {"checked": len(checked), "faults": k, "no_faults": k, "corrections": k,
                  "unusable": len(reasons) - len(usable)}


def _row(chat: list[dict], completion: str) -> dict:
    return {PROMPT: chat, COMPLETION: [{"role": "assistant", "content": completion}]}
