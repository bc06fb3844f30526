"""The toolkit's vocabulary: chats and completions, sampling settings, the item a teacher
critiques and the critique it returns, principles, and the two roles a model plays — a
:class:`Generator` (answers chats) and a :class:`Teacher` (critiques and revises answers).

Plain types and protocols only: this module imports neither torch nor transformers (nor anything of
``distill`` but the errors), so every other module, and the teachers through
:mod:`distill.interface`, can use it without loading model code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Protocol, Sequence, Union, runtime_checkable

from distill.errors import DistillError, TeacherError

Message = dict[str, str]
Chat = list[Message]
ChatLike = Union[str, Chat]  # a bare string is one user message
Verdict = Literal["fault", "no_fault", "unparseable", "error", "unjudged"]  # unjudged: an answers-only round (distill.loop.collect)


def as_chat(item: ChatLike) -> Chat:
    """A chat from a chat or a bare string (one user message)."""
    return [{"role": "user", "content": item}] if isinstance(item, str) else list(item)


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
    answer checked against the prompt's reference) or ``"verifier"`` (a programmatic check).
    ``confidence`` is the critic's probability that the answer has a fault, where it can give one
    (an in-process model's logits of FAULT against NO FAULT): a verdict that can be ranked,
    thresholded and used as a reward; None from a teacher that only writes text."""

    text: str
    verdict: Verdict
    completion: Completion = field(default_factory=lambda: Completion(text=""))
    verdict_source: str = "text"
    confidence: float | None = None

    @property
    def fault(self) -> bool:
        return self.verdict == "fault"


ProgressFn = Callable[[int, int], None]  # (items finished in this call, new tokens in this batch)


@runtime_checkable
class Generator(Protocol):
    """What answers chats: the in-process :class:`~distill.model.student.Student` and the student
    served by an OpenAI-compatible server (:class:`~distill.model.serving.ServedStudent`) both are.

    ``spec`` names the model (a folder, a GGUF file, an embedded name). ``generate`` answers each
    chat in order; ``continuation_logprobs`` scores continuations of an assistant reply (multiple
    choice, verdicts read from a model's likelihoods), ``continuation_logprobs_many`` the same
    continuations for many chats in batches (a critic's verdicts on a round's answers)."""

    spec: str

    def generate(self, chats: Sequence[ChatLike], config: SamplingConfig | None = None, *,
                 progress: ProgressFn | None = None) -> list[Completion]: ...

    def continuation_logprobs(self, chat: ChatLike, continuations: Sequence[str], *, prefill: str = "",
                              normalize: bool = False) -> list[float]: ...

    def continuation_logprobs_many(self, chats: Sequence[ChatLike], continuations: Sequence[str], *,
                                   prefills: Sequence[str] | None = None,
                                   normalize: bool = False) -> list[list[float]]: ...


@runtime_checkable
class Teacher(Protocol):
    """What the loop asks of a teacher. ``teachers.Teacher`` (the base class every built-in and
    custom teacher subclasses) implements it; any object with these members will do.

    ``grounded``: the teacher checks answers against references, so the loop shows it each
    prompt's reference and sets each item's ``check``. ``student``: the generator the teacher works
    through, when it is the run's student (the self teacher), else None; the loop rebuilds such a
    teacher when the student changes. ``instructions``: the text it sends around a request, which
    the filters look for in training targets."""

    name: str
    grounded: bool
    student: Generator | None

    def critique(self, items: Sequence[Item], principle: Principle,
                 config: SamplingConfig | None = None) -> list[Critique]: ...

    def revise(self, items: Sequence[Item], critiques: Sequence[Critique], principle: Principle,
               config: SamplingConfig | None = None) -> list[Completion]: ...

    def instructions(self, principle: Principle) -> list[str]:
        """The fixed text sent around a request under ``principle`` (templates, the reference's
        framing, the principle's requests): what a training target must not repeat."""
        ...

    def run(self, chats: Sequence[ChatLike], config: SamplingConfig | None = None) -> list[Completion]:
        """Completions for free-form chats, usage counted (Self-Instruct asks a teacher to write new
        tasks this way)."""
        ...


__all__ = [
    "Generator",
    "ProgressFn",
    "Teacher",
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
