"""The student as its own teacher: the bootstrap the project exists for."""

from __future__ import annotations

from distill.student import Chat, Completion, SamplingConfig, Student
from teachers.base import Teacher


class SelfTeacher(Teacher):
    """Critiques and revises with the student's own model object (no second copy of the weights).

    Because it holds the very same ``Student``, a student updated in place (or rebuilt and
    passed again) is what critiques in the next round."""

    name = "self"

    def __init__(self, student: Student, **kwargs) -> None:
        super().__init__(**kwargs)
        if student is None:
            raise ValueError("the 'self' teacher needs the student: load_teacher('self', student=student)")
        self.student = student

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        return self.student.generate(chats, config)

    def __repr__(self) -> str:
        return f"SelfTeacher(student={self.student.spec!r})"
