"""What a teacher (or any other plug-in) may use of the toolkit: the one module of ``distill`` that
the ``teachers`` package imports (a test checks the import graph).

* the vocabulary (:mod:`distill.core`): chats, completions, sampling settings, the item a teacher
  critiques, the critique it returns, principles, and the :class:`Generator` and :class:`Teacher`
  protocols;
* the errors (:mod:`distill.errors`);
* four services: :class:`OpenAIClient` (the one client for OpenAI-compatible endpoints, shared
  with the student's server), :func:`load_generator` (a local model answering chats through the
  student's batched engine), :func:`load_object` (the one loader of ``module.path:NAME`` specs) and
  the checks (:mod:`distill.checks`): the arithmetic parser and :func:`verify` (:func:`equations` and
  friends), the number grammar (:func:`last_number`, :func:`number_spans`, :func:`same_number`),
  GSM8K's ``####`` (:func:`split_worked`, :func:`render_worked`) and :func:`parse_verdict`, the same
  rules the toolkit's own checks use.

Importing it loads neither torch nor an HTTP client: the client and the model load on first use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from distill.core import (
    Chat,
    ChatLike,
    Completion,
    Critique,
    Generator,
    Item,
    Message,
    Principle,
    ProgressFn,
    SamplingConfig,
    Teacher,
    Verdict,
    as_chat,
)
from distill.checks.numbers import fmt, last_number, number_spans, render_worked, same_number, split_worked
from distill.checks.verdict import parse_verdict, without_verdict
from distill.checks.working import Equation, equations, same_result, verify
from distill.errors import DistillError, SpecError, TeacherError
from distill.loading import load_object

if TYPE_CHECKING:
    from distill.model.openai_client import OpenAIClient, OpenAIClientConfig


def load_generator(spec: str | os.PathLike, *, device: str | None = None, chat_template: str | None = None,
                   precision: str = "fp32") -> Generator:
    """A local model (any spec the student accepts: an embedded name, a folder, a GGUF file, a hub id)
    that answers chats in batches and scores continuations, as the student does."""
    from distill.model.resolve import load_model
    from distill.model.student import Student

    model, tokenizer = load_model(spec, device=device)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    return Student(spec, model=model, tokenizer=tokenizer, precision=precision)


def __getattr__(name: str) -> Any:
    # The client imports `openai`: loaded when a teacher or server first asks for it.
    if name in ("OpenAIClient", "OpenAIClientConfig"):
        from distill.model import openai_client

        return getattr(openai_client, name)
    raise AttributeError(f"module 'distill.interface' has no attribute {name!r}")


__all__ = [
    "Chat", "ChatLike", "Completion", "Critique", "DistillError", "Equation", "Generator", "Item", "Message",
    "OpenAIClient", "OpenAIClientConfig", "Principle", "ProgressFn", "SamplingConfig", "SpecError", "Teacher",
    "TeacherError", "Verdict", "as_chat", "equations", "fmt", "last_number", "load_generator", "load_object",
    "number_spans", "parse_verdict", "render_worked", "same_number", "same_result", "split_worked", "verify",
    "without_verdict",
]
