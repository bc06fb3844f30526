"""Gold-answer evaluation: score a student on eval sets (:mod:`distill.data.evalsets`), generating
answers for the generated formats and reading the likelihood of each choice for multiple choice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable, Literal, Sequence

from distill.core import SamplingConfig
from distill.data.evalsets import EvalSet
from distill.data.questions import as_asked
from distill.eval.harness import LmEvalConfig
from distill.eval.metrics import wilson_interval

if TYPE_CHECKING:  # the student pulls in torch; loading and scoring do not need it
    from distill.core import Generator


@dataclass
class EvalConfig:
    """How the student is asked and scored."""

    max_new_tokens: int = 48  # gold answers are short; GSM8K-style reasoning is cut here too
    batch_size: int | None = None  # None: the student's batch from free memory
    # first N items of each set; "auto": enough to find a change of detect_change at 80% power, paired
    limit: int | Literal["auto"] | None = None
    detect_change: float = 0.10
    # lm-evaluation-harness tasks scored every round too (distill.eval.harness); None: none
    lm_eval: LmEvalConfig | None = None
    mc_length_normalize: bool = False  # mean instead of summed log-prob per choice (favours long choices less)
    # Appended to the question for generated answers; the eval question itself stays unchanged.
    prompt_suffix: dict[str, str] = field(
        default_factory=lambda: {
            "short": "",
            "gsm8k": " Give the final answer as a number.",
            "yesno": " Answer yes or no.",
        }
    )


    def __post_init__(self) -> None:
        if self.limit == "auto" and not 0 < self.detect_change < 1:
            raise ValueError(f"eval.detect_change must be in (0, 1), got {self.detect_change}")
        if isinstance(self.limit, int) and self.limit < 1:
            raise ValueError(f"eval.limit must be at least 1, got {self.limit}")

    @property
    def items_per_set(self) -> int | None:
        """The items scored per set (None: all): ``limit``, or for ``auto`` the items a paired test
        needs to find a change of ``detect_change`` at 80% power (:func:`distill.eval.stats.items_needed`)."""
        if self.limit == "auto":
            from distill.eval.stats import items_needed

            return items_needed(self.detect_change)
        return self.limit


def choice_logprobs(student: "Generator", question: str, choices: Sequence[str], normalize: bool = False) -> list[float]:
    """Log-likelihood of each choice as the assistant's answer to ``question`` (chat template applied)."""
    return student.continuation_logprobs(question, choices, normalize=normalize)


def evaluate(
    student: "Generator",
    eval_sets: Sequence[EvalSet],
    config: EvalConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Score ``student`` on each set; ``progress(items_done, new_tokens)`` is called as items finish.
    Returns a JSON-able dict::

        {"sets": {name: {"name", "format", "path", "n", "correct", "accuracy", "ci95": [lo, hi],
                         "items": [{"question", "answer", "gold", "prediction", "correct", "strict", ...}]}},

    ``correct`` is the lenient matching rule (:mod:`distill.checks.reference`), ``strict`` the strict one
    that training uses (generated sets only).
         "overall": {"n", "correct", "accuracy", "ci95"}, "config": {...}}
    """
    cfg = config or EvalConfig()
    names = [es.name for es in eval_sets]
    if len(set(names)) != len(names):
        raise ValueError(f"eval set names must be unique (results are keyed by name), got {names}")
    sampling = SamplingConfig(max_new_tokens=cfg.max_new_tokens, temperature=0.0, batch_size=cfg.batch_size)
    limit = cfg.items_per_set
    chosen = [(es, es.items[:limit] if limit else es.items) for es in eval_sets]
    # One generate call for every generated set: the student sorts prompts by length across
    # all of them, so batches are fuller and padding smaller than set by set.
    prompts = [as_asked(it.prompt, es.format, cfg.prompt_suffix) for es, items in chosen if es.format != "mc" for it in items]
    completions = iter(student.generate(prompts, sampling, progress=progress) if prompts else [])
    sets_out: dict[str, dict] = {}
    for es, items in chosen:
        records: list[dict] = []
        if es.format == "mc":
            for it in items:
                scores = choice_logprobs(student, it.prompt, it.choices or [], cfg.mc_length_normalize)
                pick = max(range(len(scores)), key=scores.__getitem__)
                records.append(dict(question=it.question, answer=it.choices[pick], gold=it.gold_text,
                                    prediction=pick, correct=pick == it.gold, scores=scores, line=it.line))
                if it.context:
                    records[-1]["context"] = it.context
                if progress is not None:
                    progress(1, 0)
        else:
            for it in items:
                comp = next(completions)
                ok, pred = it.score(comp.text)
                records.append(dict(question=it.question, answer=comp.text, gold=it.gold_text, prediction=pred,
                                    correct=bool(ok), strict=it.check(comp.text, strict=True),
                                    tokens=comp.completion_tokens,
                                    finish_reason=comp.finish_reason, line=it.line))
                if it.context:
                    records[-1]["context"] = it.context
        correct = sum(r["correct"] for r in records)
        lo, hi = wilson_interval(correct, len(records))
        sets_out[es.name] = dict(name=es.name, format=es.format, path=es.path, n=len(records), correct=correct,
                                 accuracy=correct / len(records) if records else 0.0, ci95=[lo, hi], items=records)
    n = sum(s["n"] for s in sets_out.values())
    correct = sum(s["correct"] for s in sets_out.values())
    lo, hi = wilson_interval(correct, n)
    return dict(sets=sets_out, overall=dict(n=n, correct=correct, accuracy=correct / n if n else 0.0, ci95=[lo, hi]),
                config=asdict(cfg))
