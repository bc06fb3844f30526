"""distill: make a small language model better from its own output, and measure it honestly.

The names below load on first use (PEP 562), so ``import distill`` — and the command line's
``show`` and ``--help`` — load neither torch nor TRL.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DEFAULT_STUDENT": "distill.models",
    "ModelSpecError": "distill.models",
    "load_model": "distill.models",
    "resolve_folder": "distill.models",
    "ChatTemplateError": "distill.student",
    "PromptTooLongError": "distill.student",
    "Student": "distill.student",
    "Completion": "distill.interface",
    "DistillError": "distill.interface",
    "Item": "distill.interface",
    "SamplingConfig": "distill.interface",
    "RunConfig": "distill.config",
    "run": "distill.loop",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'distill' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
