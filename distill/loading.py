"""The one loader of ``module.path:NAME`` specs: an objective, a reward function, a teacher class or a
step's trainer builder, named by where it is defined. One error type (:class:`~distill.errors.SpecError`)
and one message shape, ``<kind> '<spec>': <what is wrong>``, whatever is loaded.

Imports nothing of the toolkit but the errors, so the interface module and the teachers can use it.
"""

from __future__ import annotations

import importlib
from typing import Callable

from distill.errors import SpecError


def load_object(spec: str, kind: str, *, accept: Callable[[object], bool] | None = None,
                expected: str = "") -> object:
    """The object ``spec`` (``module.path:NAME``) names: the module imported, NAME read from it.

    ``kind`` (``objective``, ``reward``, ``teacher``, ``trainer``) starts the one-line
    :class:`SpecError` raised when the spec is not of that shape, its module cannot be imported, the
    module has no such name, or ``accept`` refuses what it found (``expected`` says what was wanted:
    ``"a function"``)."""
    module_name, sep, name = str(spec).strip().partition(":")
    if not sep or not module_name or module_name.startswith(".") or not name:
        raise SpecError(f"{kind} {spec!r}: expected module.path:NAME")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise SpecError(f"{kind} {spec!r}: cannot import module {module_name!r} ({e})") from e
    try:
        found = getattr(module, name)
    except AttributeError:
        raise SpecError(f"{kind} {spec!r}: module {module_name!r} has no {name!r}") from None
    if accept is not None and not accept(found):
        raise SpecError(f"{kind} {spec!r}: {name!r} is not {expected or 'what was expected'}")
    return found
