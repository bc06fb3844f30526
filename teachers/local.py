"""A local transformers model as teacher, from any model spec (see ``distill.models``)."""

from __future__ import annotations

import os

from distill.models import load_model
from distill.student import Chat, Completion, SamplingConfig, Student
from teachers.base import Teacher


class LocalTeacher(Teacher):
    """A second local model: its own weights, tokenizer and chat template.

    ``chat_template`` sets a template for models that ship none (e.g. base models), so
    chats can still be rendered; without one such models raise ``ChatTemplateError``.
    Generation is batched exactly as the student's (``distill.student.Student``)."""

    name = "local"

    def __init__(
        self,
        spec: str | os.PathLike,
        *,
        chat_template: str | None = None,
        device: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.spec = str(spec)
        model, tokenizer = load_model(spec, device=device)
        if chat_template is not None:
            tokenizer.chat_template = chat_template
        self.student = Student(spec, model=model, tokenizer=tokenizer)
        self.name = f"local:{self.spec}"

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        return self.student.generate(chats, config)

    def __repr__(self) -> str:
        return f"LocalTeacher(spec={self.spec!r})"
