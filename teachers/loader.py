"""Turn a teacher spec into a teacher. ``distill`` uses this by name, never a concrete class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from distill.interface import SpecError, load_object
from teachers.base import Teacher

if TYPE_CHECKING:
    from distill.interface import Generator

SPEC_HELP = (
    "a teacher spec is 'self', 'local:<model spec>', 'openai', 'grounded:<teacher spec>', 'critic:<model spec>', "
    "'arithmetic' or 'module.path:ClassName' (a Teacher subclass)"
)


def load_teacher(spec: str, *, student: "Generator | None" = None, **kwargs) -> Teacher:
    """Build a teacher from ``spec`` (see ``SPEC_HELP``); ``kwargs`` go to its constructor.

    * ``self``: the student critiques itself, sharing its model object (needs ``student``).
    * ``local:<model spec>``: a local transformers model (any spec the student accepts).
    * ``openai``: an OpenAI-compatible endpoint; kwargs are :class:`OpenAITeacherConfig` fields.
    * ``grounded:<spec>``: the inner teacher (built with ``kwargs``), checking answers against
      each item's reference and critiquing with it in view (``review_verified``: whether it also
      reviews the answers that pass; default: when it is not the student itself).
    * ``critic:<model spec>``: a trained critic (:mod:`distill.critic`) judges by its logits, and
      ``reviser`` (default ``self``) rewrites what it finds at fault; ``threshold`` (0.5) on its
      probability of FAULT.
    * ``arithmetic``: a programmatic checker of arithmetic (no model).
    * ``module.path:ClassName``: a custom :class:`Teacher` subclass.

    Constructor arguments a backend does not take are a :class:`~distill.interface.SpecError` naming them.
    """
    spec = spec.strip()
    if spec == "self":
        from teachers.self_teacher import SelfTeacher

        if student is None:
            raise SpecError("teacher 'self' needs the student: load_teacher('self', student=student)")
        return _build(SelfTeacher, spec, student, **kwargs)
    if spec.startswith("local:"):
        from teachers.local import LocalTeacher

        model_spec = spec[len("local:"):]
        if not model_spec:
            raise SpecError("teacher 'local:' needs a model spec after the colon, e.g. 'local:smollm2-135m-instruct'")
        return _build(LocalTeacher, spec, model_spec, **kwargs)
    if spec == "openai":
        from teachers.openai_api import OpenAITeacher

        return _build(OpenAITeacher, spec, **kwargs)
    if spec.startswith("grounded:"):
        from teachers.grounded import GroundedTeacher

        inner = spec[len("grounded:"):].strip()
        if not inner:
            raise SpecError("teacher 'grounded:' needs a teacher spec after the colon, e.g. 'grounded:self'")
        review = kwargs.pop("review_verified", None)
        return GroundedTeacher(load_teacher(inner, student=student, **kwargs), review_verified=review)
    if spec.startswith("critic:"):
        from teachers.critic import CriticTeacher

        model_spec = spec[len("critic:"):].strip()
        if not model_spec:
            raise SpecError("teacher 'critic:' needs the trained critic's model after the colon, e.g. 'critic:runs/critic/model'")
        reviser = kwargs.pop("reviser", "self")
        threshold = kwargs.pop("threshold", 0.5)
        if reviser.startswith("critic:"):
            raise SpecError(f"teacher {spec!r}: the reviser must write answers, not another critic ({reviser!r})")
        if not 0 < threshold < 1:
            raise SpecError(f"teacher {spec!r}: threshold must be in (0, 1), got {threshold}")
        return CriticTeacher(model_spec, reviser=load_teacher(reviser, student=student, **kwargs), threshold=threshold,
                             precision=getattr(student, "precision", "fp32"))  # the critic scores in the run's precision
    if spec == "arithmetic":
        from teachers.arithmetic import ArithmeticVerifier

        return _build(ArithmeticVerifier, spec, **kwargs)
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise SpecError(f"unknown teacher spec {spec!r}: {SPEC_HELP}")
    cls = load_object(spec, "teacher", accept=lambda c: isinstance(c, type) and issubclass(c, Teacher),
                      expected="a subclass of teachers.base.Teacher")
    if student is not None and "student" in _params(cls):
        kwargs.setdefault("student", student)
    return _build(cls, spec, **kwargs)


def _params(cls: type) -> dict:
    import inspect

    try:
        return dict(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return {}


def _build(cls: type, spec: str, *args, **kwargs) -> Teacher:
    """``cls(*args, **kwargs)``, with keyword arguments it does not take named in a one-line error."""
    params = _params(cls)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    unknown = sorted(k for k in kwargs if k not in params) if params and not takes_any else []
    if unknown:
        known = sorted(k for k, p in params.items() if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD)
        raise SpecError(f"teacher {spec!r} takes no argument(s) {', '.join(unknown)} (teacher_kwargs); "
                               f"it takes: {', '.join(known) or 'none'}")
    return cls(*args, **kwargs)
