"""The ``grpo`` objective: online reinforcement from the project's checks with TRL's ``GRPOTrainer``.

For each of the round's prompts the student samples ``num_generations`` answers with its current
LoRA weights, each answer is scored by the rewards of its ``reward`` option (:mod:`distill.train.rewards`),
and the policy moves toward the answers that scored above the mean of the step's answers of their
format (:func:`format_advantages`; ``baseline: group`` keeps GRPO's own group mean), with TRL's DAPO
loss by default. The rows are conversational prompts with each prompt's question record beside
them (``question``, JSON), from which the rewards read the reference.

Rollouts are sampled by the student's own batched engine (:meth:`distill.model.student.Student.generate_ids`:
length-sorted batches from free memory, the shared template head computed once, finished rows
dropped) through TRL's ``rollout_func`` hook (:class:`StudentRollout`), in a bf16 run from a bf16
copy of the policy with the adapter merged in and refreshed each step. The adapter's dropout is
off (``disable_dropout``), so the answers sampled are the policy the loss scores. Answers that add
nothing to the gradient (zero advantage, or cut off and masked) skip the forward and backward pass
(:func:`build_trainer_class`). ``bench/grpo.py`` measures a step each way.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from distill.text import cell, clip
from distill.train.objective import (Draw, Flag, Judge, Objective, RoundData, RoundInputs, Step, first_last,
                                     log_mean)
from distill.train.sft import REPLAY_STEP

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback

    from distill.data.questions import Question
    from distill.model.student import GeneratedIds
    from distill.store.records import RoundSummary
    from distill.train.config import TrainConfig

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is marked experimental in TRL 1.16

# This project's defaults for TRL's GRPOConfig, for a small student on a CPU: groups of 8 answers per
# prompt (fewer groups have no spread in reward), 2 prompts per optimizer step, rollouts at the
# temperature and length bench/rollout_settings.py chose (docs/results.md, "Rollout settings": at
# temperature 1 and 64 tokens most rollouts are noise or cut off), no KL term (beta 0: the replay step
# guards the rest of the model; set beta to add one), dropout off so the sampled answers are the
# policy the loss scores.
GRPO_DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-4,  # the SFT rate: LoRA wants a far higher rate than full fine-tuning, in RL too
    "num_train_epochs": 1.0,
    "num_generations": 8,
    "per_device_train_batch_size": 8,  # counted in completions: one prompt's group per micro-batch
    "gradient_accumulation_steps": 2,
    # rollouts for 4 optimizer steps at once (8 prompts, 64 answers): the engine samples 64 rows at about
    # twice the tokens/s of 16, and the format baseline and answer balance see 8 prompts, not 2
    "steps_per_generation": 8,
    "max_completion_length": 128,
    "temperature": 0.8,
    # an answer cut off at the limit has no checkable result: its reward still counts in its group's
    # mean, but its tokens are not trained on
    "mask_truncated_completions": True,
    "beta": 0.0,
    "disable_dropout": True,
    # the prompts' order is distill.curate.rows.rl_rows's: yes/no prompts in yes-no pairs within a step
    "shuffle_dataset": False,
    "activation_checkpointing": False,
    "lr_scheduler_type": "linear",
    "logging_steps": 1,
    "seed": 0,
    "report_to": "none",
    "dataloader_num_workers": 0,
}

GRPO_STEP = Step(name="grpo", trl_config="GRPOConfig", defaults=GRPO_DEFAULTS, section="grpo",
                 trainer="distill.train.grpo:build_trainer", takes=("judge",))


BASELINES = ("format", "group")


@dataclass
class GRPOOptions:
    """The ``grpo`` objective's options."""

    # the reward(s): reference | verifier | judge | module.path:function, a list of them, or {name: weight}
    reward: str | list[str] | dict[str, float] = "reference"
    # Candidate prompts drawn per prompt trained on, and answers sampled to each candidate (as the
    # rollouts are) and checked, to train on those whose answers differ (distill.curate.screen): DAPO's
    # dynamic sampling before the round instead of during it. 1 and 1 (the default): no screen, the
    # round's prompts as drawn; 2 and 4 gave more groups a spread in reward but a lower gold accuracy in
    # more minutes (docs/results.md, "The prompt screen").
    screen_candidates: float = 1.0
    screen_samples: int = 1
    # What an answer's reward is measured against: "format" (the default): on a closed format (yes/no:
    # a few fixed answers) the mean reward of the generation batch's answers of that format, across
    # prompts, so "yes" to a "no" prompt is below it even when all eight answers agree
    # (format_advantages), and on open formats its prompt's eight answers; "group", TRL's own, its
    # prompt's answers everywhere (a group that agrees teaches nothing, and a constant answer is
    # never pulled back).
    baseline: str = "format"
    # With the format baseline, the weight of a pull toward the gold answers' mix on yes/no prompts
    # (answer_balance): an answer given more often than the step's prompts call for earns up to
    # balance/2 less, a rarer one up to balance/2 more. Below 1 a right answer always outranks a wrong
    # one. 0: off. (The format baseline alone leaves "yes" to everything where it is: a constant
    # answer then has no gradient either way, and the share drifts until it is constant.)
    balance: float = 0.9

    def __post_init__(self) -> None:
        from distill.train.rewards import parse_spec  # no torch: the reward names are checked with the config

        parse_spec(self.reward)
        if self.baseline not in BASELINES:
            raise ValueError(f"baseline: {self.baseline!r} is not one of {', '.join(BASELINES)}")
        if not 0 <= self.balance < 1:
            raise ValueError(f"balance: {self.balance!r} must be in [0, 1) (at 1 a wrong answer can tie a right one)")
        if self.screen_candidates < 1 or self.screen_samples < 1:
            raise ValueError("screen_candidates and screen_samples must be >= 1 (1 and 1: no screening)")


