"""The ``sft`` objective: supervised fine-tuning on kept targets (and replay data) with TRL's ``SFTTrainer``.

The rows are conversational prompt/completion (see :mod:`distill.data.instructions`). For that
format TRL renders ``prompt + completion`` with the student's chat template, so the answer is
closed by the template's end-of-turn token (``<|im_end|>`` for ChatML, which is also the EOS),
and builds the labels itself during dataset preparation: prompt tokens get ``-100``
(``completion_only_loss``), answer tokens and the end-of-turn token are trained. Padding is
added later by the collator with label ``-100``, so pad == EOS does not mask the trained EOS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from datasets import Dataset
from peft import PeftModel
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback
from trl import SFTTrainer

from distill.train.common import datasets_bars, training_dataset
from distill.train.common import quiet as quieted
from distill.train.config import TrainConfig


def build_trainer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    dataset: Dataset | Sequence[dict],
    out_dir: Path,
    config: TrainConfig | None = None,
    callbacks: list[TrainerCallback] | None = None,
    quiet: bool = False,
    precision: str | None = None,
) -> SFTTrainer:
    """The ``SFTTrainer`` :func:`train_lora` runs (LoRA applied to ``model`` in place, data prepared).

    Public so that its batches can be inspected: ``trainer.get_train_dataloader()`` yields
    exactly what training sees. ``quiet``: no bars and no log lines (the logs still reach the
    callbacks), for callers that draw progress themselves.
    """
    config = config or TrainConfig()
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("train_lora: the tokenizer has no chat template; the student's template defines the answer format")
    args = config.args("sft", Path(out_dir) / "train", precision, disable_tqdm=quiet)
    model.train()
    with datasets_bars(enabled=not quiet):  # dataset preparation runs in the constructor
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=training_dataset(dataset),
            processing_class=tokenizer,
            # after an earlier step (grpo's replay step) the model carries the round's adapter: train it on
            peft_config=None if isinstance(model, PeftModel) else config.lora_config(),
            callbacks=list(callbacks or []),
        )
    return quieted(trainer) if quiet else trainer
