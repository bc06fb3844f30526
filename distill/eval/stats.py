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
A yes/no set is compared in **yes-no pairs** (:func:`units`: the i-th item whose answer is yes with
the i-th whose answer is no; an unpaired item is left out): a pair scores the mean of its two items,
so a set's score is its balanced accuracy, and a student that flips its default answer ("No." to
every question, then "Yes." to every one) changes no pair — no change, not ten newly right and ten
newly wrong. The test is then the exact sign test on the units that changed, which on single items
is McNemar's.
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


def units(golds: str | None, n: int) -> list[list[int]]:
    """The units a set of ``n`` items is compared in, as lists of item positions: one per item, or
    for a yes/no set (``golds``: ``y``/``n`` per item) the i-th yes item with the i-th no item."""
    if not golds or len(golds) != n:
        return [[i] for i in range(n)]
    yes = [i for i, g in enumerate(golds) if g == "y"]
    no = [i for i, g in enumerate(golds) if g == "n"]
    return [list(pair) for pair in zip(yes, no)]


def compare(base: str, cur: str, golds: str | None = None) -> Paired:
    """The paired comparison of two rounds' item strings (``base`` first; the same items), item by
    item, or for a yes/no set (``golds`` given) in yes-no pairs (:func:`units`)."""
    if len(base) != len(cur):
        raise ValueError(f"paired rounds need the same items: {len(base)} vs {len(cur)}")
    return compare_units([(base, cur, units(golds, len(base)))])


def compare_units(parts: list[tuple[str, str, list[list[int]]]]) -> Paired:
    """The paired comparison over several sets pooled: ``parts`` holds each set's two item strings
    and its units. ``b`` and ``c`` count the units whose score rose and fell (the exact sign test);
    ``n`` and the change count the items the units cover."""
    deltas: list[int] = []
    for base, cur, groups in parts:
        deltas += [sum((cur[i] == "1") - (base[i] == "1") for i in g) for g in groups]
    n = sum(len(g) for _, _, groups in parts for g in groups)
    b, c = sum(d > 0 for d in deltas), sum(d < 0 for d in deltas)
    if n == 0:
        return Paired(0, 0, 0, 1.0, 0.0, 0.0, 0.0)
    total = sum(deltas)
    se = math.sqrt(max(sum(d * d for d in deltas) - total * total / len(deltas), 0.0)) / n
    d = total / n
    return Paired(n, b, c, mcnemar(b, c), d, d - 1.96 * se, d + 1.96 * se)


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
