"""A programmatic checker of arithmetic: how an external check plugs in without a model.

:class:`ArithmeticVerifier` overrides ``critique``: it computes every ``a + b = c`` style equation
in the answer and checks the final result against the reference (:func:`distill.interface.verify`,
the toolkit's one working check).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from distill.interface import (
    Chat,
    Completion,
    Critique,
    Item,
    Principle,
    SamplingConfig,
    fmt,
    last_number,
    number_spans,
    render_worked,
    split_worked,
    verify,
)
from teachers.base import Teacher


class ArithmeticVerifier(Teacher):
    """Checks arithmetic by computing it: a verifier that overrides ``critique``.

    Verdicts: ``"fault"`` when an equation in the answer is wrong or its final number
    disagrees with a numeric reference; ``"no_fault"`` when there was something to check
    and all of it held; ``"unparseable"`` when there was nothing it could check (or, with
    ``fallback``, whatever that teacher says). ``revise`` uses ``reviser`` (a teacher) when
    given, else :meth:`correct`.
    """

    name = "arithmetic"
    grounded = True  # it wants each prompt's reference: the final result is checked against it

    def __init__(self, *, fallback: Teacher | None = None, reviser: Teacher | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fallback = fallback
        self.reviser = reviser

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        if self.reviser is None:
            raise NotImplementedError("ArithmeticVerifier writes no free text; give it a reviser teacher")
        return self.reviser.complete(chats, config)

    def check(self, item: Item) -> tuple[list[str], list[tuple[str, str]], int]:
        """(problems found, (wrong text, corrected text) fixes, number of checks made), from the
        toolkit's working check (:func:`distill.interface.verify`); the final result is read as the
        loop's reference check reads it when the item carries one."""
        right = item.check(item.answer) if item.check is not None and item.reference else None
        v = verify(item.answer, item.reference, final_right=right)
        problems = [f"{eq.lhs} = {eq.rhs} is wrong: it is {fmt(eq.value)}." for eq in v.false]
        fixes = [(eq.text, eq.corrected) for eq in v.false]
        if v.final_right is False:
            ref = last_number(item.reference)
            problems.append(f"The final result should be {fmt(ref)}, not {'missing' if v.final is None else fmt(v.final)}.")
        return problems, fixes, v.checks

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        out: list[Critique | None] = [None] * len(items)
        unchecked: list[int] = []
        for i, item in enumerate(items):
            problems, _, checks = self.check(item)
            if problems:
                text = " ".join(problems) + "\nVERDICT: FAULT"
                out[i] = Critique(text, "fault", Completion(text), verdict_source="verifier")
            elif checks:
                text = f"Checked {checks} calculation(s); all correct.\nVERDICT: NO FAULT"
                out[i] = Critique(text, "no_fault", Completion(text), verdict_source="verifier")
            else:
                unchecked.append(i)
        if unchecked and self.fallback is not None:
            for i, c in zip(unchecked, self.fallback.critique([items[i] for i in unchecked], principle, config)):
                out[i] = c
        else:
            for i in unchecked:
                text = "No arithmetic found that could be checked."
                out[i] = Critique(text=text, verdict="unparseable", completion=Completion(text=text))
        return out  # type: ignore[return-value]

    def revise(
        self, items: Sequence[Item], critiques: Sequence[Critique], principle: Principle, config: SamplingConfig | None = None
    ) -> list[Completion]:
        if self.reviser is not None:
            return super().revise(items, critiques, principle, config)
        return [Completion(text=self.correct(item)) for item in items]

    def correct(self, item: Item) -> str:
        """The answer with its wrong equations recomputed; when its final result is still wrong,
        the reference's own worked solution (GSM8K's ``work #### n``), else the bare result.
        Never the old answer with a different number appended: that would teach contradictions."""
        text = item.answer
        _, fixes, _ = self.check(item)
        for wrong, right in fixes:
            text = text.replace(wrong, right)
        # a wrong result carried to the end ("36 + 1 = 38. So 38.") is carried corrected too
        stale = {last_number(wrong): fmt(last_number(right)) for wrong, right in fixes}
        final = last_number(text)
        if final is not None and final in stale:
            start, end, _ = number_spans(text)[-1]  # where the final number is written
            text = text[:start] + stale[final] + text[end:]
        ref = last_number(item.reference) if item.reference else None
        if ref is None:
            return text
        fixed = replace(item, answer=text)
        if not self.check(fixed)[0]:
            return text
        worked = split_worked(item.reference)
        return render_worked(worked[0] if worked is not None else "", fmt(ref))
