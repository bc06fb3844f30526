"""A teacher behind any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, ``transformers serve``, Ollama).

The requests go through the toolkit's one OpenAI-compatible client
(:class:`distill.interface.OpenAIClient`: bounded concurrency, tenacity retries with backoff and
jitter honouring Retry-After, the API key read from a named environment variable and kept only
inside the client); this class adds the teacher's accounting: tokens, retries and, with a price,
cost. A batch with items that still failed raises :class:`~distill.interface.TeacherError`
carrying every result (see ``teachers.base``).
"""

from __future__ import annotations

from dataclasses import dataclass

from distill.interface import Chat, Completion, OpenAIClient, OpenAIClientConfig, SamplingConfig
from teachers.base import Teacher


@dataclass
class OpenAITeacherConfig(OpenAIClientConfig):
    """Settings of :class:`OpenAITeacher`: the client's, and prices per 1k tokens for the cost total."""

    price_per_1k_prompt: float | None = None
    price_per_1k_completion: float | None = None


class OpenAITeacher(Teacher):
    """Teacher behind an OpenAI-compatible chat-completions endpoint.

    Build it from an :class:`OpenAITeacherConfig` or from the same fields as keywords::

        OpenAITeacher(base_url="http://127.0.0.1:8000/v1", model="my-model", api_key_env=None)
    """

    name = "openai"

    def __init__(self, config: OpenAITeacherConfig | None = None, *, sampling: SamplingConfig | None = None, **kwargs) -> None:
        if config is not None and kwargs:
            raise TypeError("pass either an OpenAITeacherConfig or keyword fields, not both")
        self.client, config = OpenAIClient.from_kwargs("the OpenAI-compatible teacher", self._retried,
                                                       OpenAITeacherConfig, **(vars(config) if config else kwargs))
        super().__init__(
            config=sampling,
            price_per_1k_prompt=config.price_per_1k_prompt,
            price_per_1k_completion=config.price_per_1k_completion,
        )
        self.settings = config
        self.name = f"openai:{config.model}"

    def _retried(self) -> None:
        with self._lock():
            self.usage.retries += 1

    def __repr__(self) -> str:
        s = self.settings
        return f"OpenAITeacher(base_url={s.base_url!r}, model={s.model!r}, api_key_env={s.api_key_env!r})"

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        """Send every chat, ``max_concurrency`` at a time; results in the caller's order."""
        return self.client.complete(chats, config)
