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

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from distill.train.objective import Column, Objective, RoundData, RoundInputs, Step

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

SFT_STEP = Step(name="sft", trl_config="SFTConfig", defaults=SFT_DEFAULTS, section="sft",
                trainer="distill.train.sft:build_trainer")
# original instruction data alone, after an objective that does not train on kept targets (grpo)
REPLAY_STEP = Step(name="replay", trl_config="SFTConfig", defaults=SFT_DEFAULTS, section="sft",
                   trainer="distill.train.sft:build_trainer", optional=True)


@dataclass
class SFTOptions:
    """The ``sft`` objective's options (``sft_then_dpo``'s too)."""

    # The share of the round's SFT rows (before replay) that teach the critic from the check: critiques
    # of checked answers and corrections of wrong ones (distill.curate.critic); 0: none
    critic_share: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.critic_share < 1:
            raise ValueError(f"critic_share must be in [0, 1), got {self.critic_share}")


def critic_data(inputs: RoundInputs) -> RoundData:
    """The round's critic rows (:func:`distill.curate.critic.critic_rows`), at ``critic_share`` of its
    SFT rows, with their counts (``metrics["critic"]``); a round with no checked record is skipped, said."""
    share = inputs.config.options.critic_share
    if not share:
        return RoundData(inputs.config)
    from distill.curate.critic import critic_rows

    rows, counts = critic_rows(inputs.records, inputs.teacher, inputs.principle, inputs.leaks,
                               math.ceil(share / (1 - share) * len(inputs.kept)), seed=inputs.seed)
    data = RoundData(inputs.config, {"sft": rows}, metrics={"critic": counts})
    if not counts["checked"]:
        data.warnings.append("no answer was checked against a reference; the critic is not trained this round")
        counts["skipped"] = "no checked records"
    return data


def sft_data(inputs: RoundInputs) -> RoundData:
    """The kept targets (and the critic's rows, if any) as prompt/completion rows, mixed with replay
    data at the replay share."""
    from distill.curate.rows import mix, sft_rows

    critic = critic_data(inputs)
    if not inputs.kept:
        return replace(critic, config=None, note="no pair was kept")
    rows = sft_rows(inputs.kept) + critic.rows.get("sft", [])
    mixed = rows if inputs.replay is None else mix(rows, inputs.replay, inputs.replay_ratio, seed=inputs.seed)
    return replace(critic, rows={"sft": mixed})


def critic_cell(counts: dict | None) -> str:
    """A round's critic examples (:func:`distill.curate.critic.critic_rows`) in one table cell."""
    if not counts:
        return "-"
    if counts.get("skipped"):
        return f"skipped: {counts['skipped']}"
    return (f"{counts['faults'] + counts['no_faults'] + counts['corrections']} ({counts['faults']} / "
            f"{counts['no_faults']} / {counts['corrections']})")


CRITIC_COLUMN = Column(header="critic examples (fault / no fault / corrections)", key="critic",
                       cell=lambda m: critic_cell(m.get("critic")))
SFT = Objective(name="sft", steps=(SFT_STEP,), rows=sft_data, about="the kept targets", options=SFTOptions,
                columns=(CRITIC_COLUMN,))


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
