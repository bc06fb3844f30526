"""The small interface between the loop (``distill``) and the teachers (``teachers``).

Both packages import these types and nothing else of each other: chats and completions, the
sampling settings, the item a teacher critiques, the critique it returns, and the errors. This
module imports neither torch nor transformers, so a teacher behind an API loads no model code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Union

Message = dict[str, str]
Chat = list[Message]
ChatLike = Union[str, Chat]  # a bare string is one user message
Verdict = Literal["fault", "no_fault", "unparseable", "error"]


def as_chat(item: ChatLike) -> Chat:
    """A chat from a chat or a bare string (one user message)."""
    return [{"role": "user", "content": item}] if isinstance(item, str) else list(item)


class DistillError(Exception):
    """Base of every error this toolkit raises for something a user can fix: a bad file, spec,
    flag or config. The message is one line naming what is wrong (file, line, field, key or
    spec); the command line prints it without a traceback and exits with ``exit_status``."""

    exit_status: int = 2


class TeacherError(RuntimeError):
    """Some items of a batch failed after their retries.

    ``results`` is the whole batch in order (finished items intact, failed ones marked with
    ``error``); ``failed`` lists the indices of the failed items.
    """

    def __init__(self, message: str, results: list, failed: list[int]) -> None:
        super().__init__(message)
        self.results = results
        self.failed = failed


@dataclass
class SamplingConfig:
    """Generation settings shared by the student and every teacher."""

    max_new_tokens: int = 128
    temperature: float = 0.0  # 0 means greedy
    top_p: float = 1.0
    seed: int | None = 0
    # None: the student picks the batch from free memory; a number is used as given.
    batch_size: int | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


@dataclass
class Completion:
    """One generated answer with its accounting. ``error`` is set (and ``text`` empty) when
    a backend failed on this item after its retries; the rest of the batch is still kept.
    ``raw`` keeps backend details beside the parsed text (request id, attempts, ...)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"  # "stop" (EOS or stop string) | "length" (hit max_new_tokens) | "error"
    seconds: float = 0.0  # wall time of the batch (or request) that produced it
    error: str | None = None
    raw: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Principle:
    """One critique request (what to look for) and one revision request (how to fix it)."""

    name: str
    critique: str
    revision: str


@dataclass
class Item:
    """One thing to critique: the request, the answer under review and, when the prompt record
    carries one, a trusted reference answer.

    ``check`` (set by the loop for prompts with a reference) tells whether a text reaches the
    reference's result, by the same rules the gold evaluation scores with; a grounded teacher
    uses it instead of a model's opinion."""

    prompt: str
    answer: str
    reference: str | None = None
    check: Callable[[str], bool] | None = field(default=None, repr=False, compare=False)


@dataclass
class Critique:
    """A critique as the teacher wrote it (``text``) beside what was parsed from it (``verdict``).

    ``verdict_source`` says what decided the verdict: ``"text"`` (parsed from the critique),
    ``"likelihood"`` (read from an in-process model's probabilities), ``"reference"`` (the
    answer checked against the prompt's reference) or ``"verifier"`` (a programmatic check)."""

    text: str
    verdict: Verdict
    completion: Completion = field(default_factory=lambda: Completion(text=""))
    verdict_source: str = "text"

    @property
    def fault(self) -> bool:
        return self.verdict == "fault"


__all__ = [
    "Chat",
    "ChatLike",
    "Completion",
    "Critique",
    "DistillError",
    "Item",
    "Message",
    "Principle",
    "SamplingConfig",
    "TeacherError",
    "Verdict",
    "as_chat",
]
