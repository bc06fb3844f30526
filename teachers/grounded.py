"""A teacher that checks answers against each prompt's reference.

:class:`GroundedTeacher` wraps any teacher. For an item with a reference check (the loop sets one
from the prompt's reference, by the evaluation's matching rules) the check decides: an answer that
passes needs no critique; one that fails is critiqued and revised by the inner teacher with the
reference in view, and the loop keeps the revision only if it passes the same check (STaR's
rationalization, filtered as in ReST-EM). Items without a reference are critiqued by the inner
teacher as it would anyway.

The check decides on the final answer only. When the inner teacher is not the student itself (a
larger model, an API), answers that pass are reviewed too (``review_verified``): it critiques
them with the reference in view, and a fault it finds — a false side claim around a right answer —
makes the answer a fault to revise (``verdict_source: "review"``), the revision again kept only if
it passes the check.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from distill.interface import Chat, Completion, Critique, Generator, Item, Principle, SamplingConfig
from teachers.base import Teacher

PASSED = "The answer reaches the reference answer's result.\nVERDICT: NO FAULT"


class GroundedTeacher(Teacher):
    """Any teacher, with answers checked against each item's reference (see the module docstring).

    ``inner`` is a built :class:`Teacher`; ``load_teacher("grounded:<spec>", **kwargs)`` builds
    one from a spec, passing the keyword arguments to it (``review_verified`` excepted: None, the
    default, reviews verified answers when the inner teacher is not the student itself)."""

    grounded = True

    def __init__(self, inner: Teacher, review_verified: bool | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.inner = inner
        self.name = f"grounded:{inner.name}"
        self.review_verified = inner.student is None if review_verified is None else review_verified

    @property
    def student(self) -> Generator | None:
        """The student the inner teacher works through, if any (the loop rebuilds a teacher
        that follows the student when the student changes)."""
        return self.inner.student

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        return self.inner.complete(chats, config)

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        out: list[Critique | None] = [None] * len(items)
        failed, passed = [], []
        for i, item in enumerate(items):
            if item.reference and item.check is not None and item.check(item.answer):
                out[i] = Critique(PASSED, "no_fault", Completion(PASSED), verdict_source="reference")
                passed.append(i)
            elif item.reference and item.check is not None:
                failed.append(i)
        # Passed checks, reviewed by a teacher that knows more than the student: the check saw the
        # final answer only; what the reviewer finds wrong around it makes the answer a fault.
        if passed and self.review_verified:
            for i, c in zip(passed, Teacher.critique(self, [items[i] for i in passed], principle, config)):
                if c.verdict == "fault":
                    out[i] = replace(c, verdict_source="review")
        # Failed checks: the inner model explains what is wrong with the reference in view; the
        # check, not its verdict line, decided that there is a fault.
        if failed:
            for i, c in zip(failed, Teacher.critique(self, [items[i] for i in failed], principle, config)):
                out[i] = c if c.verdict == "error" else replace(c, verdict="fault", verdict_source="reference")
        # No reference (or one no rule can check): the inner teacher's own critique, reference shown if any.
        rest = [i for i, c in enumerate(out) if c is None]
        if rest:
            for i, c in zip(rest, self.inner.critique([items[i] for i in rest], principle, config)):
                out[i] = c
        return out  # type: ignore[return-value]

    def revise(self, items: Sequence[Item], critiques: Sequence[Critique], principle: Principle,
               config: SamplingConfig | None = None) -> list[Completion]:
        return Teacher.revise(self, items, critiques, principle, config)
