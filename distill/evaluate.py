"""Gold-answer evaluation: load JSONL eval sets in the common shapes, score a student on them,
and turn one round's results into the metric dict the monitor and the report read.

Formats (detected from the fields of the first record, or forced):

``short``   ``{"question": ..., "answer": "Paris"}`` or ``"answers"/"aliases": [...]``
            (also SQuAD's ``"answers": {"text": [...]}``); scored by alias match.
``gsm8k``   ``{"question": ..., "answer": "... #### 42"}``; scored by the final number.
``mc``      ``{"question": ..., "choices": [...], "answer": 1}`` (also ``label``/``answer_index``,
            and ARC's ``{"choices": {"text": [...], "label": [...]}, "answerKey": "B"}``);
            scored by the log-likelihood of each choice after the chat-templated question.
``yesno``   ``{"question": ..., "answer": true}``; scored by the first yes/no in the answer.

A ``passage`` or ``context`` field (BoolQ, SQuAD) is put before the question when asking.

See :mod:`distill.scoring` for the exact matching rules.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from distill import scoring
from distill.jsonl import read_jsonl, where
from distill.paths import DATA_DIR

if TYPE_CHECKING:  # the student pulls in torch; keep loading/scoring importable without it
    from distill.student import Student

FORMATS = ("short", "gsm8k", "mc", "yesno")
QUESTION_KEYS = ("question", "prompt", "query", "input")
ANSWER_KEYS = ("answer", "answers", "aliases", "label", "answer_index", "answerKey", "target")
CHOICE_KEYS = ("choices", "options")
CONTEXT_KEYS = ("passage", "context")
EVAL_DIR = DATA_DIR / "eval"

ApproveFn = Callable[[list[str], list[str]], list["bool | None"]]


class EvalDataError(ValueError):
    """An eval file that cannot be read; the message names the file, the line and the field."""


@dataclass
class EvalItem:
    """One question with its gold answer, in a format-independent shape."""

    question: str
    gold: Any  # short: list[str] aliases; gsm8k: float; mc: int index; yesno: bool
    line: int
    choices: list[str] | None = None
    context: str | None = None  # a passage the question is about (BoolQ, SQuAD), shown before it

    @property
    def prompt(self) -> str:
        """What the model is asked: the context (if any), a blank line, then the question."""
        return f"{self.context}\n\n{self.question}" if self.context else self.question

    @property
    def gold_text(self) -> str:
        """The gold answer as a person would write it (for tables and reports)."""
        if isinstance(self.gold, bool):
            return "yes" if self.gold else "no"
        if self.choices is not None:
            return self.choices[self.gold]
        if isinstance(self.gold, float):
            return str(int(self.gold)) if self.gold == int(self.gold) else str(self.gold)
        return " | ".join(self.gold)


@dataclass
class EvalSet:
    """A named list of eval items of one format."""

    name: str
    format: str
    items: list[EvalItem]
    path: str | None = None


@dataclass
class EvalConfig:
    """How the student is asked and scored."""

    max_new_tokens: int = 48  # gold answers are short; GSM8K-style reasoning is cut here too
    batch_size: int | None = None  # None: the student's batch from free memory (1.7x faster than 16 here)
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


# ----------------------------------------------------------------------------- loading


def _first_key(record: dict, keys: Sequence[str]) -> str | None:
    return next((k for k in keys if k in record), None)


def detect_format(record: dict) -> str:
    """The format a record is in, judged from its fields; raises ValueError naming what is missing."""
    if _first_key(record, CHOICE_KEYS):
        return "mc"
    key = _first_key(record, ANSWER_KEYS)
    if key is None:
        raise ValueError(f"no answer field (one of {', '.join(ANSWER_KEYS)})")
    value = record[key]
    if isinstance(value, bool):
        return "yesno"
    if isinstance(value, str) and "####" in value:
        return "gsm8k"
    return "short"


def _question(record: dict) -> str:
    key = _first_key(record, QUESTION_KEYS)
    if key is None:
        raise _FieldError("question", f"missing (one of {', '.join(QUESTION_KEYS)})")
    if not isinstance(record[key], str) or not record[key].strip():
        raise _FieldError(key, "must be a non-empty string")
    return record[key].strip()


class _FieldError(Exception):
    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field_name
        self.problem = problem


def _parse_item(record: dict, fmt: str, line: int) -> EvalItem:
    item = _parse_gold(record, fmt, line)
    ckey = _first_key(record, CONTEXT_KEYS)
    if ckey is not None:
        if not isinstance(record[ckey], str):
            raise _FieldError(ckey, "must be a string")
        item.context = record[ckey].strip() or None
    return item


def _parse_gold(record: dict, fmt: str, line: int) -> EvalItem:
    question = _question(record)
    if fmt == "mc":
        ckey = _first_key(record, CHOICE_KEYS)
        if ckey is None:
            raise _FieldError("choices", "missing (multiple choice needs a list of choices)")
        choices = record[ckey]
        labels: list[str] | None = None
        if isinstance(choices, dict):  # ARC: {"text": [...], "label": ["A", "B", ...]}
            labels, choices = choices.get("label"), choices.get("text")
        if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
            raise _FieldError(ckey, "must be a list of at least two strings")
        akey = _first_key(record, ("answer", "label", "answer_index", "answerKey", "target"))
        if akey is None:
            raise _FieldError("answer", "missing (index of the right choice)")
        ans = record[akey]
        if isinstance(ans, str) and not ans.strip().lstrip("-").isdigit():
            letters = labels or [chr(ord("A") + i) for i in range(len(choices))]
            if ans.strip() not in letters:
                raise _FieldError(akey, f"{ans!r} is not one of the choice labels {letters}")
            ans = letters.index(ans.strip())
        elif isinstance(ans, str):
            ans = int(ans)
        if isinstance(ans, bool) or not isinstance(ans, int):
            raise _FieldError(akey, "must be the integer index of the right choice")
        if not 0 <= ans < len(choices):
            raise _FieldError(akey, f"index {ans} is out of range for {len(choices)} choices")
        return EvalItem(question, ans, line, choices=list(choices))
    key = _first_key(record, ANSWER_KEYS)
    if key is None:
        raise _FieldError("answer", f"missing (one of {', '.join(ANSWER_KEYS)})")
    value = record[key]
    if fmt == "yesno":
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
            value = value.strip().lower() in ("yes", "true")
        if not isinstance(value, bool):
            raise _FieldError(key, "must be true or false (or \"yes\"/\"no\")")
        return EvalItem(question, value, line)
    if fmt == "gsm8k":
        if not isinstance(value, str) or "####" not in value:
            raise _FieldError(key, "must be a string ending in '#### <number>'")
        number = scoring.parse_number(value.split("####")[-1])
        if number is None:
            raise _FieldError(key, f"no number after '####' in {value.split('####')[-1].strip()!r}")
        return EvalItem(question, number, line)
    # short answer: a string, a number, a list of aliases, or SQuAD's {"text": [...]}
    if isinstance(value, dict) and "text" in value:
        value = value["text"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    aliases = [value] if isinstance(value, str) else value
    if not isinstance(aliases, list) or not aliases or not all(isinstance(a, (str, int, float)) for a in aliases):
        raise _FieldError(key, "must be a string or a non-empty list of strings")
    aliases = [str(a) for a in aliases]
    if not any(scoring.normalize_answer(a) for a in aliases):
        raise _FieldError(key, "is empty after normalisation (only punctuation or articles)")
    return EvalItem(question, aliases, line)


def load_eval_set(path: str | os.PathLike, format: str | None = None, name: str | None = None) -> EvalSet:
    """Read a JSONL eval file; the format is detected from the first record unless given.

    Raises :class:`EvalDataError` naming the file, the line and the field on bad input.
    """
    # Read line by line rather than with `datasets`: errors must name the line, and
    # datasets would unify the schema across records (turning bools or index ints into
    # other types) before we could check them.
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise EvalDataError(f"{path}: unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise EvalDataError(f"{path}: no such eval file")
    items: list[EvalItem] = []
    fmt = format
    for line_no, record in read_jsonl(path, EvalDataError):
        at = where(path, line_no)
        if fmt is None:
            try:
                fmt = detect_format(record)
            except ValueError as exc:
                raise EvalDataError(f"{at}: field 'answer': {exc}; cannot detect the format") from None
        try:
            items.append(_parse_item(record, fmt, line_no))
        except _FieldError as exc:
            raise EvalDataError(f"{at}: field {exc.field!r} ({fmt} format): {exc.problem}") from None
    if not items:
        raise EvalDataError(f"{path}: no records")
    return EvalSet(name or path.stem, fmt or "short", items, str(path))


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


def score_generated(item: EvalItem, fmt: str, answer: str) -> tuple[bool, Any]:
    """(correct, parsed prediction) for a generated answer to ``item``."""
    if fmt == "gsm8k":
        pred = scoring.final_number(answer)
        return scoring.same_number(pred, item.gold), pred
    if fmt == "yesno":
        pred = scoring.first_yes_no(answer)
        return pred is not None and pred == item.gold, pred
    if fmt == "short":
        return scoring.alias_match(answer, item.gold), None
    raise ValueError(f"format {fmt!r} is not scored from generated text")


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
    from distill.student import SamplingConfig

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
                ok, pred = score_generated(it, es.format, comp.text)
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
