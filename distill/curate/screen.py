"""Which of a round's candidate prompts an RL objective trains on: those where the check can teach.

A group of RL answers learns only when they get different rewards; a prompt the student always gets
right, or always wrong, gives a group with one reward and no gradient. The round's answers-only
collect phase samples a few answers to each candidate prompt, as the objective samples its rollouts
(:class:`~distill.train.objective.Draw`), and checks each (:mod:`distill.loop.collect`); here, within
each answer format, the prompts whose answers differ in the check come first, with a share drawn at
random from all candidates whatever their pass rate (so a prompt the student cannot yet answer, or
always answers, is still seen, and the pool does not narrow to today's borderline).
"""

from __future__ import annotations

import random
from typing import Sequence

from distill.data.questions import Question
from distill.store.records import Sample

FRESH_SHARE = 0.25  # of the chosen prompts, drawn at random from all candidates


def pass_rates(records: Sequence[Sample]) -> dict[str, float]:
    """Share of each checked prompt's sampled answers that passed its check (unchecked prompts absent)."""
    out = {}
    for r in records:
        passed = r.extra.get("candidates_passed")
        if passed:
            out[r.prompt] = sum(passed) / len(passed)
    return out


def choose(questions: Sequence[Question], rates: dict[str, float], count: int, seed: int,
           fresh_share: float = FRESH_SHARE) -> tuple[list[Question], dict]:
    """``count`` of ``questions``, each answer format at its share of the candidates (a screen that
    followed the spread alone would trade the format the student rarely gets right, arithmetic, for
    the one it often does, yes/no: docs/results.md, "The prompt screen"). Within a format, in a seeded
    random order: a ``fresh_share`` at random, then those whose sampled answers differ in the check
    (pass rate strictly between 0 and 1), then unchecked ones, then the rest. Returns them with
    counts of what was screened and chosen."""
    rng = random.Random(seed)
    pool = list(questions)
    rng.shuffle(pool)
    count = min(count, len(pool))
    formats: dict[str | None, list[Question]] = {}
    for q in pool:
        formats.setdefault(q.format, []).append(q)
    exact = {f: count * len(qs) / len(pool) for f, qs in formats.items()}
    quota = {f: int(x) for f, x in exact.items()}
    for f in sorted(exact, key=lambda f: quota[f] - exact[f])[:count - sum(quota.values())]:
        quota[f] += 1  # the largest remainders

    def rank(q: Question) -> int:
        rate = rates.get(q.prompt)
        return 0 if rate is not None and 0 < rate < 1 else 1 if rate is None else 2

    chosen = []
    for f, qs in formats.items():
        fresh = qs[:round(quota[f] * fresh_share)]
        chosen += fresh + sorted(qs[len(fresh):], key=rank)[:quota[f] - len(fresh)]  # sorted is stable
    spread = [q for q in questions if rank(q) == 0]
    return chosen, {"candidates": len(questions), "checked": len(rates), "with_spread": len(spread),
                    "chosen": len(chosen), "chosen_with_spread": sum(rank(q) == 0 for q in chosen)}


def line(counts: dict) -> str:
    """One line of what :func:`choose` did, for the display and the report."""
    return (f"{counts['chosen']} RL prompts of {counts['candidates']} candidates: {counts['with_spread']} of the "
            f"{counts['checked']} checked had answers that differ in the check, {counts['chosen_with_spread']} of "
            f"them chosen")
