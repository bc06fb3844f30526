"""A trained critic judges, another teacher corrects: ``critic:<model spec>``.

The critic is a model taught to give the verdict for (question, answer) from thousands of answers
the reference check labelled (:mod:`distill.critic`). It writes no critique: its verdict and its
confidence (the probability of FAULT) are read from its logits at ``VERDICT:`` on the run's own
critique chat, so it ranks and thresholds answers and works where no reference exists. What it
judges a fault is rewritten by ``reviser`` (default: the student itself, ``self``), which sees the
critic's verdict as the critique.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from distill.interface import Completion, Critique, Item, Principle, SamplingConfig
from teachers.base import Teacher
from teachers.local import LocalTeacher


# Written beside a critic's weights by the build (distill.critic.build): how the critic was taught to judge.
CRITIC_FILE = "critic.json"


class CriticTeacher(Teacher):
    """Verdicts from a trained critic (``spec``), revisions from ``reviser`` (a teacher; the loader
    builds it from a spec, ``self`` by default). ``precision``: what the critic scores in (the run's).
    A critic taught to write its reason before the verdict (its folder's ``critic.json`` says
    ``"judging": "reason"``) writes it; any other model gives its verdict at once."""

    def __init__(self, spec: str | os.PathLike, *, reviser: Teacher, threshold: float = 0.5,
                 precision: str = "fp32") -> None:
        super().__init__()
        about = Path(spec) / CRITIC_FILE
        judging = json.loads(about.read_text(encoding="utf-8")).get("judging", "verdict") if about.is_file() else "verdict"
        self.critic = LocalTeacher(spec, judging=judging, threshold=threshold, precision=precision)
        self.reviser = reviser
        self.student = reviser.student  # follows the student when the reviser does (self)
        self.spec = str(spec)
        self.name = f"critic:{self.spec}"

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        """The critic's verdict on each item (no text but the verdict line), with its confidence."""
        return self.critic.critique(items, principle, config)

    def revise(self, items: Sequence[Item], critiques: Sequence[Critique], principle: Principle,
               config: SamplingConfig | None = None) -> list[Completion]:
        """The reviser's rewrite of each item the critic found at fault."""
        return self.reviser.revise(items, critiques, principle, config)

    def complete(self, chats, config):
        return self.reviser.run(chats, config)

    def instructions(self, principle: Principle) -> list[str]:
        return self.reviser.instructions(principle)

    def __repr__(self) -> str:
        return f"CriticTeacher(spec={self.spec!r}, reviser={self.reviser!r})"
