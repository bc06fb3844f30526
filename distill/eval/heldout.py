"""Held-out loss: how well a model still predicts the answers of original instruction data it was
not trained on (the forgetting measure), scored on exactly the tokens training optimises."""

from __future__ import annotations

import random
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from trl import SFTTrainer

from distill.train.common import datasets_bars, training_dataset
from distill.train.config import TrainConfig


@contextmanager
def _quiet_evaluation() -> Iterator[None]:
    # SFTTrainer's constructor calls set_seed(); an evaluation must not reseed the caller's RNGs.
    state = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())
    try:
        with datasets_bars(enabled=False):  # nor print dataset-preparation bars into the caller's display
            yield
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
        torch.random.set_rng_state(state[2])


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
    ds = training_dataset(examples)
    with tempfile.TemporaryDirectory(prefix="distill-eval-") as tmp, _quiet_evaluation():
        config = TrainConfig()  # the default objective's first step: supervised, the tokens a round trains
        args = config.args(config.objective_spec.steps[0], Path(tmp), per_device_train_batch_size=batch_size,
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
