"""distill: make a small language model better from its own output, and measure it honestly."""

from distill.models import DEFAULT_STUDENT, ModelSpecError, load_model, resolve_folder
from distill.student import ChatTemplateError, Completion, PromptTooLongError, SamplingConfig, Student

__all__ = [
    "DEFAULT_STUDENT",
    "ChatTemplateError",
    "Completion",
    "ModelSpecError",
    "PromptTooLongError",
    "SamplingConfig",
    "Student",
    "load_model",
    "resolve_folder",
]
