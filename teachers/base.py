"""The teacher interface: complete a batch of chats; critique and revise come for free.

A backend subclasses :class:`Teacher` and overrides one method, :meth:`Teacher.complete`.
The base class turns a :class:`~distill.interface.Principle` into critique and revision
chats, parses the critique's verdict and totals token usage. A teacher that wants full
control (a programmatic verifier, a tool-using critic) overrides :meth:`Teacher.critique`
or :meth:`Teacher.revise` instead.

Failure contract: when a backend gives up on some items of a batch (retries exhausted),
``complete`` raises :class:`TeacherError` whose ``results`` holds the whole batch: the
finished items as normal and the failed ones with ``error`` set and
``finish_reason == "error"``. ``critique`` and ``revise`` keep the same contract, so a
caller does ``except TeacherError as e: results = e.results`` and keeps the finished items.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Sequence

from distill.interface import (
    Chat,
    ChatLike,
    Completion,
    Critique,
    Generator,
    Item,
    Principle,
    SamplingConfig,
    TeacherError,
    as_chat,
    parse_verdict,
)

__all__ = ["Teacher", "Usage", "parse_verdict"]

# The framing around a principle's own words. Teachers may override these class attributes.
CRITIQUE_TEMPLATE = """Below is a request and an answer to it.

Request:
{prompt}

Answer:
{answer}
{reference_block}
Task: {critique}

Reply with a short critique. Then end with one final line that is exactly
VERDICT: FAULT
if you found a problem of this kind, or exactly
VERDICT: NO FAULT
if you found none."""

REFERENCE_BLOCK = """
Reference answer (trusted to be correct):
{reference}
"""

REVISION_TEMPLATE = """Below is a request, an answer to it, and a critique of the answer.

Request:
{prompt}

Answer:
{answer}
{reference_block}
Critique:
{critique_text}

Task: {revision}

Reply with the corrected answer only, written as a direct answer to the request."""


@dataclass
class Usage:
    """Running totals for one teacher. ``cost`` stays ``None`` unless a price is set."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0  # items sent to the backend (one chat = one request)
    errors: int = 0  # items that failed after retries
    retries: int = 0  # extra attempts made by backends that retry
    cost: float | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict:
        return {**asdict(self), "total_tokens": self.total_tokens}




def _ref_block(item: Item) -> str:
    return REFERENCE_BLOCK.format(reference=item.reference.strip()) if item.reference else ""


