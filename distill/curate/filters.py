"""Filters that keep or drop a sample for training, each recording its reason on the record.

A sample is trained on when the teacher found a fault and wrote a usable revision that, where a
reference check exists, passes it; or, with ``keep_verified``, when the check verified the
student's own answer (STaR / ReST-EM keep correct answers of the model itself). Then its target
is reviewed beyond the check (:mod:`distill.curate.targets`: leaked instructions and markup,
false working, side claims around a short or unworked answer): cleaned, or dropped with its own reason.
"""

from __future__ import annotations

from functools import partial

import re
from dataclasses import dataclass
from typing import Iterable

from distill.curate.targets import LeakCheck, TargetReview
from distill.data.dedupe import NearDuplicateIndex, tokenize
from distill.data.questions import Question
from distill.store.records import Sample


@dataclass
class FilterConfig:
    """Thresholds for the pair filters."""

    near_duplicate_threshold: float = 0.7  # ROUGE-L against the pool, as in Self-Instruct
    max_length_ratio: float = 3.0  # revision longer than this many times the answer (in words) ...
    min_words_for_length_check: int = 40  # ... and longer than this many words is "far longer than needed"
    repetition_ngram: int = 4
    max_repeated_ngram_share: float = 0.3  # share of n-grams that are repeats: degenerate above this
    keep_verified: bool = True  # train on the student's own answers that a reference check verified
    # Targets are reviewed beyond the reference check (distill.curate.targets): leaked instruction text
    # and markup (runs of this many words of an instruction), false working in arithmetic, and, with
    # trim_to_answer, what surrounds the checked answer's sentence and clause in short-answer and
    # unworked arithmetic targets.
    review_targets: bool = True
    leak_min_words: int = 4
    trim_to_answer: bool = True

    def __post_init__(self) -> None:
        if self.leak_min_words < 2:
            raise ValueError(f"leak_min_words must be >= 2 (one word of an instruction is no leak), got {self.leak_min_words}")


def repeated_ngram_share(text: str, n: int) -> float:
    """Share of word n-grams that repeat an earlier n-gram: near 0 for prose, high for loops."""
    words = text.lower().split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if len(grams) < 2:
        return 0.0
    return 1 - len(set(grams)) / len(grams)


# A revision that talks about the request, the answer or the critique instead of answering
# (small teachers often do) would teach the student to comment rather than reply.
_META = re.compile(
    r"\b(critique|request)\b"
    r"|^\W*(the\s+)?(revised|corrected|original|rewritten)\s+(answer|response|version)\b"
    r"|^\W*(the|this|your|my)\s+(answer|response)\s+(provided|above|given|does|doesn't|did|contains|is (not )?(correct|contradictory|accurate))",
    re.I,
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


class SampleFilter:
    """Decides, for each sample in order, whether it is kept and what its target is; remembers kept prompts for near-duplicates."""

    def __init__(self, config: FilterConfig | None = None, pool: list[str] = (),
                 instructions: Iterable[str] | LeakCheck = ()) -> None:
        """``instructions``: what the teacher was given (no target may carry it), or the loop's
        :class:`LeakCheck` built from it."""
        self.config = config or FilterConfig()
        self.index = NearDuplicateIndex(self.config.near_duplicate_threshold)
        for text in pool:
            self.index.add(text)
        leaks = instructions if isinstance(instructions, LeakCheck) else LeakCheck(instructions, self.config.leak_min_words)
        self.review = TargetReview(leaks, self.config.trim_to_answer) if self.config.review_targets else None

    def reason(self, sample: Sample) -> str | None:
        """Why this sample is dropped, or None to keep it. Does not change the pool."""
        cfg = self.config
        if sample.verdict == "unparseable":
            return "verdict unparseable"
        if sample.verdict != "fault":
            if not (sample.answer_passed and cfg.keep_verified):
                return "no fault found"
            if sample.answer_finish == "length":
                return "answer cut off at the token limit"
            return self._duplicate(sample)
        revision = sample.revision or ""
        if not revision.strip():
            return "revision empty"
        if _norm(revision) == _norm(sample.answer or ""):
            return "revision unchanged"
        if _META.search(revision.split(".")[0]):
            return "revision comments instead of answering"
        if sample.revision_finish == "length":
            return "revision cut off at the token limit"
        if repeated_ngram_share(revision, cfg.repetition_ngram) > cfg.max_repeated_ngram_share:
            return "degenerate repetition"
        words, answer_words = len(revision.split()), len((sample.answer or "").split())
        if words > cfg.min_words_for_length_check and words > cfg.max_length_ratio * max(answer_words, 1):
            return "far longer than needed"
        if sample.revision_passed is False:
            return "revision still disagrees with the reference"
        return self._duplicate(sample)

    def _duplicate(self, sample: Sample) -> str | None:
        # A pair whose target passed a reference check answers its own question: templated
        # questions ("Is F the chemical symbol for fluorine?") look alike but are not duplicates.
        checked = sample.revision_passed if sample.verdict == "fault" else sample.answer_passed
        if tokenize(sample.prompt) and not checked:
            dup, match, score = self.index.is_duplicate(sample.prompt)
            if dup:
                return f"near-duplicate prompt (ROUGE-L {score:.2f} with {match!r})"
        return None

    def apply(self, sample: Sample, question: Question | None = None) -> Sample:
        """Set ``kept``, ``drop_reason``, ``target`` (and ``cleaned``) on the sample; a kept prompt joins
        the pool. ``question`` is the prompt's record: its reference's format and check let the
        target be reviewed against it when the sample was checked."""
        why = self.reason(sample)
        target = (sample.revision if sample.verdict == "fault" else sample.answer) if why is None else None
        if target is not None and self.review is not None:
            checked = question is not None and question.checkable and sample.answer_passed is not None
            done = self.review.review(
                target, prompt=sample.prompt, reference=sample.reference,
                critique=sample.critique if sample.verdict == "fault" else "", answer=sample.answer or "",
                check=partial(question.check, strict=True) if checked else None,
                arithmetic=checked and question.format == "gsm8k", short=checked and question.format in ("short", "yesno"))
            target, why, sample.cleaned = done.target, done.dropped, done.cleaned
        sample.kept = why is None
        sample.drop_reason = why
        sample.target = target if why is None else None
        if why is None:
            self.index.add(sample.prompt)
        return sample
