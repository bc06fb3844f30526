"""LoRA training of one round by ``train.objective``, merged into a plain model folder.

An objective (:mod:`distill.train.objective`) is one step or a sequence of steps (supervised then
preference; online RL then replay), each building its TRL trainer with the round's LoRA adapter on the model.
The steps train one adapter in turn; then it is saved to ``out_dir/adapter`` and merged into the base
weights, which are saved to ``out_dir/model`` as a normal Hugging Face folder (safetensors,
tokenizer, no quantization entries) that ``from_pretrained``, ``transformers serve`` and vLLM load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import torch
from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback

from distill.model.resolve import load_model, quiet_loading, strip_quantization
from distill.store.atomic import write_folder, write_json
from distill.train.common import library_notices_off
from distill.train.config import TrainConfig
from distill.train.objective import Judge


@dataclass
class TrainResult:
    """What one round of training produced."""

    adapter_dir: Path
    model_dir: Path
    model: PreTrainedModel  # the merged model, in memory, in eval mode
    tokenizer: PreTrainedTokenizerBase
    loss_history: list[float]  # training loss per logged step
    token_accuracy_history: list[float]  # TRL's mean token accuracy on answer tokens per logged step
    metrics: dict[str, float]  # train_runtime, train_steps_per_second, train_loss, ...
    steps: int
    examples: int
    log_history: list[dict] = field(default_factory=list)


def train_lora(
    model_or_folder: PreTrainedModel | str | os.PathLike,
    tokenizer: PreTrainedTokenizerBase | None,
    rows: Mapping[str, Dataset | Sequence[dict]] | Dataset | Sequence[dict],
    out_dir: Path,
    config: TrainConfig | None = None,
    callbacks: list[TrainerCallback] | None = None,
    quiet: bool = False,
    precision: str | None = None,
    judge: Judge | None = None,
) -> TrainResult | None:
    """Fine-tune a LoRA adapter by ``config.objective`` and merge it into the model.

    ``model_or_folder`` is a loaded model (trained in place: it becomes the merged model) or
    any spec :func:`distill.model.resolve.load_model` accepts (then ``tokenizer`` may be None).
    ``rows`` maps each step of the objective to its rows (:class:`distill.curate.rows.RoundData`'s
    ``rows``); a one-step objective may be given its rows directly: each step's in the format its
    trainer reads (a supervised step's in any format :func:`distill.data.instructions.normalize`
    accepts, a preference step's in TRL's ``prompt``, ``chosen``, ``rejected``). ``callbacks`` are
    transformers ``TrainerCallback`` objects (progress displays, early stopping...); ``quiet``: no
    bars and no log lines from the trainers; ``precision`` ("fp32", "bf16": autocast with fp32 weights; None: the
    machine's default) is the run's; ``judge`` (the loop's teacher) goes to steps that take one.
    Writes ``out_dir/adapter`` and ``out_dir/model`` (each atomically)
    and ``out_dir/train`` (TRL's output folder, for logs only). Under a multi-process launcher,
    only the main process merges and writes; the others return None.
    """
    with library_notices_off():
        return _train_lora(model_or_folder, tokenizer, rows, out_dir, config or TrainConfig(), callbacks, quiet,
                           precision, judge)


def _train_lora(model_or_folder, tokenizer, rows, out_dir, config: TrainConfig, callbacks, quiet, precision,
                judge: Judge | None) -> TrainResult | None:
    """:func:`train_lora` (its arguments), with the libraries' notices to each other off."""
    out_dir = Path(out_dir)
    if isinstance(model_or_folder, PreTrainedModel):
        model = model_or_folder
        if tokenizer is None:
            raise ValueError("train_lora: a tokenizer is required when a loaded model is passed")
    else:
        model, loaded_tok = load_model(model_or_folder)
        tokenizer = tokenizer or loaded_tok
    steps = config.objective_spec.steps
    if not isinstance(rows, Mapping):
        if len(steps) != 1:
            raise ValueError(f"train_lora: objective {config.objective!r} has steps "
                             f"{tuple(s.name for s in steps)}: give rows per step")
        rows = {steps[0].name: rows}
    logs: list[dict] = []
    outputs = []
    examples = 0
    trainer = None
    # After a first step `model` is the PeftModel with the trained adapter: the next step trains it
    # on (a preference step then copies it into a frozen "ref" adapter as its reference). Either way one copy of
    # the weights.
    extras = {"judge": judge}
    for step in steps:
        if not rows.get(step.name):
            if step.optional:
                continue
            raise ValueError(f"train_lora: the {step.name!r} step of objective {config.objective!r} has no rows")
        trainer = step.build_trainer(model, tokenizer, rows[step.name], out_dir, config, callbacks, quiet, precision,
                                     **{k: extras[k] for k in step.takes})
        examples += len(trainer.train_dataset)
        outputs.append(_fit(trainer, config))
        logs += [{**e, "objective": step.name} for e in trainer.state.log_history]
        model = trainer.model
    if trainer is None:
        raise ValueError(f"train_lora: unknown objective {config.objective!r}")
    if not trainer.accelerator.is_main_process:
        return None  # launched on several processes: the main one merges and writes the folders
    peft_model = trainer.model
    if "ref" in peft_model.peft_config:
        peft_model.delete_adapter("ref")  # a preference step's frozen reference is not part of the result

    adapter_dir = write_folder(out_dir / "adapter", peft_model.save_pretrained)
    merged = peft_model.merge_and_unload()
    merged.eval()
    strip_quantization(merged.config, merged)  # a merged fp model is not quantized, whatever it was loaded from
    merged.config.use_cache = True  # TRL switches the cache off for training; generation wants it

    def write_model(tmp: Path) -> None:
        with quiet_loading():
            merged.save_pretrained(tmp)  # safetensors by default
        tokenizer.save_pretrained(tmp)

    metrics = {k: v for out in outputs for k, v in out.metrics.items()}
    metrics["train_loss"] = float(outputs[-1].training_loss)
    (out_dir / "train").mkdir(parents=True, exist_ok=True)
    # Before the model folder: a complete model/ means the round is trained, logs included.
    write_json(out_dir / "train" / "log_history.json", {"config": config.to_dict(), "log_history": logs})
    model_dir = write_folder(out_dir / "model", write_model)
    return TrainResult(
        adapter_dir=adapter_dir,
        model_dir=model_dir,
        model=merged,
        tokenizer=tokenizer,
        loss_history=[float(e["loss"]) for e in logs if "loss" in e],
        token_accuracy_history=[float(e["mean_token_accuracy"]) for e in logs if "mean_token_accuracy" in e],
        metrics=metrics,
        steps=sum(int(e.get("step", 0)) for e in logs if "train_runtime" in e),
        examples=examples,
        log_history=logs,
    )


def _fit(trainer, config: TrainConfig):
    """``trainer.train()`` with ``config.num_threads`` CPU threads (restored afterwards)."""
    threads = torch.get_num_threads()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    try:
        return trainer.train()
    finally:
        torch.set_num_threads(threads)
