"""Paired statistics for rounds scored on the same items: every round answers the eval sets' same
questions, so the evidence is in the items that changed — newly right (``b``) and newly wrong
(``c``) — not in two rates compared as if from two samples.

* :func:`mcnemar` — the exact McNemar test (a two-sided sign test on the discordant items);
* :func:`holm` — Holm's step-down correction over several sets;
* :func:`paired_difference` — the change in accuracy with its 95% interval (Wald on the paired
  differences; with no discordant items the interval is the point);
* :func:`detectable_change` — the smallest change a paired test of ``n`` items would find at 80%
  power, for the report to state what the run could and could not have seen.

Items are stored per round as a string of ``0``/``1``, one character per item in file order.
Pure Python: the monitor imports it without torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Paired:
    """Two rounds on the same ``n`` items: ``b`` newly right, ``c`` newly wrong, the exact
    two-sided p-value of the difference, and the change in accuracy with its 95% interval."""

    n: int
    b: int
    c: int
    p: float
    diff: float
    lo: float
    hi: float


def mcnemar(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value: the chance of a split at least this uneven among ``b + c``
    discordant items if changes either way were equally likely."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired_difference(n: int, b: int, c: int, z: float = 1.96) -> tuple[float, float, float]:
    """(cur - base accuracy, low, high): the paired change and its Wald interval."""
    if n == 0:
        return 0.0, 0.0, 0.0
    d = (b - c) / n
    se = math.sqrt(max(b + c - (b - c) ** 2 / n, 0.0)) / n
    return d, d - z * se, d + z * se


def compare(base: str, cur: str) -> Paired:
    """The paired comparison of two rounds' item strings (``base`` first); they must be the same items."""
    if len(base) != len(cur):
        raise ValueError(f"paired rounds need the same items: {len(base)} vs {len(cur)}")
    b = sum(x == "0" and y == "1" for x, y in zip(base, cur))
    c = sum(x == "1" and y == "0" for x, y in zip(base, cur))
    d, lo, hi = paired_difference(len(base), b, c)
    return Paired(len(base), b, c, mcnemar(b, c), d, lo, hi)


def holm(pvalues: dict[str, float], alpha: float) -> set[str]:
    """The names whose p-values Holm's step-down procedure rejects at family-wise level ``alpha``."""
    rejected = set()
    ordered = sorted(pvalues.items(), key=lambda kv: kv[1])
    for i, (name, p) in enumerate(ordered):
        if p > alpha / (len(ordered) - i):
            break
        rejected.add(name)
    return rejected


def detectable_change(n: int, discordant: float = 0.3, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest change in accuracy (either way) a paired test of ``n`` items finds with ``power``,
    when a share ``discordant`` of the items change between rounds (the normal approximation of
    McNemar's test: d = (z_a/2 + z_b) * sqrt(discordant / n))."""
    if n <= 0:
        return 1.0
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return min(1.0, z * math.sqrt(discordant / n))


def items_needed(change: float, discordant: float = 0.3, alpha: float = 0.05, power: float = 0.8) -> int:
    """Items per set a paired test needs to find a change of ``change`` (inverse of :func:`detectable_change`)."""
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return math.ceil(discordant * (z / change) ** 2)


def alpha_of(z: float) -> float:
    """The two-sided level of a z threshold (1.96 -> 0.05)."""
    return math.erfc(z / math.sqrt(2))
