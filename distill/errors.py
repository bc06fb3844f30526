"""Every error this toolkit raises on purpose, in one family (as distilabel's ``errors.py``).

A handful of kinds, each with the exit status the command line and the recipes end with when it
reaches them (a one-line message, no traceback unless ``--debug``):

* something a user can fix, exit status 2: :class:`ConfigError` (a config file, flag or setting),
  :class:`DataError` (a data file or a run folder's file: the message names the file, line and
  field), :class:`SpecError` (a model, teacher or reward named in a way that cannot be loaded) and
  :class:`ResourceError` (the disk, the run folder's lock, a server or the Hub);
* a failure during the run, exit status 1: :class:`RunFailed` (a teacher or the training gave up;
  everything finished before it is saved), and :class:`TeacherError`, a batch with failed items;
* :class:`Interrupted`, exit status 130: Ctrl-C stopped the run at a safe point.

Imports nothing, so the interface module and the teachers can use it without torch.
"""

from __future__ import annotations


class DistillError(Exception):
    """Base of the family. The message is one line naming what is wrong (file, line, field, key
    or spec); the command line prints it without a traceback and exits with ``exit_status``."""

    exit_status: int = 2


class ConfigError(DistillError, ValueError):
    """A configuration file, flag or setting that cannot be used (TRL's and peft's refusals of a
    training setting too); the message names the file and the key."""


class DataError(DistillError, ValueError):
    """A data file (prompts, eval sets, instruction data, principles, preference pairs, seed
    tasks) or a run folder's file that cannot be read; the message names the file, the line and
    the field."""


class SpecError(DistillError, ValueError):
    """A model, teacher or reward spec that cannot be resolved or loaded; the message says what
    was expected and what to do."""


class ResourceError(DistillError):
    """Something outside the inputs stood in the way: a full or read-only disk, a run folder held
    by another process, a server that cannot be started or reached, the Hub refusing a push.
    Everything finished before it is on disk; the same command resumes once the cause is fixed."""


class RunFailed(DistillError):
    """A failure during the run (a teacher or the training gave up); the finished work is saved
    and the same command retries the rest."""

    exit_status = 1


class TeacherError(RunFailed):
    """Some items of a batch failed after their retries.

    ``results`` is the whole batch in order (finished items intact, failed ones marked with
    ``error``); ``failed`` lists the indices of the failed items."""

    def __init__(self, message: str, results: list, failed: list[int]) -> None:
        super().__init__(message)
        self.results = results
        self.failed = failed


class Interrupted(DistillError):
    """The run stopped at a safe point after Ctrl-C; the same command resumes it."""

    exit_status = 130  # the shell's status for a process ended by SIGINT


__all__ = ["ConfigError", "DataError", "DistillError", "Interrupted", "ResourceError", "RunFailed", "SpecError",
           "TeacherError"]
