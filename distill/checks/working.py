"""Is the working true? Worked arithmetic, checked by computing it: the equations written in a text
and their values, and the two checks built on them, written once:

* :func:`verify` — every equation true and the final number the reference's (the ``arithmetic``
  teacher's verdict and the ``verifier`` reward);
* :func:`false_working` — why a training target's working is wrong, if it is (the target review).

An equation is ``<expression with at least one operator> = <number>`` (``12 x 3 = 36``,
``(4 + 5) * 2 = 18``, ``1,200 / 4 = 300``); numbers are read, and compared, by :mod:`distill.checks.numbers`.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass

from distill.checks.numbers import NUMBER, STARTS, fmt, last_number, numbers_in, parse_number, same_number

# A safe evaluator for plain arithmetic: eval() would run arbitrary code, and no library in
# the environment evaluates "12 x 3" style text; ast with a whitelist of operators does.
_OPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos,
}
# The operands are numbers that may touch an operator ("12x3"); the first starts where a number may.
_EQUATION = re.compile(
    rf"(?P<lhs>\(?\s*{STARTS}{NUMBER}\s*\)?(?:\s*[-+*/x×÷^]\s*\(?\s*{NUMBER}\s*\)?)+)"
    rf"\s*=\s*(?P<rhs>{NUMBER})(?!\.?\d)"
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


def same_result(a: float, b: float) -> bool:
    """Equal as worked arithmetic is written: :func:`~distill.checks.numbers.same_number` to two
    decimals (10 / 3 = 3.33)."""
    return same_number(a, b, places=2)


@dataclass(frozen=True)
class Equation:
    """One ``lhs = rhs`` in a text: where it is, what it states and what the left side is worth."""

    text: str  # the whole equation as written
    lhs: str
    rhs: str
    start: int
    end: int
    rhs_start: int  # where the stated result begins in the text
    stated: float
    value: float

    @property
    def true(self) -> bool:
        return same_result(self.value, self.stated)

    @property
    def corrected(self) -> str:
        """The equation as written with its result recomputed."""
        return self.text[: self.rhs_start - self.start] + fmt(self.value)


def equations(text: str) -> list[Equation]:
    """Every equation in ``text`` whose left side is plain arithmetic, in order."""
    out = []
    for m in _EQUATION.finditer(text or ""):
        try:
            value = evaluate(m.group("lhs"))
        except (ValueError, SyntaxError, ZeroDivisionError, OverflowError, RecursionError):
            continue
        stated = parse_number(m.group("rhs"))
        if stated is None:
            continue
        out.append(Equation(m.group(0), m.group("lhs").strip(), m.group("rhs"), m.start(), m.end(), m.start("rhs"),
                            stated, value))
    return out


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: the false equations, the final number, and whether it is the
    reference's (None without a numeric reference); ``checks`` counts what could be checked."""

    false: list[Equation]
    final: float | None
    final_right: bool | None
    checks: int

    @property
    def passed(self) -> bool:
        """Every equation true and the final number the reference's."""
        return not self.false and bool(self.final_right)


def verify(text: str, reference: str | None, final_right: bool | None = None) -> Verification:
    """``text``'s working against ``reference``'s final number: each equation computed, the last
    number compared. ``final_right`` replaces the last-number comparison when the caller has read
    the final answer by the evaluation's rules (the loop's reference check)."""
    found = equations(text)
    ref = last_number(reference) if reference else None
    got = last_number(text)
    if ref is not None and final_right is None:
        final_right = got is not None and same_result(got, ref)
    return Verification([eq for eq in found if not eq.true], got, final_right if ref is not None else None,
                        len(found) + (ref is not None))


def false_working(target: str, reference: str | None, prompt: str = "") -> str | None:
    """Why the working of an arithmetic target is wrong, or None when every step holds (only for
    numeric references): a false equation; a final number that is not the result of the working;
    or a number stated outside the equations that comes from neither the question nor the working
    ("each piece is 2 times the rope", the final answer aside)."""
    if reference is None or last_number(reference) is None:
        return None
    found = equations(target)
    for eq in found:
        if not eq.true:
            return f"false step {eq.text.strip()!r}"
    final = last_number(target)
    if found and final is not None and not any(same_result(final, eq.value) for eq in found):
        return f"final number {final:g} does not follow from the working"
    prose = target
    for eq in found:
        prose = prose.replace(eq.text, " ")
    known = set(numbers_in(prompt)) | {eq.value for eq in found} | {eq.stated for eq in found}
    stated = numbers_in(prose)
    for value in stated[:-1] if stated and final is not None and same_result(stated[-1], final) else stated:
        if not any(same_result(value, k) for k in known):
            return f"the number {value:g} comes from neither the question nor the working"
    return None
