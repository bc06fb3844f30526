"""LoRA fine-tuning of the student with TRL's ``SFTTrainer`` / ``DPOTrainer``, merged into a plain model folder.

The training data is conversational prompt/completion (see :mod:`distill.data`). For that
format TRL renders ``prompt + completion`` with the student's chat template, so the answer is
closed by the template's end-of-turn token (``<|im_end|>`` for ChatML, which is also the EOS),
and builds the labels itself during dataset preparation: prompt tokens get ``-100``
(``completion_only_loss``), answer tokens and the end-of-turn token are trained. Padding is
added later by the collator with label ``-100``, so pad == EOS does not mask the trained EOS.

With the ``dpo`` objectives the same LoRA adapter is trained by TRL's ``DPOTrainer`` on preference
pairs instead (or after SFT), with the reference model taken from the same weights.

After training the adapter is saved to ``out_dir/adapter`` and merged into the base weights,
which are saved to ``out_dir/model`` as a normal Hugging Face folder (safetensors, tokenizer,
no quantization entries) that ``from_pretrained``, ``transformers serve`` and vLLM load.
"""

from __future__ import annotations

import os
import random
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import datasets
import numpy as np
import torch
from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, PrinterCallback, TrainerCallback
from trl import DPOTrainer, SFTTrainer

from distill.atomic import write_folder, write_json
from distill.data import COMPLETION, PROMPT, as_dataset
from distill.models import load_model, quiet_loading, strip_quantization
from distill.train_config import TrainConfig


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


def _training_dataset(dataset: Dataset | Sequence[dict]) -> Dataset:
    ds = as_dataset(dataset, "<training data>")
    # Only the two TRL columns: anything else (e.g. `origin`) is bookkeeping, not model input.
    return ds.select_columns([PROMPT, COMPLETION])


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
    args = config.sft_args(Path(out_dir) / "train", precision, disable_tqdm=quiet)
    model.train()
    with _datasets_bars(enabled=not quiet):  # dataset preparation runs in the constructor
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=_training_dataset(dataset),
            processing_class=tokenizer,
            peft_config=config.lora_config(),
            callbacks=list(callbacks or []),
        )
    if quiet:
        trainer.remove_callback(PrinterCallback)  # transformers prints every log dict when bars are off
    return trainer


def train_lora(
    model_or_folder: PreTrainedModel | str | os.PathLike,
    tokenizer: PreTrainedTokenizerBase | None,
    dataset: Dataset | Sequence[dict] | None,
    out_dir: Path,
    config: TrainConfig | None = None,
    callbacks: list[TrainerCallback] | None = None,
    quiet: bool = False,
    preferences: Dataset | Sequence[dict] | None = None,
    precision: str | None = None,
) -> TrainResult | None:
    """Fine-tune a LoRA adapter by ``config.objective`` and merge it into the model.

    ``model_or_folder`` is a loaded model (trained in place: it becomes the merged model) or
    any spec :func:`distill.models.load_model` accepts (then ``tokenizer`` may be None).
    ``dataset`` (SFT) is in any format :func:`distill.data.normalize` accepts; ``preferences``
    (DPO) is TRL's preference format (``prompt``, ``chosen``, ``rejected``). ``sft`` needs the
    first, ``dpo`` the second, ``sft_then_dpo`` both. ``callbacks`` are transformers
    ``TrainerCallback`` objects (progress displays, early stopping...); ``quiet`` as in
    :func:`build_trainer`; ``precision`` ("fp32", "bf16": autocast with fp32 weights; None: the
    machine's default) is the run's. Writes ``out_dir/adapter`` and ``out_dir/model`` (each atomically)
    and ``out_dir/train`` (TRL's output folder, for logs only). Under a multi-process launcher,
    only the main process merges and writes; the others return None.
    """
    config = config or TrainConfig()
    out_dir = Path(out_dir)
    if isinstance(model_or_folder, PreTrainedModel):
        model = model_or_folder
        if tokenizer is None:
            raise ValueError("train_lora: a tokenizer is required when a loaded model is passed")
    else:
        model, loaded_tok = load_model(model_or_folder)
        tokenizer = tokenizer or loaded_tok
    logs: list[dict] = []
    outputs = []
    examples = 0
    trainer = None
    if config.uses_sft:
        trainer = build_trainer(model, tokenizer, dataset, out_dir, config, callbacks, quiet, precision)
        examples += len(trainer.train_dataset)
        outputs.append(_fit(trainer, config))
        logs += [{**e, "objective": "sft"} for e in trainer.state.log_history]
        model = trainer.model
    if config.uses_dpo:
        # After SFT, `model` is the PeftModel with the trained adapter: TRL copies that adapter into
        # a frozen "ref" adapter as DPO's reference. Without SFT it gets a fresh adapter, and the
        # base model with adapters disabled is the reference. Either way one copy of the weights.
        trainer = build_dpo_trainer(model, tokenizer, preferences, out_dir, config, callbacks, quiet, precision)
        examples += len(trainer.train_dataset)
        outputs.append(_fit(trainer, config))
        logs += [{**e, "objective": "dpo"} for e in trainer.state.log_history]
    if trainer is None:
        raise ValueError(f"train_lora: unknown objective {config.objective!r}")
    if not trainer.accelerator.is_main_process:
        return None  # launched on several processes: the main one merges and writes the folders
    peft_model = trainer.model
    if "ref" in peft_model.peft_config:
        peft_model.delete_adapter("ref")  # DPO's frozen reference is not part of the result

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
    write_json(out_dir / "train" / "log_history.json", {"config": asdict(config), "log_history": logs})
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


