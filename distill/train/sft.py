"""The ``sft`` objective: supervised fine-tuning on kept targets (and replay data) with TRL's ``SFTTrainer``;
also the ``replay`` step other objectives end with (original instruction data alone).

The rows are conversational prompt/completion (see :mod:`distill.data.instructions`). For that
format TRL renders ``prompt + completion`` with the student's chat template, so the answer is
closed by the template's end-of-turn token (``<|im_end|>`` for ChatML, which is also the EOS),
and builds the labels itself during dataset preparation: prompt tokens get ``-100``
(``completion_only_loss``), answer tokens and the end-of-turn token are trained. Padding is
added later by the collator with label ``-100``, so pad == EOS does not mask the trained EOS.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from distill.train.objective import Objective, RoundData, RoundInputs, Step

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback
    from trl import SFTTrainer

    from distill.train.config import TrainConfig

# This project's defaults for TRL's SFTConfig (TRL's own defaults suit a GPU and a larger model).
SFT_DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-4,  # LoRA, not full fine-tuning
    "num_train_epochs": 2.0,
    # Micro-batches of 2 with 4 accumulation steps: 8 examples per step, less padding and smaller
    # logits than 8 x 1, faster on CPU at half the memory (bench/run.py, section train).
    "per_device_train_batch_size": 2,
    "per_device_eval_batch_size": 2,
    "gradient_accumulation_steps": 4,
    "max_length": 512,  # prompt + answer tokens; longer examples are truncated (no padding to it)
    "lr_scheduler_type": "linear",
    "logging_steps": 1,  # every step, so the loss history is complete
    "seed": 0,
    "activation_checkpointing": False,  # costs time; only worth it when memory is short
    "completion_only_loss": True,  # loss on the answer tokens only (prompt tokens are labelled -100)
    "packing": False,
    "padding_free": False,  # correct padding-free batches need flash attention, which CPUs lack
    "report_to": "none",
    "dataloader_num_workers": 0,
}

SFT_STEP = Step("sft", "SFTConfig", SFT_DEFAULTS, "sft", "distill.train.sft:build_trainer")
# original instruction data alone, after an objective that does not train on kept targets (grpo)
REPLAY_STEP = Step("replay", "SFTConfig", SFT_DEFAULTS, "sft", "distill.train.sft:build_trainer", optional=True)


def sft_data(inputs: RoundInputs) -> RoundData:
    """The kept targets (and the critic's rows, if any) as prompt/completion rows, mixed with replay
    data at the replay share."""
    from distill.curate.rows import mix, sft_rows

    if not inputs.kept:
        return RoundData(None, note="no pair was kept")
    rows = sft_rows(inputs.kept) + inputs.critic
    return RoundData(inputs.config, {"sft": rows if inputs.replay is None else
                                     mix(rows, inputs.replay, inputs.replay_ratio, seed=inputs.seed)})


SFT = Objective("sft", (SFT_STEP,), sft_data)


def build_trainer(
    model: "PreTrainedModel",
    tokenizer: "PreTrainedTokenizerBase",
    dataset: "Dataset | Sequence[dict]",
    out_dir: Path,
    config: "TrainConfig | None" = None,
    callbacks: "list[TrainerCallback] | None" = None,
    quiet: bool = False,
    precision: str | None = None,
    step: Step = SFT_STEP,
) -> "SFTTrainer":
    """The ``SFTTrainer`` :func:`train_lora` runs (LoRA applied to ``model`` in place, data prepared).

    Public so that its batches can be inspected: ``trainer.get_train_dataloader()`` yields
    exactly what training sees. ``quiet``: no bars and no log lines (the logs still reach the
    callbacks), for callers that draw progress themselves.
    """
    from peft import PeftModel
    from trl import SFTTrainer

    from distill.train.common import datasets_bars, training_dataset
    from distill.train.common import quiet as quieted
    from distill.train.config import TrainConfig

    config = config or TrainConfig()
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("train_lora: the tokenizer has no chat template; the student's template defines the answer format")
    args = config.args(step, Path(out_dir) / "train", precision, disable_tqdm=quiet)
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
