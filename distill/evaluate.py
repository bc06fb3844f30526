"""Gold-answer evaluation: load eval sets, score a student on them, and turn one round's results
into the metric dict the monitor and the report read.

Eval files are question records (:mod:`distill.questions`) with an answer each, all of one
format: ``short`` (alias match), ``gsm8k`` (the final number), ``yesno`` (the first yes or no)
and ``mc`` (the log-likelihood of each choice after the chat-templated question). The matching
rules are in :mod:`distill.scoring`; training prompts with references are checked by the same.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from distill import scoring
from distill.interface import SamplingConfig
from distill.paths import DATA_DIR
from distill.questions import Question, QuestionDataError, load_questions

if TYPE_CHECKING:  # the student pulls in torch; loading and scoring do not need it
    from distill.student import Student

EVAL_DIR = DATA_DIR / "eval"

ApproveFn = Callable[[list[str], list[str]], list["bool | None"]]


class EvalDataError(QuestionDataError):
    """An eval file that cannot be read; the message names the file, the line and the field."""


@dataclass
class EvalSet:
    """A named list of eval items of one format."""

    name: str
    format: str
    items: list[Question]
    path: str | None = None


@dataclass
class EvalConfig:
    """How the student is asked and scored."""

    max_new_tokens: int = 48  # gold answers are short; GSM8K-style reasoning is cut here too
    batch_size: int | None = None  # None: the student's batch from free memory
    limit: int | None = None  # first N items of each set
    mc_length_normalize: bool = False  # mean instead of summed log-prob per choice (favours long choices less)
    # Appended to the question for generated answers; the eval question itself stays unchanged.
    prompt_suffix: dict[str, str] = field(
        default_factory=lambda: {
            "short": "",
            "gsm8k": " Give the final answer as a number.",
            "yesno": " Answer yes or no.",
        }
    )


def load_eval_set(path: str | os.PathLike, format: str | None = None, name: str | None = None) -> EvalSet:
    """Read an eval file (see :mod:`distill.questions` for the record shapes). Every record needs
    an answer, and every record has the format of the first unless ``format`` forces one.

    Raises :class:`EvalDataError` naming the file, the line and the field on bad input.
    """
    path = Path(path)
    try:
        items = load_questions(path, format=format, need_answer=True, one_format=True, what="eval file")
    except QuestionDataError as e:
        raise EvalDataError(str(e)) from None
    return EvalSet(name or path.stem, items[0].format, items, str(path))


def default_eval_paths() -> list[Path]:
    """The eval sets shipped with the project (``data/eval/*.jsonl``)."""
    return sorted(EVAL_DIR.glob("*.jsonl"))


def eval_questions(paths: Iterable[str | os.PathLike] | None = None) -> set[str]:
    """Normalised questions (and contexts, if any) of the given (default: shipped) eval sets.

    The loop checks training prompts against this set, so that no eval question is
    trained on: ``scoring.normalize_answer(prompt) in eval_questions()`` means leakage.
    """
    out: set[str] = set()
    for p in paths if paths is not None else default_eval_paths():
        for item in load_eval_set(p).items:
            out.add(scoring.normalize_answer(item.question))
            if item.context:
                out.add(scoring.normalize_answer(item.context))
    return out


# ----------------------------------------------------------------------------- statistics


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion (95% with the default z); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def distinct_n(texts: Sequence[str], n: int = 2) -> float:
    """Distinct-n: unique word n-grams over all n-grams in the texts (0 when there are none)."""
    grams = []
    for text in texts:
        words = text.lower().split()
        grams.extend(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


# ----------------------------------------------------------------------------- scoring


def choice_logprobs(student: "Student", question: str, choices: Sequence[str], normalize: bool = False) -> list[float]:
    """Log-likelihood of each choice as the assistant's answer to ``question`` (chat template applied)."""
    return student.continuation_logprobs(question, choices, normalize=normalize)


def evaluate(
    student: "Student",
    eval_sets: Sequence[EvalSet],
    config: EvalConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Score ``student`` on each set; ``progress(items_done, new_tokens)`` is called as items finish.
    Returns a JSON-able dict::

        {"sets": {name: {"name", "format", "path", "n", "correct", "accuracy", "ci95": [lo, hi],
                         "items": [{"question", "answer", "gold", "prediction", "correct", ...}]}},
         "overall": {"n", "correct", "accuracy", "ci95"}, "config": {...}}
    """
    cfg = config or EvalConfig()
    names = [es.name for es in eval_sets]
    if len(set(names)) != len(names):
        raise ValueError(f"eval set names must be unique (results are keyed by name), got {names}")
    sampling = SamplingConfig(max_new_tokens=cfg.max_new_tokens, temperature=0.0, batch_size=cfg.batch_size)
    chosen = [(es, es.items[: cfg.limit] if cfg.limit else es.items) for es in eval_sets]
    # One generate call for every generated set: the student sorts prompts by length across
    # all of them, so batches are fuller and padding smaller than set by set.
    prompts = [it.prompt + cfg.prompt_suffix.get(es.format, "") for es, items in chosen if es.format != "mc" for it in items]
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
                                    correct=bool(ok), tokens=comp.completion_tokens,
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


# ----------------------------------------------------------------------------- per-round metrics


def round_metrics(
    round_index: int,
    eval_result: dict,
    *,
    approve: ApproveFn | None = None,
    heldout_loss: float | Callable[[], float] | None = None,
) -> dict:
    """One round's metrics as a flat JSON-able dict (round 0 is the untouched student).

    ``eval_result`` is the output of :func:`evaluate`. ``approve`` is the judge: it gets the
    questions (after their context, if any) and the student's generated held-out answers
    (multiple-choice sets have none) and returns True/False/None per answer; None (verdict
    unparseable, or not judged when the caller judges a subset) is left out of the rate and
    counted in ``approval_skipped``.
    ``heldout_loss`` is a number or a callable returning the loss on held-out original data.
    Keys: round, gold_accuracy, gold_ci95, gold_n, gold_correct, sets{name: accuracy, ci95, n,
    correct, format}, approval_rate, approval_n, approval_skipped, heldout_loss, distinct_2,
    mean_answer_tokens.
    """
    generated = [r for s in eval_result["sets"].values() if s["format"] != "mc" for r in s["items"]]
    answers = [r["answer"] for r in generated]
    approval_rate = None
    approval_n = approval_skipped = 0
    if approve is not None and generated:
        asked = [f"{r['context']}\n\n{r['question']}" if r.get("context") else r["question"] for r in generated]
        verdicts = list(approve(asked, answers))
        if len(verdicts) != len(generated):
            raise ValueError(f"approve returned {len(verdicts)} verdicts for {len(generated)} answers")
        parsed = [v for v in verdicts if v is not None]
        approval_n, approval_skipped = len(parsed), len(verdicts) - len(parsed)
        approval_rate = sum(bool(v) for v in parsed) / len(parsed) if parsed else None
    loss = heldout_loss() if callable(heldout_loss) else heldout_loss
    overall = eval_result["overall"]
    return dict(
        round=round_index,
        gold_accuracy=overall["accuracy"],
        gold_ci95=list(overall["ci95"]),
        gold_n=overall["n"],
        gold_correct=overall["correct"],
        sets={
            name: dict(accuracy=s["accuracy"], ci95=list(s["ci95"]), n=s["n"], correct=s["correct"], format=s["format"])
            for name, s in eval_result["sets"].items()
        },
        approval_rate=approval_rate,
        approval_n=approval_n,
        approval_skipped=approval_skipped,
        heldout_loss=None if loss is None else float(loss),
        distinct_2=distinct_n(answers, 2),
        mean_answer_tokens=sum(r.get("tokens", 0) for r in generated) / len(generated) if generated else 0.0,
    )
