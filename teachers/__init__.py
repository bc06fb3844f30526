"""Teacher backends: each file one way of critiquing and revising answers.

Load one by spec with :func:`load_teacher`; write your own by subclassing :class:`Teacher`
and overriding ``complete``. Concrete backends are imported lazily, by spec, so importing
this package loads no model and no HTTP client.
"""

from distill.principles import Item
from teachers.base import Critique, Teacher, TeacherError, Usage, parse_verdict
from teachers.loader import SPEC_HELP, TeacherSpecError, load_teacher

__all__ = [
    "SPEC_HELP",
    "Critique",
    "Item",
    "Teacher",
    "TeacherError",
    "TeacherSpecError",
    "Usage",
    "load_teacher",
    "parse_verdict",
]
