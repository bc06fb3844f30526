"""Rewards for online reinforcement (the ``grpo`` objective): the project's own checks, as TRL reward
functions, named in the run config as ``train.reward``.

* ``reference``: 1 when the completion reaches the prompt's reference answer by the strict check
  (:meth:`distill.data.questions.Question.check` with ``strict``: the evaluation's matching rules,
  and one candidate only — an answer hedging across candidates earns nothing), else 0; no reward
  (None) where a prompt has no checkable reference (counted: ``reward/<name>/unrewarded``).
* ``verifier``: the ``arithmetic`` checker (:func:`distill.checks.working.verify`): 1 when every
  equation in the completion is true and its final number is the reference's, else 0; None where
  the reference has no number.
* ``judge``: the teacher's approval of the completion under the stage's first principle, without a
  reference (the number that can be gamed): its probability of NO FAULT where it reads one from a
  model's logits (a local teacher, a trained critic ``critic:SPEC``), else 1 for NO FAULT, 0 for
  FAULT, None when unreadable.
  A judge that works through the student (the self teacher) judges with the round's starting
  weights: the LoRA adapter being trained is switched off while it reads.
* ``module.path:function``: a user's function with TRL's reward-function signature
  (``f(prompts, completions, **columns) -> list[float | None]``).

Several combine with weights: ``reward: {reference: 1.0, judge: 0.5}`` (TRL's ``reward_weights``); a
weight of 0 computes and logs a reward without training on it. Every scored answer is kept in
``round-NN/train/rollouts.jsonl``.
A reward function that raises, or returns the wrong number of values, stops the run with a
one-line :class:`~distill.errors.SpecError` naming it.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from distill.checks.verdict import verdict_reward
from distill.checks.working import verify
from distill.data.questions import Question
from distill.errors import SpecError
from distill.loading import load_object
from distill.store.jsonl import append_records

if TYPE_CHECKING:
    from distill.core import Principle, SamplingConfig, Teacher

BUILT_IN = ("reference", "verifier", "judge")
RewardSpec = "str | list[str] | dict[str, float]"
QUESTION_COLUMN = "question"  # the dataset column with the prompt's question record (JSON)


def parse_spec(spec: Any) -> dict[str, float]:
    """``train.reward`` as ``{name: weight}``: a name, a list of names (weight 1 each), or a mapping.
    Raises ``ValueError`` naming an unknown reward and listing the known ones."""
    if isinstance(spec, str):
        spec = {spec: 1.0}
    elif isinstance(spec, (list, tuple)):
        spec = {name: 1.0 for name in spec}
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError(f"reward must be a name, a list of names or a mapping of names to weights, got {spec!r}")
    out = {}
    for name, weight in spec.items():
        if not isinstance(name, str) or (name not in BUILT_IN and ":" not in name):
            raise ValueError(f"unknown reward {name!r}: the known ones are {', '.join(BUILT_IN)}, "
                             "or module.path:function for your own")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ValueError(f"reward {name!r}: the weight must be a number, got {weight!r}")
        out[name] = float(weight)
    return out


def needs_reference(names: Mapping[str, float]) -> bool:
    """True when every reward named reads the prompts' references (so a prompt without one gets none)."""
    return all(name in ("reference", "verifier") for name in names)


def reads_references(names: Mapping[str, float]) -> bool:
    """True when some reward named reads the prompts' references (those without one are counted)."""
    return any(name in ("reference", "verifier") for name in names)


def load_user_reward(spec: str) -> Callable:
    """The function a ``module.path:function`` spec names; a one-line :class:`SpecError` if there is none."""
    return load_object(spec, "reward", accept=callable, expected="a function")  # type: ignore[return-value]


def completion_text(completion: Any) -> str:
    """A completion's text: TRL passes message lists for conversational prompts, strings otherwise."""
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    return str(completion)


def read_question(raw: str | None) -> Question | None:
    """A row's ``question`` column (JSON), or None where the row has none."""
    return Question.from_json(json.loads(raw)) if raw else None


def _questions(kwargs: dict, n: int) -> list[Question | None]:
    return [read_question(r) for r in kwargs.get(QUESTION_COLUMN) or [None] * n]


