"""A local transformers model as teacher, from any model spec (see :func:`distill.interface.load_generator`)."""

from __future__ import annotations

import math
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
    without_verdict,
)
from teachers.base import Teacher

# What the critique's last line would say; scored when the model did not write it itself.
VERDICT_PREFILL = "\n\nVERDICT:"
VERDICT_CHOICES = {"fault": " FAULT", "no_fault": " NO FAULT"}
JUDGING = ("critique", "verdict", "reason")


class LocalTeacher(Teacher):
    """A second local model: its own weights, tokenizer and chat template.

    ``chat_template`` sets a template for models that ship none (e.g. base models), so
    chats can still be rendered; without one such models raise ``SpecError``.
    Generation is batched exactly as the student's (``distill.model.student.Student``).

    Because the model is in-process, its verdict can be read from its logits: the critique is
    continued with ``VERDICT:`` and `` FAULT`` is compared with `` NO FAULT``. Every critique gets
    that probability as its ``confidence``; a critique whose text gives no verdict (a 135M model
    almost never writes the line) takes its verdict from it (``verdict_source="likelihood"``).
    Small models lean to one answer whatever they read, so the comparison is calibrated against
    the same question asked of a content-free item (contextual calibration, Zhao et al. 2021): a
    fault is found when the log-odds of FAULT are above that baseline's.
    Set ``likelihood_verdicts=False`` to keep such critiques "unparseable" (and without confidence).

    ``judging`` says how a verdict is reached: ``critique`` (the above); a trained critic's ways
    (:mod:`distill.critic`), uncalibrated (a critic trained on balanced verdicts needs no baseline)
    and FAULT when its probability is above ``threshold``: ``verdict`` (no critique is written: the
    verdict is read right after the prompt, at ``VERDICT:``) or ``reason`` (it writes its reason,
    then the verdict is read after it).
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
        judging: str = "critique",
        threshold: float = 0.5,
        precision: str = "fp32",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not 0 < threshold < 1:
            raise SpecError(f"threshold must be in (0, 1), got {threshold}")
        if judging not in JUDGING:
            raise SpecError(f"judging must be one of {', '.join(JUDGING)}, got {judging!r}")
        if student is None:
            if spec is None:
                raise SpecError("LocalTeacher needs a model spec")
            # A local model answers through the same batched generation engine as the student.
            student = load_generator(spec, device=device, chat_template=chat_template, precision=precision)
        self.student = student
        self.spec = str(spec if spec is not None else student.spec)
        self.likelihood_verdicts = likelihood_verdicts
        self.judging = judging
        self.threshold = threshold
        self.name = f"local:{self.spec}"
        self._baseline: dict[tuple[str, int], float] = {}

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        return self.student.generate(chats, config)

    def critique(self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None) -> list[Critique]:
        """The base critique, each with its confidence; unreadable verdicts read from the likelihoods.
        A trained critic (``judging``: ``verdict``, ``reason``): its verdict from its confidence."""
        if self.judging == "verdict":
            return [self._thresholded(Critique("", "unparseable"), p) for p in self.fault_probability(items, principle)]
        crits = super().critique(items, principle, config)  # in-process: no partial failures to keep
        if self.judging != "reason" and not self.likelihood_verdicts:
            return crits
        raw = self._fault_log_odds(items, principle, [c.text for c in crits])
        if self.judging == "reason":
            return [self._thresholded(c, _sigmoid(o)) for c, o in zip(crits, raw)]
        baseline = self._content_free(principle)
        out = []
        for crit, r in zip(crits, raw):
            odds = r - baseline
            crit = replace(crit, confidence=_sigmoid(odds))
            if crit.verdict == "unparseable":
                crit = replace(crit, verdict="fault" if odds > 0 else "no_fault", verdict_source="likelihood")
            out.append(crit)
        return out

    def _thresholded(self, crit: Critique, p: float) -> Critique:
        """A trained critic's critique: its reason (if any) and the verdict line its confidence gives."""
        verdict = "fault" if p > self.threshold else "no_fault"
        text = "\n\n".join(filter(None, [without_verdict(crit.text), f"VERDICT: {VERDICT_CHOICES[verdict].strip()}"]))
        return replace(crit, text=text, verdict=verdict, verdict_source="likelihood", confidence=p,
                       completion=replace(crit.completion, text=text))

    def fault_probability(self, items: Sequence[Item], principle: Principle) -> list[float]:
        """The model's probability of FAULT (against NO FAULT) as its first words on each item's
        critique chat: the trained critic's confidence, with no critique written."""
        return [_sigmoid(odds) for odds in self._fault_log_odds(items, principle, [None] * len(items))]

    def _fault_log_odds(self, items: Sequence[Item], principle: Principle,
                        critiques: Sequence[str | None]) -> list[float]:
        """log P(FAULT) - log P(NO FAULT) after ``VERDICT:`` for each item, at the end of its critique's
        text (None: as the reply's first words), scored in batches."""
        prefills = [VERDICT_PREFILL.strip() if text is None else without_verdict(text) + VERDICT_PREFILL
                    for text in critiques]
        scores = self.student.continuation_logprobs_many(
            [self.critique_chat(item, principle) for item in items],
            [VERDICT_CHOICES["fault"], VERDICT_CHOICES["no_fault"]], prefills=prefills)
        return [fault - no_fault for fault, no_fault in scores]

    def _content_free(self, principle: Principle) -> float:
        # Keyed by the generator too: the self teacher's student changes between rounds.
        key = (principle.name, id(self.student))
        if key not in self._baseline:
            self._baseline[key] = self._fault_log_odds([Item("N/A", "N/A")], principle, ["N/A"])[0]
        return self._baseline[key]

    def __repr__(self) -> str:
        return f"LocalTeacher(spec={self.spec!r})"


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