def build_dpo_trainer(
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
    args = config.dpo_args(Path(out_dir) / "train", precision, disable_tqdm=quiet)
    model.train()
    with _datasets_bars(enabled=not quiet):
        trainer = DPOTrainer(
            model=model, args=args, train_dataset=ds, processing_class=tokenizer,
            peft_config=None if isinstance(model, PeftModel) else config.lora_config(),
            callbacks=list(callbacks or []),
        )
    if quiet:
        trainer.remove_callback(PrinterCallback)
    return trainer


def _fit(trainer, config: TrainConfig):
    """``trainer.train()`` with ``config.num_threads`` CPU threads (restored afterwards)."""
    threads = torch.get_num_threads()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    try:
        return trainer.train()
    finally:
        torch.set_num_threads(threads)


@contextmanager
def _quiet_evaluation() -> Iterator[None]:
    # SFTTrainer's constructor calls set_seed(); an evaluation must not reseed the caller's RNGs.
    state = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())
    try:
        with _datasets_bars(enabled=False):  # nor print dataset-preparation bars into the caller's display
            yield
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
        torch.random.set_rng_state(state[2])


@contextmanager
def _datasets_bars(enabled: bool) -> Iterator[None]:
    """``datasets`` progress bars off inside the block (when not ``enabled``), as they were after."""
    were_on = datasets.is_progress_bar_enabled()
    if not enabled:
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if were_on and not enabled:
            datasets.enable_progress_bars()


@dataclass
class AnswerMetrics:
    """Teacher-forced scores on the answer tokens (the tokens TRL trains, end-of-turn included)."""

    loss: float  # mean cross-entropy per answer token
    token_accuracy: float  # share of answer tokens that are the greedy (argmax) prediction
    tokens: int


@torch.no_grad()
def answer_metrics(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Dataset | Sequence[dict],
    batch_size: int = 8,
    max_length: int = 1024,
) -> AnswerMetrics:
    """Loss and token accuracy of ``model`` on the answer tokens of conversational examples.

    The batches are built by TRL itself (an ``SFTTrainer`` that never trains: its dataset
    preparation, completion-only labels and collator), so the tokens scored are exactly the
    tokens training optimises. The mean is over all answer tokens of all examples.
    """
    ds = _training_dataset(examples)
    with tempfile.TemporaryDirectory(prefix="distill-eval-") as tmp, _quiet_evaluation():
        args = TrainConfig().sft_args(Path(tmp), per_device_train_batch_size=batch_size,
                                      per_device_eval_batch_size=batch_size, max_length=max_length, disable_tqdm=True)
        was_training = model.training
        patched = model.__dict__.get("forward")  # SFTTrainer patches a fused LM head onto the model it is given
        trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tokenizer)
        loader = trainer.get_eval_dataloader(trainer.train_dataset)  # sequential, TRL's collator
        model.eval()
        total_loss, correct, count = 0.0, 0, 0
        try:
            for batch in loader:
                batch = {k: v.to(model.device) for k, v in batch.items() if isinstance(v, torch.Tensor)}
                labels = batch.pop("labels")
                logits = model(**batch, use_cache=False).logits.float()
                # Token t is predicted from position t-1 (same shift as the model's own loss).
                logits, labels = logits[:, :-1], labels[:, 1:]
                mask = labels != -100
                total_loss += torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100, reduction="sum"
                ).item()
                correct += int(((logits.argmax(-1) == labels) & mask).sum())
                count += int(mask.sum())
        finally:
            model.train(was_training)
            if patched is None:  # leave the model as it came: each evaluation would nest another wrapper
                model.__dict__.pop("forward", None)
            else:
                model.forward = patched
    if count == 0:
        raise ValueError("answer_metrics: the examples have no answer tokens")
    return AnswerMetrics(loss=total_loss / count, token_accuracy=correct / count, tokens=count)


def answer_loss(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Dataset | Sequence[dict],
    batch_size: int = 8,
) -> float:
    """Mean cross-entropy on the answer tokens of conversational examples (held-out forgetting)."""
    return answer_metrics(model, tokenizer, examples, batch_size).loss