def reference_reward(prompts: list, completions: list, **kwargs: Any) -> list[float | None]:
    """1.0 when the completion reaches the reference by the strict check, 0.0 when not, None
    without a checkable reference."""
    out: list[float | None] = []
    for q, c in zip(_questions(kwargs, len(completions)), completions):
        out.append(None if q is None or not q.checkable else float(q.check(completion_text(c), strict=True)))
    return out


def verifier_reward(prompts: list, completions: list, **kwargs: Any) -> list[float | None]:
    """1.0 when every equation of the completion is true and its final number is the reference's."""
    out: list[float | None] = []
    for q, c in zip(_questions(kwargs, len(completions)), completions):
        v = verify(completion_text(c), q.reference if q is not None else None)
        out.append(None if v.final_right is None else float(v.passed))
    return out


class JudgeReward:
    """The teacher's approval as a reward (see the module docstring). ``policy`` is set to the model
    being trained once the trainer exists: its adapter is switched off while the judge reads, so a
    judge that shares its weights judges as the round's starting model."""

    __name__ = "judge"

    def __init__(self, teacher: "Teacher", principle: "Principle", config: "SamplingConfig") -> None:
        self.teacher, self.principle, self.config = teacher, principle, config
        self.policy: Any = None

    def __call__(self, prompts: list, completions: list, **kwargs: Any) -> list[float | None]:
        from distill.core import Item

        questions = _questions(kwargs, len(completions))
        items = [Item(q.prompt if q is not None else completion_text(p[-1:] if isinstance(p, list) else p),
                      completion_text(c)) for q, p, c in zip(questions, prompts, completions)]
        off = self.policy.disable_adapter() if hasattr(self.policy, "disable_adapter") else nullcontext()
        with off:
            critiques = self.teacher.critique(items, self.principle, self.config)
        return [verdict_reward(c.verdict) if c.confidence is None else 1.0 - c.confidence for c in critiques]


def checked(name: str, fn: Callable, log: Path | None = None) -> Callable:
    """``fn`` as TRL calls it, with its failures turned into one-line errors naming it; with ``log``,
    every answer it scored is appended there (step, reward name, question, its answer format,
    answer, value): the rollouts, kept beside the numbers they made."""

    def reward(prompts: list, completions: list, **kwargs: Any) -> list[float | None]:
        try:
            values = fn(prompts=prompts, completions=completions, **kwargs)
        except Exception as e:  # noqa: BLE001 - a user's function may raise anything; name it and stop
            raise SpecError(f"reward {name!r} raised {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None
        values = list(values) if values is not None else []
        if len(values) != len(completions):
            raise SpecError(f"reward {name!r} returned {len(values)} values for {len(completions)} completions")
        bad = [v for v in values if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))]
        if bad:
            raise SpecError(f"reward {name!r} returned {bad[0]!r}; a reward is a number or None")
        values = [None if v is None else float(v) for v in values]
        if log is not None:
            state = kwargs.get("trainer_state")
            step = getattr(state, "global_step", None)
            formats = [q.format if q is not None else None for q in _questions(kwargs, len(completions))]
            append_records(log, [{"step": step, "reward": name,
                                  "prompt": completion_text(p[-1:] if isinstance(p, list) else p),
                                  "format": f, "completion": completion_text(c), "value": v}
                                 for p, f, c, v in zip(prompts, formats, completions, values)])
        return values

    reward.__name__ = name.replace(".", "_").replace(":", "_")
    return reward


def build(spec: Any, judge: JudgeReward | None = None, log: Path | None = None) -> tuple[list[Callable], list[float]]:
    """TRL's ``reward_funcs`` and ``reward_weights`` for ``train.reward``; ``judge`` is the judge
    reward when the spec names it (the loop builds it around the run's teacher); ``log`` keeps the
    scored rollouts (see :func:`checked`). A weight of 0 computes and logs a reward without training
    on it (the truth beside a judge's approval, say)."""
    funcs, weights = [], []
    for name, weight in parse_spec(spec).items():
        if name == "reference":
            fn = reference_reward
        elif name == "verifier":
            fn = verifier_reward
        elif name == "judge":
            if judge is None:
                raise SpecError("reward 'judge' needs a teacher to judge (the run's teacher)")
            fn = judge
        else:
            fn = load_user_reward(name)
        funcs.append(checked(name, fn, log))
        weights.append(weight)
    return funcs, weights
