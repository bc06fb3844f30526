"""The ``grpo`` objective: online reinforcement from the project's checks with TRL's ``GRPOTrainer``.

For each of the round's prompts the student samples ``num_generations`` answers with its current
LoRA weights, each answer is scored by the rewards of ``train.reward`` (:mod:`distill.train.rewards`),
and the policy moves toward the answers that scored above their group's mean (GRPO; TRL's DAPO
loss by default). The rows are conversational prompts with each prompt's question record beside
them (``question``, JSON), from which the rewards read the reference.

Rollouts are sampled by the student's own batched engine (:meth:`distill.model.student.Student.generate_ids`:
length-sorted batches from free memory, the shared template head computed once, finished rows
dropped) through TRL's ``rollout_func`` hook; ``bench/grpo.py`` measures it against TRL's own
generation. The adapter's dropout is off (``disable_dropout``), so the answers sampled are the
policy the loss scores.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback

from distill.core import SamplingConfig
from distill.train.common import datasets_bars
from distill.train.common import quiet as quieted
from distill.train.config import TrainConfig
from distill.train.rewards import JudgeReward, build

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is marked experimental in TRL 1.16


def student_rollout(config: TrainConfig):
    """TRL's ``rollout_func``: the round's prompts (already repeated once per generation) answered by
    the policy as it is now, through the student's batched engine."""
    from distill.model.student import Student

    def rollout(prompts: list, trainer: Any) -> dict:
        args = trainer.args
        tokenizer = trainer.processing_class
        policy = trainer.accelerator.unwrap_model(trainer.model)  # the PeftModel, LoRA active
        student = Student("policy", model=policy, tokenizer=tokenizer)
        ids = [student.encode(p) for p in prompts]
        # A new seed each step (and the same on resume): the groups must differ from step to step.
        sampling = SamplingConfig(max_new_tokens=args.max_completion_length, temperature=args.temperature,
                                  top_p=args.top_p, seed=args.seed + 7919 * trainer.state.global_step)
        was_training = policy.training
        policy.eval()
        try:
            completion_ids, _ = student.generate_ids(ids, sampling)
        finally:
            policy.train(was_training)
        return {"prompt_ids": ids, "completion_ids": completion_ids, "logprobs": None}

    return rollout


def build_trainer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    rows: Dataset | Sequence[dict],
    out_dir: Path,
    config: TrainConfig,
    callbacks: list[TrainerCallback] | None = None,
    quiet: bool = False,
    precision: str | None = None,
    judge: JudgeReward | None = None,
    trl_generation: bool = False,
) -> Any:
    """The ``GRPOTrainer`` of a round: LoRA on ``model`` in place, ``rows`` of prompts (with their
    ``question`` column), the rewards of ``config.reward`` (``judge`` when it names the teacher's).
    ``trl_generation`` samples with TRL's own generation instead of the student's (for ``bench/grpo.py``)."""
    from trl import GRPOTrainer

    if not rows:
        raise ValueError("train_lora: the grpo objective needs prompts")
    ds = rows if isinstance(rows, Dataset) else Dataset.from_list(list(rows))
    log = Path(out_dir) / "train" / "rollouts.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)  # training starts over after a kill: so does its log
    funcs, weights = build(config.reward, judge, log)
    args = config.args("grpo", Path(out_dir) / "train", precision, disable_tqdm=quiet, reward_weights=weights)
    model.train()
    with datasets_bars(enabled=not quiet):
        trainer = GRPOTrainer(
            model=model, reward_funcs=funcs, args=args, train_dataset=ds, processing_class=tokenizer,
            peft_config=config.lora_config(), callbacks=list(callbacks or []),
            rollout_func=None if trl_generation else student_rollout(config),
        )
    if judge is not None:
        judge.policy = trainer.model  # the judge reads with the adapter off: the round's starting weights
    return quieted(trainer) if quiet else trainer
