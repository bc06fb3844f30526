"""Turn a teacher spec into a teacher. ``distill`` uses this by name, never a concrete class."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from teachers.base import Teacher

if TYPE_CHECKING:
    from distill.student import Student

SPEC_HELP = (
    "a teacher spec is 'self', 'local:<model spec>', 'openai', 'grounded:<teacher spec>' or "
    "'module.path:ClassName' (a Teacher subclass)"
)


class TeacherSpecError(ValueError):
    """A teacher spec that names nothing loadable; the message says what was expected."""


def load_teacher(spec: str, *, student: "Student | None" = None, **kwargs) -> Teacher:
    """Build a teacher from ``spec`` (see ``SPEC_HELP``); ``kwargs`` go to its constructor.

    * ``self``: the student critiques itself, sharing its model object (needs ``student``).
    * ``local:<model spec>``: a local transformers model (any spec ``distill.models`` accepts).
    * ``openai``: an OpenAI-compatible endpoint; kwargs are :class:`OpenAITeacherConfig` fields.
    * ``grounded:<spec>``: the inner teacher, critiquing against each item's reference answer.
    * ``module.path:ClassName``: a custom :class:`Teacher` subclass.
    """
    spec = spec.strip()
    if spec == "self":
        from teachers.self_teacher import SelfTeacher

        if student is None:
            raise TeacherSpecError("teacher 'self' needs the student: load_teacher('self', student=student)")
        return SelfTeacher(student, **kwargs)
    if spec.startswith("local:"):
        from teachers.local import LocalTeacher

        model_spec = spec[len("local:"):]
        if not model_spec:
            raise TeacherSpecError("teacher 'local:' needs a model spec after the colon, e.g. 'local:smollm2-135m-instruct'")
        return LocalTeacher(model_spec, **kwargs)
    if spec == "openai":
        from teachers.openai_api import OpenAITeacher

        return OpenAITeacher(**kwargs)
    if spec.startswith("grounded:"):
        from teachers.grounded import GroundedTeacher

        return GroundedTeacher(load_teacher(spec[len("grounded:"):], student=student), **kwargs)
    if spec == "arithmetic":
        from teachers.grounded import ArithmeticVerifier

        return ArithmeticVerifier(**kwargs)
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise TeacherSpecError(f"unknown teacher spec {spec!r}: {SPEC_HELP}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise TeacherSpecError(f"teacher spec {spec!r}: cannot import module {module_name!r} ({e})") from e
    cls = getattr(module, class_name, None)
    if cls is None:
        raise TeacherSpecError(f"teacher spec {spec!r}: module {module_name!r} has no attribute {class_name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Teacher)):
        raise TeacherSpecError(f"teacher spec {spec!r}: {class_name!r} is not a subclass of teachers.base.Teacher")
    if student is not None and "student" in _params(cls):
        kwargs.setdefault("student", student)
    return cls(**kwargs)


def _params(cls: type) -> set[str]:
    import inspect

    try:
        return set(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return set()