class Teacher:
    """Base class of every teacher. Override :meth:`complete` (and optionally ``name``).

    ``price_per_1k_prompt`` / ``price_per_1k_completion`` (any currency) make ``usage.cost``
    a running total. ``config`` is the sampling used when ``critique``/``revise`` get none.
    Subclasses need not call ``__init__``: the defaults are created on first use.
    """

    name: str = "teacher"
    # True for teachers that check answers against references (the loop then shows them each
    # prompt's reference and its check); others never see a reference.
    grounded: bool = False
    # The run's student when the teacher works through it (the self teacher, or a custom teacher
    # that stores the ``student`` it was given): the loop rebuilds it when the student changes.
    student: Generator | None = None
    critique_template: str = CRITIQUE_TEMPLATE
    revision_template: str = REVISION_TEMPLATE

    def __init__(
        self,
        *,
        config: SamplingConfig | None = None,
        price_per_1k_prompt: float | None = None,
        price_per_1k_completion: float | None = None,
    ) -> None:
        self.config = config
        self.price_per_1k_prompt = price_per_1k_prompt
        self.price_per_1k_completion = price_per_1k_completion
        self._usage = Usage()
        self._usage_lock = threading.Lock()

    # -- the one method a backend implements -------------------------------------------
    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        """Return one :class:`Completion` per chat, in order, with token counts filled in.

        On partial failure raise :class:`TeacherError` with the whole batch in ``results``."""
        raise NotImplementedError(f"{type(self).__name__} must implement complete(chats, config)")

    # -- accounting ---------------------------------------------------------------------
    @property
    def usage(self) -> Usage:
        """Totals over every call so far (tokens, requests, errors, retries, cost)."""
        if "_usage" not in self.__dict__:
            self._usage = Usage()
        return self._usage

    def _lock(self) -> threading.Lock:
        if "_usage_lock" not in self.__dict__:
            self._usage_lock = threading.Lock()
        return self._usage_lock

    def _count(self, completions: Sequence[Completion]) -> None:
        p1k = getattr(self, "price_per_1k_prompt", None)
        c1k = getattr(self, "price_per_1k_completion", None)
        with self._lock():
            u = self.usage
            for c in completions:
                if c is None:
                    continue
                u.requests += 1
                u.errors += c.error is not None
                u.prompt_tokens += c.prompt_tokens
                u.completion_tokens += c.completion_tokens
                if p1k is not None or c1k is not None:
                    u.cost = (u.cost or 0.0) + (c.prompt_tokens * (p1k or 0.0) + c.completion_tokens * (c1k or 0.0)) / 1000

    def _default_config(self, config: SamplingConfig | None) -> SamplingConfig:
        return config or getattr(self, "config", None) or SamplingConfig()

    def run(self, chats: Sequence[ChatLike], config: SamplingConfig | None = None) -> list[Completion]:
        """:meth:`complete` with usage counted, also for the finished part of a failed batch."""
        cfg = self._default_config(config)
        try:
            out = self.complete([as_chat(c) for c in chats], cfg)
        except TeacherError as e:
            self._count(e.results)
            raise
        if len(out) != len(chats):
            raise RuntimeError(f"{type(self).__name__}.complete returned {len(out)} completions for {len(chats)} chats")
        self._count(out)
        return out

    # -- prompts --------------------------------------------------------------------------
    def critique_chat(self, item: Item, principle: Principle) -> Chat:
        """The chat that asks for a critique of ``item`` under ``principle``."""
        text = self.critique_template.format(
            prompt=item.prompt.strip(), answer=item.answer.strip(), reference_block=_ref_block(item),
            critique=principle.critique,
        )
        return [{"role": "user", "content": text}]

    def revision_chat(self, item: Item, critique: Critique, principle: Principle) -> Chat:
        """The chat that asks for a revision of ``item`` given its critique."""
        text = self.revision_template.format(
            prompt=item.prompt.strip(), answer=item.answer.strip(), reference_block=_ref_block(item),
            critique_text=critique.text.strip() or "(no critique text)", revision=principle.revision,
        )
        return [{"role": "user", "content": text}]

    def instructions(self, principle: Principle) -> list[str]:
        """The fixed text this teacher sends around a request under ``principle``: its critique and
        revision templates (placeholders in braces), the reference's framing and the principle's
        own requests. Words of these in a training target are leaked instructions, not an answer."""
        return [self.critique_template, self.revision_template, REFERENCE_BLOCK, principle.critique, principle.revision]

    # -- what the loop calls ------------------------------------------------------------
    def critique(
        self, items: Sequence[Item], principle: Principle, config: SamplingConfig | None = None
    ) -> list[Critique]:
        """Critique each item under ``principle``; one :class:`Critique` per item, in order.

        Raises :class:`TeacherError` (``results`` = all critiques, failed ones with verdict
        ``"error"``) when the backend gave up on some items."""
        chats = [self.critique_chat(it, principle) for it in items]
        try:
            completions = self.run(chats, config)
        except TeacherError as e:
            crits = [self._to_critique(c) for c in e.results]
            raise TeacherError(f"critique under {principle.name!r}: {e}", crits, e.failed) from e
        return [self._to_critique(c) for c in completions]

    @staticmethod
    def _to_critique(c: Completion) -> Critique:
        if c.error is not None:
            return Critique(text=c.text, verdict="error", completion=c)
        return Critique(text=c.text, verdict=parse_verdict(c.text), completion=c)

    def revise(
        self,
        items: Sequence[Item],
        critiques: Sequence[Critique],
        principle: Principle,
        config: SamplingConfig | None = None,
    ) -> list[Completion]:
        """Rewrite each item given its critique (the loop passes only items with a fault).

        Same failure contract as :meth:`critique`: :class:`TeacherError` with all completions."""
        if len(items) != len(critiques):
            raise ValueError(f"revise got {len(items)} items but {len(critiques)} critiques")
        chats = [self.revision_chat(it, cr, principle) for it, cr in zip(items, critiques)]
        try:
            return self.run(chats, config)
        except TeacherError as e:
            raise TeacherError(f"revision under {principle.name!r}: {e}", e.results, e.failed) from e

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
