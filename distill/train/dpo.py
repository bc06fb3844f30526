"""The ``dpo`` objective: preference pairs (revision over answer) with TRL's ``DPOTrainer``, the
reference taken from the same weights (adapters disabled, or the SFT'd adapter frozen)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from distill.train.objective import Objective, RoundData, RoundInputs, Step, get
from distill.train.sft import CRITIC_COLUMN, SFT, SFT_STEP, SFTOptions, sft_data

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback
    from trl import DPOTrainer

    from distill.train.config import TrainConfig

# This project's defaults for TRL's DPOConfig. The combined loss keeps an SFT term: rows to be
# imitated (replay data, verified answers) enter with chosen == rejected, so their preference
# term is zero and they add only that term (distill.curate.rows.preference_mix).
DPO_DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5,
    "num_train_epochs": 1.0,
    "beta": 0.1,
    "loss_type": ["sigmoid", "sft"],
    "loss_weights": [1.0, 1.0],
    "per_device_train_batch_size": 2,
    "per_device_eval_batch_size": 2,
    "gradient_accumulation_steps": 4,
    "max_length": 512,
    "lr_scheduler_type": "linear",
    "logging_steps": 1,
    "seed": 0,
    "report_to": "none",
    "dataloader_num_workers": 0,
}

DPO_STEP = Step(name="dpo", trl_config="DPOConfig", defaults=DPO_DEFAULTS, section="dpo",
                trainer="distill.train.dpo:build_trainer")


def dpo_data(inputs: RoundInputs) -> RoundData:
    """The round's preference pairs; with SFT before them (``sft_then_dpo``) the SFT rows too. Rows to
    imitate only — replay data and, for plain DPO, verified answers — enter with ``chosen ==
    rejected`` (:func:`distill.curate.rows.preference_mix`). Without pairs, DPO is skipped."""
    from distill.curate.rows import preference_mix, sft_rows

    with_sft = SFT_STEP in get(inputs.config.objective).steps
    if not inputs.pairs:
        note = "no preference pairs (no kept revision of a faulty answer): DPO skipped"
        if not with_sft:
            return RoundData(None, note=note)
        data = sft_data(replace(inputs, config=replace(inputs.config, objective=SFT.name)))
        data.note = note
        return data
    if not inputs.kept:
        return RoundData(None, note="no pair was kept")
    data = sft_data(inputs) if with_sft else RoundData(inputs.config)
    rows = sft_rows(inputs.kept)
    # after SFT the verified answers are learned already; DPO alone imitates them too
    verified = [] if with_sft else [r for r, s in zip(rows, inputs.kept) if s.verdict != "fault"]
    data.rows["dpo"] = preference_mix(inputs.pairs, verified, inputs.replay, inputs.replay_ratio, inputs.seed)
    return data


DPO = Objective(name="dpo", steps=(DPO_STEP,), rows=dpo_data, about="the preference pairs")
SFT_THEN_DPO = Objective(name="sft_then_dpo", steps=(SFT_STEP, DPO_STEP), rows=dpo_data,
                         about="both in turn", options=SFTOptions,
                         columns=(CRITIC_COLUMN,))


def build_trainer(
    model: "PreTrainedModel",
    tokenizer: "PreTrainedTokenizerBase",
    preferences: "Dataset | Sequence[dict] | None",
    out_dir: Path,
    config: "TrainConfig",
    callbacks: "list[TrainerCallback] | None" = None,
    quiet: bool = False,
    precision: str | None = None,
) -> "DPOTrainer":
    """The ``DPOTrainer`` of a round: LoRA on ``model`` (or its existing adapter), TRL's
    preference format, the reference without a second copy of the model."""
    from datasets import Dataset
    from peft import PeftModel
    from trl import DPOTrainer

    from distill.train.common import datasets_bars
    from distill.train.common import quiet as quieted

    if not preferences:
        raise ValueError("train_lora: a DPO objective needs preference pairs")
    ds = preferences if isinstance(preferences, Dataset) else Dataset.from_list(list(preferences))
    ds = ds.select_columns(["prompt", "chosen", "rejected"])
    args = config.args(DPO_STEP, Path(out_dir) / "train", precision, disable_tqdm=quiet)
    model.train()
    with datasets_bars(enabled=not quiet):
        trainer = DPOTrainer(
            model=model, args=args, train_dataset=ds, processing_class=tokenizer,
            peft_config=None if isinstance(model, PeftModel) else config.lora_config(),
            callbacks=list(callbacks or []),
        )
    return quieted(trainer) if quiet else trainer
