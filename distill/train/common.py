"""What every objective's trainer shares: the training rows as TRL wants them, dataset preparation
without progress bars, and a quiet trainer (no printed log lines) for callers that draw progress."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Iterator, Sequence

import datasets
from datasets import Dataset
from transformers import PrinterCallback

from distill.data.instructions import COMPLETION, PROMPT, as_dataset


def training_dataset(dataset: Dataset | Sequence[dict]) -> Dataset:
    """Conversational prompt/completion rows in any format :func:`~distill.data.instructions.normalize`
    accepts, as a Dataset of TRL's two columns."""
    ds = as_dataset(dataset, "<training data>")
    # Only the two TRL columns: anything else (e.g. `origin`) is bookkeeping, not model input.
    return ds.select_columns([PROMPT, COMPLETION])


@contextmanager
def datasets_bars(enabled: bool) -> Iterator[None]:
    """``datasets`` progress bars off inside the block (when not ``enabled``), as they were after."""
    were_on = datasets.is_progress_bar_enabled()
    if not enabled:
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if were_on and not enabled:
            datasets.enable_progress_bars()


@contextmanager
def library_notices_off() -> Iterator[None]:
    """Inside the block, the deprecation notices the training libraries raise about each other: peft
    and TRL read transformers' deprecated ``is_gradient_checkpointing`` on every trainer, a notice
    for those libraries' authors, not for this toolkit's users."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


def quiet(trainer):
    """``trainer`` without transformers' printer, which prints every log dict when bars are off."""
    trainer.remove_callback(PrinterCallback)
    return trainer
