"""The ``dpo`` objective: preference pairs (revision over answer) with TRL's ``DPOTrainer``, the
reference taken from the same weights (adapters disabled, or the SFT'd adapter frozen)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback
from trl import DPOTrainer

from distill.train.common import datasets_bars
from distill.train.common import quiet as quieted
from distill.train.config import TrainConfig


def build_trainer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    preferences: Dataset | Sequence[dict] | None,
    out_dir: Path,
    config: TrainConfig,
    callbacks: list[TrainerCallback] | None = None,
    quiet: bool = False,
    precision: str | None = None,
) -> DPOTrainer:
    """The ``DPOTrainer`` of a round: LoRA on ``model`` (or its existing adapter), TRL's
    preference format, the reference without a second copy of the model."""
    from peft import PeftModel

    if not preferences:
        raise ValueError("train_lora: a DPO objective needs preference pairs")
    ds = preferences if isinstance(preferences, Dataset) else Dataset.from_list(list(preferences))
    ds = ds.select_columns(["prompt", "chosen", "rejected"])
    args = config.args("dpo", Path(out_dir) / "train", precision, disable_tqdm=quiet)
    model.train()
    with datasets_bars(enabled=not quiet):
        trainer = DPOTrainer(
            model=model, args=args, train_dataset=ds, processing_class=tokenizer,
            peft_config=None if isinstance(model, PeftModel) else config.lora_config(),
            callbacks=list(callbacks or []),
        )
    return quieted(trainer) if quiet else trainer
