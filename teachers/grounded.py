"""Grounded teachers: answers checked against a reference answer, and a programmatic verifier.

* :class:`GroundedTeacher` wraps any teacher. For an item with a reference check (the loop sets
  one from the prompt's reference, by the evaluation's matching rules) the check decides: an
  answer that passes needs no critique; one that fails is critiqued and revised by the inner
  teacher with the reference in view, and the loop keeps the revision only if it passes the same
  check (STaR's rationalization, filtered as in ReST-EM). Items without a reference are critiqued
  by the inner teacher as it would anyway.
* :class:`ArithmeticVerifier` shows how an external check plugs in without a model: it overrides
  ``critique`` and checks every ``a + b = c`` style equation in the answer, and the final result
  against the reference, by computing them.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import replace
from typing import Sequence

from distill.interface import Chat, Completion, Critique, Item, Principle, SamplingConfig
from teachers.base import Teacher

PASSED = "The answer reaches the reference answer's result.\nVERDICT: NO FAULT"


class GroundedTeacher(Teacher):
    """Any teacher, with answers checked against each item's reference (see the module docstring).

    ``inner`` is a built :class:`Teacher`; ``load_teacher("grounded:<spec>", **kwargs)`` builds
    one from a spec, passing the keyword arguments to it."""

    grounded = True

    def __init__(self, inner: Teacher, **kwargs) -> None:
        super().__init__(**kwargs)
        self.inner = inner
        self.name = f"grounded:{inner.name}"

    @property
    def student(self):
        """The student the inner teacher works through, if any (the loop rebuilds a teacher
        that follows the student when the student changes)."""
        return getattr(self.inner, "student", None)

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        return self.inner.complete(chats, config)

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        out: list[Critique | None] = [None] * len(items)
        failed = []
        for i, item in enumerate(items):
            if item.reference and item.check is not None and item.check(item.answer):
                out[i] = Critique(PASSED, "no_fault", Completion(PASSED), verdict_source="reference")
            elif item.reference and item.check is not None:
                failed.append(i)
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


# A safe evaluator for plain arithmetic: eval() would run arbitrary code, and no library in
# the environment evaluates "12 x 3" style text; ast with a whitelist of operators does.
_OPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos,
}
_NUM = r"-?\d+(?:,\d{3})*(?:\.\d+)?"
# "<expression with at least one operator> = <number>"
_EQUATION = re.compile(
    rf"(?P<lhs>\(?\s*{_NUM}\s*\)?(?:\s*[-+*/x×÷^]\s*\(?\s*{_NUM}\s*\)?)+)\s*=\s*(?P<rhs>{_NUM})(?!\.?\d)"
)


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        if isinstance(node.op, ast.Pow) and abs(_eval(node.right)) > 64:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.operand))
    raise ValueError(f"not plain arithmetic: {ast.dump(node)[:60]}")


def evaluate(expression: str) -> float:
    """Value of a plain arithmetic expression (``x``, ``×``, ``÷``, ``^`` and thousands commas allowed)."""
    text = expression.replace(",", "").replace("×", "*").replace("÷", "/").replace("^", "**")
    text = re.sub(r"(?<=[\d)\s])x(?=[\s\d(])", "*", text)
    return _eval(ast.parse(text.strip(), mode="eval"))


def _number(s: str) -> float:
    return float(s.replace(",", ""))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b)) or round(a, 2) == round(b, 2)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


def last_number(text: str) -> float | None:
    nums = re.findall(_NUM, text or "")
    return _number(nums[-1]) if nums else None


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
        """(problems found, (wrong text, corrected text) fixes, number of checks made)."""
        problems: list[str] = []
        fixes: list[tuple[str, str]] = []
        checks = 0
        for m in _EQUATION.finditer(item.answer):
            try:
                value = evaluate(m.group("lhs"))
            except (ValueError, SyntaxError, ZeroDivisionError, OverflowError):
                continue
            checks += 1
            stated = _number(m.group("rhs"))
            if not _close(value, stated):
                problems.append(f"{m.group('lhs').strip()} = {m.group('rhs')} is wrong: it is {_fmt(value)}.")
                fixes.append((m.group(0), m.group(0)[: m.start("rhs") - m.start()] + _fmt(value)))
        ref = last_number(item.reference) if item.reference else None
        got = last_number(item.answer)
        if ref is not None:
            checks += 1
            # the loop's check reads the final result as the evaluation does; without one, the last number
            right = item.check(item.answer) if item.check is not None else got is not None and _close(got, ref)
            if not right:
                problems.append(f"The final result should be {_fmt(ref)}, not {'missing' if got is None else _fmt(got)}.")
        return problems, fixes, checks

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
        stale = {last_number(wrong): _fmt(last_number(right)) for wrong, right in fixes}
        final = last_number(text)
        if final in stale:
            spots = list(re.finditer(rf"(?<![\d.]){re.escape(_fmt(final))}(?![\d])", text))
            if spots:
                text = text[: spots[-1].start()] + stale[final] + text[spots[-1].end():]
        ref = last_number(item.reference) if item.reference else None
        if ref is None:
            return text
        fixed = replace(item, answer=text)
        if not self.check(fixed)[0]:
            return text
        work = item.reference.split("####")[0].strip().rstrip(".") if "####" in item.reference else ""
        return f"{work}. The answer is {_fmt(ref)}." if work else f"The answer is {_fmt(ref)}."
