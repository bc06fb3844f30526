"""A local transformers model as teacher, from any model spec (see :func:`distill.interface.load_generator`)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Sequence

from distill.interface import (
    Chat,
    Completion,
    Critique,
    Generator,
    Item,
    Principle,
    SamplingConfig,
    SpecError,
    load_generator,
)
from teachers.base import Teacher

# What the critique's last line would say; scored when the model did not write it itself.
VERDICT_PREFILL = "\n\nVERDICT:"
VERDICT_CHOICES = {"fault": " FAULT", "no_fault": " NO FAULT"}


class LocalTeacher(Teacher):
    """A second local model: its own weights, tokenizer and chat template.

    ``chat_template`` sets a template for models that ship none (e.g. base models), so
    chats can still be rendered; without one such models raise ``SpecError``.
    Generation is batched exactly as the student's (``distill.model.student.Student``).

    Small models rarely end a critique with the requested verdict line. Because the model is
    in-process, its verdict can still be read: the critique is continued with ``VERDICT:`` and
    `` FAULT`` is compared with `` NO FAULT`` (``verdict_source="likelihood"``). Small models
    also lean to one answer whatever they read, so the comparison is calibrated against the
    same question asked of a content-free item (contextual calibration, Zhao et al. 2021): a
    fault is found when the log-odds of FAULT are above that baseline's.
    Set ``likelihood_verdicts=False`` to keep such critiques "unparseable" instead.
    """

    name = "local"

    def __init__(
        self,
        spec: str | os.PathLike | None = None,
        *,
        student: Generator | None = None,
        chat_template: str | None = None,
        device: str | None = None,
        likelihood_verdicts: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if student is None:
            if spec is None:
                raise SpecError("LocalTeacher needs a model spec")
            # A local model answers through the same batched generation engine as the student.
            student = load_generator(spec, device=device, chat_template=chat_template)
        self.student = student
        self.spec = str(spec if spec is not None else student.spec)
        self.likelihood_verdicts = likelihood_verdicts
        self.name = f"local:{self.spec}"
        self._baseline: dict[tuple[str, int], float] = {}

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        return self.student.generate(chats, config)

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        """The base critique; unreadable verdicts are then read from the model's likelihoods."""
        crits = super().critique(items, principle, config)  # in-process: no partial failures to keep
        if not self.likelihood_verdicts:
            return crits
        out = []
        for item, crit in zip(items, crits):
            if crit.verdict == "unparseable":
                odds = self._fault_log_odds(item, principle, crit.text) - self._content_free(principle)
                crit = replace(crit, verdict="fault" if odds > 0 else "no_fault", verdict_source="likelihood")
            out.append(crit)
        return out

    def _fault_log_odds(self, item: Item, principle: Principle, critique_text: str) -> float:
        fault, no_fault = self.student.continuation_logprobs(
            self.critique_chat(item, principle), [VERDICT_CHOICES["fault"], VERDICT_CHOICES["no_fault"]],
            prefill=critique_text.rstrip() + VERDICT_PREFILL,
        )
        return fault - no_fault

    def _content_free(self, principle: Principle) -> float:
        # Keyed by the generator too: the self teacher's student changes between rounds.
        key = (principle.name, id(self.student))
        if key not in self._baseline:
            self._baseline[key] = self._fault_log_odds(Item("N/A", "N/A"), principle, "N/A")
        return self._baseline[key]

    def __repr__(self) -> str:
        return f"LocalTeacher(spec={self.spec!r})"
