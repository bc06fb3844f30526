"""The student as its own teacher: the bootstrap the project exists for."""

from __future__ import annotations

from distill.interface import Generator, SpecError
from teachers.local import LocalTeacher


class SelfTeacher(LocalTeacher):
    """Critiques and revises with the student's own model object (no second copy of the weights).

    Because it holds the very same ``Student``, a student updated in place (or rebuilt and
    passed again) is what critiques in the next round."""

    def __init__(self, student: Generator, **kwargs) -> None:
        if student is None:
            raise SpecError("the 'self' teacher needs the student: load_teacher('self', student=student)")
        super().__init__(student=student, **kwargs)
        self.name = "self"

    def __repr__(self) -> str:
        return f"SelfTeacher(student={self.student.spec!r})"
