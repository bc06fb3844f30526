"""Grounded teachers: critique that sees a reference answer, and a programmatic verifier.

* :class:`GroundedTeacher` wraps any teacher and insists that every item carries its
  reference answer; the base critique prompt then shows it to the critic as trusted.
* :class:`ArithmeticVerifier` shows how an external check plugs in: it overrides
  ``critique`` and checks every ``a + b = c`` style equation in the answer (and the final
  number against a numeric reference) by computing it, with no model involved.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Sequence

from distill.principles import Item, Principle
from distill.student import Chat, Completion, SamplingConfig
from teachers.base import Critique, Teacher


class GroundedTeacher(Teacher):
    """Any teacher, critiquing against each item's reference answer.

    ``inner`` is a :class:`Teacher` or a spec for :func:`teachers.load_teacher` (then
    ``inner_kwargs`` are passed on). Items without a reference raise ``ValueError``."""

    def __init__(self, inner: Teacher | str, *, inner_kwargs: dict | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(inner, str):
            from teachers.loader import load_teacher

            inner = load_teacher(inner, **(inner_kwargs or {}))
        self.inner = inner
        self.name = f"grounded:{inner.name}"

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        return self.inner.complete(chats, config)

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        missing = [i for i, it in enumerate(items) if not (it.reference and it.reference.strip())]
        if missing:
            raise ValueError(
                f"grounded teacher: item(s) {missing} have no reference answer; give each prompt record a "
                "'reference' field or use an ungrounded teacher"
            )
        return super().critique(items, principle, config)


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
    given, else rewrites the wrong results in place.
    """

    name = "arithmetic"

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
            if got is None or not _close(got, ref):
                problems.append(f"The final result should be {_fmt(ref)}, not {'missing' if got is None else _fmt(got)}.")
        return problems, fixes, checks

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        out: list[Critique | None] = [None] * len(items)
        unchecked: list[int] = []
        for i, item in enumerate(items):
            problems, _, checks = self.check(item)
            if problems:
                text = " ".join(problems) + "\nVERDICT: FAULT"
                out[i] = Critique(text=text, verdict="fault", completion=Completion(text=text))
            elif checks:
                text = f"Checked {checks} calculation(s); all correct.\nVERDICT: NO FAULT"
                out[i] = Critique(text=text, verdict="no_fault", completion=Completion(text=text))
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
        out = []
        for item in items:
            text = item.answer
            _, fixes, _ = self.check(item)
            for wrong, right in fixes:
                text = text.replace(wrong, right)
            ref = last_number(item.reference) if item.reference else None
            got = last_number(text)
            if ref is not None and (got is None or not _close(got, ref)):
                text = f"{text.rstrip()}\nThe answer is {_fmt(ref)}."
            out.append(Completion(text=text))
        return out
