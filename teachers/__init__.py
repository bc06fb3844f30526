"""Teacher backends: each file one way of critiquing and revising answers.

Load one by spec with :func:`load_teacher`; write your own by subclassing :class:`Teacher`
and overriding ``complete``. Concrete backends are imported lazily, by spec, so importing
this package loads no model and no HTTP client. Of ``distill`` this package uses only the
interface module (:mod:`distill.interface`), a test checks.
"""

from distill.interface import Completion, Critique, Item, Principle, SamplingConfig, SpecError, TeacherError
from teachers.base import Teacher, Usage, parse_verdict
from teachers.loader import SPEC_HELP, load_teacher

__all__ = [
    "SPEC_HELP",
    "Completion",
    "Critique",
    "Item",
    "Principle",
    "SamplingConfig",
    "Teacher",
    "TeacherError",
    "SpecError",
    "Usage",
    "load_teacher",
    "parse_verdict",
]