def reward_list(text: str) -> list[str]:
    """``--reward a,b``: the names given, comma-separated."""
    return [r.strip() for r in text.split(",") if r.strip()]


REWARD_FLAG = Flag(option="reward", type=reward_list,
                   help="grpo's reward: reference, verifier, judge or module.path:function; several comma-separated, "
                        "weights in --config")


def settings(config: "TrainConfig") -> dict[str, Any]:
    """The run's GRPOConfig fields: its ``grpo`` section over the project's :data:`GRPO_DEFAULTS`."""
    return {**GRPO_DEFAULTS, **config.section(GRPO_STEP.section)}


def generation_steps(config: "TrainConfig", prompts: int | None = None) -> int:
    """Micro-batches whose rollouts are sampled at once (GRPOConfig's ``steps_per_generation``), fewer
    where the round has fewer ``prompts`` than one generation batch holds (TRL trains only whole
    generation batches), never fewer than ``gradient_accumulation_steps``."""
    g = settings(config)
    steps = g.get("steps_per_generation") or g["gradient_accumulation_steps"]
    if prompts is not None:
        steps = max(min(steps, prompts * g["num_generations"] // g["per_device_train_batch_size"]),
                    g["gradient_accumulation_steps"])
        while steps > 1 and g["per_device_train_batch_size"] * steps % g["num_generations"]:
            steps -= 1  # TRL's generation batch is whole groups
    return steps


def prompts_per_step(config: "TrainConfig", prompts: int | None = None) -> int:
    """Prompts per GRPO generation batch (one process), for a round of ``prompts``: completions per
    micro-batch times micro-batches per generation (:func:`generation_steps`), over the group size."""
    g = settings(config)
    return max(1, g["per_device_train_batch_size"] * generation_steps(config, prompts) // g["num_generations"])


def draw(config: "TrainConfig") -> Draw:
    """The prompt screen's candidates and samples (:class:`~distill.train.objective.Draw`), its answers
    sampled as the rollouts are (temperature, top-p, length), so a prompt whose screened answers differ
    is one whose group of rollouts will."""
    g = settings(config)
    return Draw(config.options.screen_candidates, config.options.screen_samples,
                {"temperature": g["temperature"], "top_p": g.get("top_p", 1.0),
                 "max_new_tokens": g["max_completion_length"]})


def grpo_data(inputs: RoundInputs) -> RoundData:
    """The round's RL rows (:func:`distill.curate.rows.rl_rows`): its prompts, or with the prompt
    screen on, of its candidate prompts those whose sampled answers differ in the check first
    (:func:`distill.curate.screen.choose`), as many as the candidates over ``screen_candidates``;
    then replay data alone at the replay share of them, for the SFT step after the RL step."""
    from distill.curate.rows import replay_sample, rl_rows
    from distill.curate.screen import choose, line, pass_rates
    from distill.data.questions import Question
    from distill.train.rewards import parse_spec, reads_references

    if not inputs.prompts:
        return RoundData(None, note="no prompts")
    prompts = list(inputs.prompts)
    data = RoundData(inputs.config)
    screen = draw(inputs.config)
    if screen.screens:
        count = max(1, round(len(prompts) / screen.candidates))
        prompts, data.metrics["screen"] = choose(prompts, pass_rates(inputs.records), count, inputs.seed)
        data.info.append(line(data.metrics["screen"]))
    rows = rl_rows(prompts, inputs.suffix, prompts_per_step(inputs.config, len(prompts)), inputs.seed)
    data.rows["grpo"] = rows
    if reads_references(parse_spec(inputs.config.options.reward)):  # the prompts trained on no reference can score
        data.metrics["unrewarded"] = sum(not Question.from_json(json.loads(r["question"])).checkable for r in rows)
    picked = replay_sample(inputs.replay, inputs.replay_ratio, len(prompts), inputs.seed)
    if picked:
        data.rows["replay"] = picked
    return data


def check(config: "TrainConfig", prompts: "Sequence[Question] | None", student: str | None = None) -> None:
    """The rewards named exist (a user's function imports) and fit the run: the judge needs the loop's
    teacher, so no launcher; a reward that reads references needs prompts with some (given
    ``prompts``, the run's pool). Raises ``ValueError`` naming what is wrong."""
    from distill.train.rewards import load_user_reward, needs_reference, parse_spec

    names = parse_spec(config.options.reward)
    for name in names:
        if ":" in name and prompts is None:
            load_user_reward(name)  # a missing module or function fails now, before any generation
    if "judge" in names and config.launcher:
        raise ValueError("reward: judge needs the run's teacher, which lives in the loop's process; it cannot be used "
                         "with train.launcher")
    if prompts is not None and needs_reference(names) and not any(q.checkable for q in prompts):
        raise ValueError(f"reward: {', '.join(n for n in names if n in ('reference', 'verifier'))} needs prompts with "
                         "reference answers, and none of the run's prompts has one; use prompts with answers "
                         "(e.g. data/train/) or another reward")


def metrics(log_history: Sequence[dict]) -> dict:
    """What an RL round's training log says (one entry per optimizer step, ``steps``; those that
    sampled a generation batch hold its rollouts' ``reward``): the mean reward over the first and the
    last quarter of its generation batches (``reward_first``, ``reward_last``: a rise within the
    round), the mean reward, its spread within groups
    (``reward_std``), the share of groups whose answers all got the same reward
    (``frac_reward_zero_std``: no learning signal), the share of answers cut off at the length limit
    (``clipped_ratio``), the share of answers left out of the backward pass as teaching nothing
    (``answers_skipped``), seconds per optimizer step (``step_seconds``), the last KL to the round's
    start (``kl``, when the KL term is on) and each reward function's mean (``rewards``)."""
    logged = [e for e in log_history if "train_runtime" not in e]
    steps = [e for e in logged if "reward" in e]  # one per generation batch
    if not steps:
        return {}
    optimizer_steps = [e for e in logged if "step_time" in e]
    first, last = first_last(steps, "reward")
    out = dict(steps=len(optimizer_steps), reward=log_mean(steps, "reward"), reward_first=first, reward_last=last,
               reward_std=log_mean(steps, "reward_std"), frac_reward_zero_std=log_mean(steps, "frac_reward_zero_std"),
               clipped_ratio=log_mean(steps, "completions/clipped_ratio"),
               answers_skipped=log_mean(optimizer_steps, "answers_skipped"),
               step_seconds=log_mean(optimizer_steps, "step_time"), mean_length=log_mean(steps, "completions/mean_length"))
    kls = [e["kl"] for e in steps if e.get("kl") is not None]
    if kls:
        out["kl"] = float(kls[-1])
    names = sorted({k.split("/")[1] for e in steps for k in e if k.startswith("rewards/") and k.endswith("/mean")})
    out["rewards"] = {name: log_mean(steps, f"rewards/{name}/mean") for name in names}
    return out


def summary(train_dir: Path, config: "TrainConfig", prompts: "Sequence[Question]") -> dict:
    """What a GRPO round adds to its summary: the policy's most common answer per format over its
    rollouts ("yes" to every yes/no prompt is a collapse). (How its prompts were chosen, and how many
    no reference-reading reward could score, come with its rows: :func:`grpo_data`.)"""
    from distill.store.jsonl import read_records

    out: dict = {}
    if (train_dir / "rollouts.jsonl").is_file():
        out["answers"] = rollout_answers(read_records(train_dir / "rollouts.jsonl", repair=False))
    return out


def rollout_answers(rollouts: Sequence[dict]) -> dict[str, dict]:
    """The policy's most common answer per format over a GRPO rollout log, one row per answer and reward:
    each answer once, from the first reward's rows (:func:`distill.checks.reference.answer_collapse`)."""
    from distill.checks.reference import answer_collapse

    first = rollouts[0].get("reward") if rollouts else None
    return answer_collapse([r for r in rollouts if r.get("reward") == first])


def rise(train_metrics: dict) -> tuple[str, float, float] | None:
    """The round's reward over the first and the last quarter of its steps (a rise while gold falls is
    divergence); None when unknown."""
    first, last = train_metrics.get("reward_first"), train_metrics.get("reward_last")
    return None if first is None or last is None else ("reward", first, last)


FORMAT_NAMES = {"yesno": "yes/no", "gsm8k": "arithmetic", "short": "short-answer"}


def collapse_warnings(train_metrics: dict, bias_share: float) -> list[str]:
    """An online round's answer formats whose rollouts give one answer at least ``bias_share`` of the
    time (``answers``: :func:`rollout_answers`), as warnings."""
    out = []
    for fmt, a in (train_metrics.get("answers") or {}).items():
        if a.get("n", 0) >= 10 and a["share"] >= bias_share:
            out.append(f"collapse: the policy answers {a['top']!r} to {a['share']:.0%} of {FORMAT_NAMES.get(fmt, fmt)} "
                       f"prompts ({a['n']} rollouts)")
    return out


def answers_text(train_metrics: dict) -> str:
    """The policy's most common answer per format, for a table cell."""
    return "; ".join(f"{fmt}: {a['top']!r} {a['share']:.0%} of {a['n']}"
                     for fmt, a in (train_metrics.get("answers") or {}).items()) or "-"


def report(rounds: Sequence["RoundSummary"]) -> list[str]:
    """The online-RL rounds' table: reward (mean, and first -> last quarter of the round's steps),
    its spread within groups, the share of groups with no learning signal, truncated answers, KL,
    each reward's mean, and prompts no reward could score."""
    rl = [r for r in rounds if r.train_metrics.get("reward") is not None]
    if not rl:
        return []
    lines = ["## Online training", "", "Reinforced by the check (GRPO):", "",
             "| round | steps | s per step | reward | first -> last quarter | spread in groups | groups without signal "
             "| cut off at the limit | answers left out | KL | each reward | unrewarded prompts "
             "| most common answer per format |",
             "|" + "---|" * 13]
    for r in rl:
        m = r.train_metrics
        each = "; ".join(f"{name} {cell(v)}" for name, v in (m.get("rewards") or {}).items()) or "-"
        lines.append("| " + " | ".join([
            str(r.round), str(m.get("steps", "-")), cell(m.get("step_seconds")), cell(m.get("reward")),
            f"{cell(m.get('reward_first'))} -> {cell(m.get('reward_last'))}", cell(m.get("reward_std")),
            cell(m.get("frac_reward_zero_std"), pct=True), cell(m.get("clipped_ratio"), pct=True),
            cell(m.get("answers_skipped"), pct=True), cell(m.get("kl")),
            each, str(m.get("unrewarded", "-")), clip(answers_text(m), 160),
        ]) + " |")
    lines += ["", "A group whose answers all got the same reward teaches nothing; answers cut off at the length "
              "limit rarely reach a checkable result (their tokens are not trained on); such answers add nothing "
              "to the gradient and are left out of the forward and backward pass; one answer given to most prompts "
              "of a format (\"yes\" to every yes/no question) is a collapse onto what the check pays regardless of "
              "the question.", ""]
    return lines


GRPO = Objective(name="grpo", steps=(GRPO_STEP, REPLAY_STEP), rows=grpo_data, about="online RL on the round's prompts",
                 needs=frozenset({"prompts", "judge"}), draw=draw, options=GRPOOptions, flags=(REWARD_FLAG,),
                 check=check, metrics=metrics, summary=summary, rise=rise, warnings=collapse_warnings, report=report)


class StudentRollout:
    """TRL's ``rollout_func``: the round's prompts (already repeated once per generation) answered by
    the policy as it is now, through the student's batched engine, in the run's ``precision``.

    In bf16 the engine samples from a bf16 copy of the policy made once, its adapter merged (the
    student's own ``infer_model``); before each step the copy takes the adapter's current weights
    merged in (:meth:`~distill.model.student.Student.refresh`), so no per-step copy of the model."""

    def __init__(self, precision: str | None = None) -> None:
        self.precision = precision or "fp32"
        self._policy: Any = None
        self._student: Any = None

    def engine(self, trainer: Any, refresh: bool = True) -> Any:
        """The :class:`~distill.model.student.Student` over the trainer's policy, its bf16 copy synced
        (``refresh``: off for callers that only encode, so a step merges the adapter once)."""
        from distill.model.student import Student

        policy = trainer.accelerator.unwrap_model(trainer.model)  # the PeftModel, LoRA active
        if self._policy is not policy:
            self._policy = policy
            self._student = Student("policy", model=policy, tokenizer=trainer.processing_class, precision=self.precision)
        if refresh:
            self._student.refresh()
        return self._student

    def __call__(self, prompts: list, trainer: Any) -> dict:
        encoder = self.engine(trainer, refresh=False)
        ids = [encoder.encode(p) for p in prompts]
        out = self.sample(trainer, ids)
        # the sampling policy's own log-probabilities: the "old" ones of the PPO ratio when rollouts run
        # ahead of the optimizer (SpreadOnlyGRPOTrainer._get_per_token_logps_and_entropies)
        trainer._rollout_logps = out.logprobs
        return {"prompt_ids": ids, "completion_ids": out.ids, "logprobs": out.logprobs}

    def sample(self, trainer: Any, ids: list[list[int]], logprobs: bool = True) -> "GeneratedIds":
        """Answers to prompt token ``ids`` by the policy as it is now, sampled with the trainer's
        ``max_completion_length``, ``temperature`` and ``top_p``: a
        :class:`~distill.model.student.GeneratedIds`, with each token's log-probability if asked."""
        from distill.core import SamplingConfig

        args = trainer.args
        student = self.engine(trainer)
        # A new seed each step (and the same on resume): the groups must differ from step to step.
        sampling = SamplingConfig(max_new_tokens=args.max_completion_length, temperature=args.temperature,
                                  top_p=args.top_p, seed=args.seed + 7919 * trainer.state.global_step)
        policy = student.model
        was_training = policy.training
        policy.eval()
        try:
            return student.generate_ids(ids, sampling, logprobs=logprobs)
        finally:
            policy.train(was_training)


def flat_rows_skippable(trainer: Any) -> bool:
    """Whether an answer whose advantage is zero adds exactly nothing to this trainer's gradient, so
    its forward and backward pass can be skipped: no KL term, no entropy bonus, and a loss normalised
    by the generation batch's token count (not by the micro-batch's rows or tokens)."""
    return (trainer.beta == 0.0 and not trainer._entropy_bonus_enabled
            and trainer.loss_type in ("dapo", "cispo", "vespo") and not trainer.use_vllm)


def format_advantages(rewards_per_func: Any, weights: Any, formats: Sequence[str | None], scale: bool = True,
                      extra: Any = None) -> Any:
    """Each answer's advantage against the answers of its own format in the generation batch, across
    its prompts: its weighted reward minus their mean (over their standard deviation with ``scale``).

    Under TRL's group baseline a yes/no group whose eight answers all say "yes" has no advantage,
    right or wrong, so a policy that says "yes" to everything is never pulled back; yes/no prompts
    come in yes-no pairs within a step (:func:`distill.curate.rows.rl_rows`), so against the format's
    mean the "yes" answers to the "no" prompt fall below it and those to the "yes" prompt rise above
    it: the gradient moves the answer with the question. A format with one prompt in the batch gets
    its group's baseline. ``extra`` is added to each scored answer's reward first (the answer
    balance: :func:`answer_balance`). Answers no reward scored (all None: NaN) get 0."""
    import torch
    from trl.trainer.utils import nanstd

    unscorable = torch.isnan(rewards_per_func).all(dim=1)
    rewards = (rewards_per_func * weights.to(rewards_per_func.device).unsqueeze(0)).nansum(dim=1)
    rewards[unscorable] = torch.nan
    if extra is not None:
        rewards = rewards + extra
    advantages = torch.zeros_like(rewards)
    for fmt in set(formats):
        idx = torch.tensor([i for i, f in enumerate(formats) if f == fmt], device=rewards.device)
        r = rewards[idx]
        a = r - torch.nanmean(r)
        if scale and idx.numel() > 1:
            a = a / (nanstd(r) + 1e-4)
        advantages[idx] = a
    return torch.nan_to_num(advantages, nan=0.0)


# closed formats: a few fixed answers, whose mix the prompts' golds set; measured against their format
BALANCED_FORMATS = ("yesno",)


def answer_balance(formats: Sequence[str | None], keys: Sequence[str | None], golds: Sequence[str | None],
                   weight: float) -> list[float]:
    """Per answer, a reward term that pulls the mix of answers of a yes/no format toward the mix of
    their prompts' gold answers in the same generation batch: ``-weight * (share of its answer -
    share of prompts whose gold is that answer)``, where shares are over the batch's answers of the
    format (``keys``: what each says, None when nothing is read; ``golds``: its prompt's gold key).
    With yes-no pairs the golds are half "yes": an answer said by 15 of 16 answers loses about
    weight/2, the sixteenth gains about as much, so a policy sliding onto one answer is pushed back
    while it still samples the other. Unread answers and other formats get 0."""
    out = [0.0] * len(formats)
    for fmt in set(formats) & set(BALANCED_FORMATS):
        idx = [i for i, f in enumerate(formats) if f == fmt]
        for i in idx:
            if keys[i] is not None:
                said = sum(keys[j] == keys[i] for j in idx) / len(idx)
                due = sum(golds[j] == keys[i] for j in idx) / len(idx)
                out[i] = -weight * (said - due)
    return out


@contextmanager
def attention(model: "PreTrainedModel", implementation: str) -> Iterator[None]:
    """``model``'s attention implementation (transformers reads it at each forward) set to
    ``implementation`` for a block, restored after."""
    config = model.config
    before, config._attn_implementation = config._attn_implementation, implementation
    try:
        yield
    finally:
        config._attn_implementation = before


def build_trainer_class() -> type:
    """TRL's ``GRPOTrainer`` with three changes. With ``baseline`` "format" the advantage of an answer of
    a closed format (yes/no) is measured against its format's answers in the generation batch, its
    reward shaped by the answer balance (:func:`format_advantages`, :func:`answer_balance`; TRL's
    group advantage is replaced there, kept for open formats: across prompts of an open format the
    baseline would mostly rank the prompts by difficulty — measured in docs/results.md).
    And answers that teach nothing are left out of the forward and backward pass. A group whose answers all got one reward has zero advantage for each of them
    (as has an answer masked out, cut off at the length limit), and under :func:`flat_rows_skippable`
    such a row's loss term is exactly zero; TRL still computes it. Leaving it out gives the same
    gradient for less work, counted in the ``answers_skipped`` metric (share of a step's answers).
    And when rollouts run ahead of the optimizer, the PPO ratio's old log-probabilities are the
    sampling engine's own (:class:`StudentRollout`), not a second scoring pass."""
    import torch
    from trl import GRPOTrainer

    class SpreadOnlyGRPOTrainer(GRPOTrainer):
        baseline = "group"  # GRPOOptions.baseline and .balance, set by build_trainer
        balance = 0.0

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            if self.baseline == "format":  # every process's answers, in the order of the gathered rewards
                from accelerate.utils import gather_object

                from distill.checks.reference import answer_key
                from distill.train.rewards import QUESTION_COLUMN, completion_text, read_question

                questions = [read_question(x.get(QUESTION_COLUMN)) for x in inputs]
                formats = [q.format if q is not None else None for q in questions]
                keys = [answer_key(f, completion_text(c)) if f in BALANCED_FORMATS else None
                        for f, c in zip(formats, completions)]
                golds = [("yes" if q.gold else "no") if f == "yesno" else None for f, q in zip(formats, questions)]
                self._formats, keys, golds = gather_object(formats), gather_object(keys), gather_object(golds)
                terms = torch.tensor(answer_balance(self._formats, keys, golds, self.balance), device=rewards.device)
                self._shaped = format_advantages(rewards, self.reward_weights, self._formats, extra=terms,
                                                 scale=self.scale_rewards != "none")
                self._metrics["train"]["balance"].append(terms.abs().mean().item())
            return rewards

        def _generate_and_score_completions(self, inputs):
            out = super()._generate_and_score_completions(inputs)
            if self.baseline == "format" and self.model.training:
                # closed formats against their format; open ones keep TRL's group advantage (across
                # prompts it would mostly rank the prompts' difficulty)
                n = out["advantages"].size(0)
                start = self.accelerator.process_index * n
                closed = torch.tensor([f in BALANCED_FORMATS for f in self._formats[start:start + n]],
                                      device=out["advantages"].device)
                shaped = self._shaped[start:start + n].to(out["advantages"].device)
                out["advantages"] = torch.where(closed, shaped, out["advantages"])
            return out

        _rollout_logps = None  # set by StudentRollout for the generation batch it sampled

        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                               batch_size=None, compute_entropy=False, compute_aux_loss=False,
                                               **images):
            # When rollouts run ahead of the optimizer (steps_per_generation above gradient_accumulation_steps)
            # TRL scores the generation batch once more, without grad, for the PPO ratio's old log-probabilities:
            # the engine that sampled it already has them (its bf16 copy of the same weights), and that pass
            # was a quarter of a step (bench/grpo.py). Used once, for the batch they came with.
            sampled, self._rollout_logps = self._rollout_logps, None
            if (sampled is not None and not torch.is_grad_enabled() and not compute_entropy
                    and len(sampled) == input_ids.size(0)):
                from trl.trainer.utils import pad

                logps = pad([torch.tensor(x, dtype=torch.float32) for x in sampled], padding_value=0.0,
                            padding_side="right")
                out = logps.new_zeros((input_ids.size(0), logits_to_keep))
                width = min(logits_to_keep, logps.size(1))
                out[:, :width] = logps[:, :width]
                return out.to(input_ids.device), None, None
            # Without Triton (a CPU), TRL's fused LM head scores every position, prompt included, through a
            # slow element-wise fallback (bench/grpo.py: most of a step's backward pass); a text model's plain
            # LM head over the completion's positions alone, with TRL's own log-softmax, gives the same values.
            if input_ids.is_cuda or compute_aux_loss or any(v is not None for v in images.values()):
                return super()._get_per_token_logps_and_entropies(
                    model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy, compute_aux_loss,
                    **images)
            from trl.trainer.utils import selective_log_softmax_and_entropy

            batch_size = batch_size or input_ids.size(0)
            unwrapped = self.accelerator.unwrap_model(model)
            logps, entropies = [], []
            for start in range(0, input_ids.size(0), batch_size):
                ids = input_ids[start:start + batch_size]
                # eager attention: at a micro-batch's shapes (8 rows of 60-180 tokens) torch's CPU flash
                # attention backward costs more than the plain product (bench/grpo.py; generation keeps sdpa)
                with self.accelerator.autocast(), attention(unwrapped, "eager"):
                    logits = model(input_ids=ids, attention_mask=attention_mask[start:start + batch_size],
                                   logits_to_keep=logits_to_keep + 1, use_cache=False).logits[:, :-1]
                lp, ent = selective_log_softmax_and_entropy(
                    logits.float(), ids[:, -logits_to_keep:], entropy_requires_grad=self._entropy_bonus_enabled,
                    temperature=self.temperature)
                logps.append(lp)
                entropies.append(ent)
            return torch.cat(logps), torch.cat(entropies) if compute_entropy else None, None

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if not flat_rows_skippable(self):
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            rows = inputs["advantages"].size(0)
            keep = (inputs["advantages"] != 0) & (inputs["completion_mask"].sum(1) > 0)
            self._metrics["train"]["answers_skipped"].append(1.0 - keep.float().mean().item())
            if keep.all():
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            if not keep.any():  # a zero that backward accepts: no forward pass at all
                return sum(p.sum() for p in model.parameters() if p.requires_grad) * 0.0
            inputs = {k: v[keep] if torch.is_tensor(v) and v.dim() > 0 and v.size(0) == rows else v
                      for k, v in inputs.items()}
            width = int(inputs["completion_mask"].sum(0).nonzero().max()) + 1  # drop columns only padding
            for k in ("completion_ids", "completion_mask", "old_per_token_logps", "ref_per_token_logps",
                      "sampling_per_token_logps", "tool_mask"):
                if torch.is_tensor(inputs.get(k)):
                    inputs[k] = inputs[k][:, :width]
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    return SpreadOnlyGRPOTrainer


def build_trainer(
    model: "PreTrainedModel",
    tokenizer: "PreTrainedTokenizerBase",
    rows: "Dataset | Sequence[dict]",
    out_dir: Path,
    config: "TrainConfig",
    callbacks: "list[TrainerCallback] | None" = None,
    quiet: bool = False,
    precision: str | None = None,
    judge: Judge | None = None,
    trl_generation: bool = False,
) -> Any:
    """The ``GRPOTrainer`` of a round: LoRA on ``model`` in place, ``rows`` of prompts (with their
    ``question`` column), the rewards of its ``reward`` option (``judge``, the loop's teacher, when it
    names the teacher's verdicts). ``trl_generation`` samples with TRL's own generation instead of
    the student's (for ``bench/grpo.py``)."""
    from datasets import Dataset

    from distill.train.common import datasets_bars
    from distill.train.common import quiet as quieted
    from distill.train.rewards import JudgeReward, build, parse_spec

    if not rows:
        raise ValueError("train_lora: the grpo objective needs prompts")
    ds = rows if isinstance(rows, Dataset) else Dataset.from_list(list(rows))
    log = Path(out_dir) / "train" / "rollouts.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)  # training starts over after a kill: so does its log
    wanted = judge is not None and "judge" in parse_spec(config.options.reward)
    reward = JudgeReward(judge.teacher, judge.principle, judge.config) if wanted else None
    funcs, weights = build(config.options.reward, reward, log)
    args = config.args(GRPO_STEP, Path(out_dir) / "train", precision, disable_tqdm=quiet, reward_weights=weights,
                       steps_per_generation=generation_steps(config, len(ds)))
    model.train()
    with datasets_bars(enabled=not quiet):
        trainer = build_trainer_class()(
            model=model, reward_funcs=funcs, args=args, train_dataset=ds, processing_class=tokenizer,
            peft_config=config.lora_config(), callbacks=list(callbacks or []),
            rollout_func=None if trl_generation else StudentRollout(precision),
        )
    trainer.baseline, trainer.balance = config.options.baseline, config.options.balance
    if reward is not None:
        reward.policy = trainer.model  # the judge reads with the adapter off: the round's starting weights
    return quieted(trainer) if quiet else trainer
