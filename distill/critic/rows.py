"""What the critic learns: (question, answer) in the run's critique chat -> the verdict the check gave.

The prompt is exactly the chat the run's teacher sends a judge (its critique template under one of
the run's principles, drawn per answer, without the reference: the critic will judge without
one); the completion ends with the verdict line, ``VERDICT: FAULT`` or ``VERDICT: NO FAULT``. So a
trained critic used as a teacher writes a verdict the teacher's parser reads, and its confidence
is the probability of `` FAULT`` right after ``VERDICT:`` (:class:`teachers.local.LocalTeacher`).
With ``reasons`` (the build's default, ``reason: true``) the critic first writes the right answer
(the reference, as a person writes it), then the verdict: it learns to solve, then compare (the
GenRM way). Without, the verdict comes at once (one forward pass to read, but the check gives the
label, not the reason, and at 135M that critic is near chance); docs/critic.md says what each measured.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Mapping, Sequence

from distill.core import Item
from distill.data.instructions import COMPLETION, PROMPT

if TYPE_CHECKING:
    from distill.core import Principle, Teacher

FAULT, NO_FAULT = "VERDICT: FAULT", "VERDICT: NO FAULT"
REASON = "The right answer: {}"


def verdict_rows(answers: Sequence[dict], teacher: "Teacher", principles: Sequence["Principle"], seed: int,
                 reasons: Mapping[str, str] | None = None) -> list[dict]:
    """Conversational prompt/completion rows: each answer's critique chat under a principle drawn
    from ``principles`` -> its verdict (FAULT for an answer the strict check found wrong), after
    ``reasons[prompt]`` (the right answer) when given."""
    if not principles:
        raise ValueError("verdict_rows needs at least one principle")
    rng = random.Random(seed)
    rows = []
    for a in answers:
        chat = teacher.critique_chat(Item(a["prompt"], a["answer"]), rng.choice(list(principles)))
        verdict = NO_FAULT if a["right"] else FAULT
        if reasons is not None:
            verdict = f"{REASON.format(reasons[a['prompt']])}\n\n{verdict}"
        rows.append({PROMPT: chat, COMPLETION: [{"role": "assistant", "content": verdict}]})
    return rows
