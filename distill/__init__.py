"""distill: make a small language model better from its own output, and measure it honestly.

The package, by concern (each subpackage's docstring says its job)::

    loop/      the spine: collect -> train -> evaluate -> decide, round after round; the monitor, the display
    data/      prompt and eval files, instruction data, principles, scoring and arithmetic rules
    curate/    what a round trains on: filters, the training rows of every objective, preference pairs
    model/     model specs, the Student, precision, the OpenAI-compatible client, served students
    train/     the training config, one module per objective behind objective.py, LoRA merged into a model folder
    eval/      gold-answer evaluation, held-out loss, a round's metrics, the verdict against round 0
    store/     the run folder: records, JSONL and atomic writes, the lock, kill points, Ctrl-C
    publish/   report, model cards, trackers, the Hub, exported datasets
    ui/        the live display, ``distill show``, the command line, the recipes' flags
    config.py  RunConfig: everything a run needs       callbacks.py  hooks into the loop's events
    schema.py  typed configs from plain data           text.py       how a table cell is written
    core.py    the vocabulary (chats, items, the Generator and Teacher protocols)
    errors.py  the error family                        interface.py  what teachers may use of distill

The names below load on first use (PEP 562), so ``import distill`` — and the command line's
``show`` and ``--help`` — load neither torch nor TRL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DEFAULT_STUDENT": "distill.model.resolve",
    "load_model": "distill.model.resolve",
    "resolve_folder": "distill.model.resolve",
    "Student": "distill.model.student",
    "Completion": "distill.core",
    "Generator": "distill.core",
    "Item": "distill.core",
    "SamplingConfig": "distill.core",
    "Teacher": "distill.core",
    "ConfigError": "distill.errors",
    "DataError": "distill.errors",
    "DistillError": "distill.errors",
    "SpecError": "distill.errors",
    "LoopCallback": "distill.callbacks",
    "RunConfig": "distill.config",
    "run": "distill.loop.bootstrap",
}

if TYPE_CHECKING:  # what editors and type checkers see; at run time the names load on first use
    from distill.callbacks import LoopCallback  # noqa: F401  (names for type checkers; see _EXPORTS)
    from distill.config import RunConfig  # noqa: F401
    from distill.core import Completion, Generator, Item, SamplingConfig, Teacher  # noqa: F401
    from distill.errors import ConfigError, DataError, DistillError, SpecError  # noqa: F401
    from distill.loop.bootstrap import run  # noqa: F401
    from distill.model.resolve import DEFAULT_STUDENT, load_model, resolve_folder  # noqa: F401
    from distill.model.student import Student  # noqa: F401

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'distill' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
