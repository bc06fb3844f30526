"""Filters that keep or drop a corrected pair, each recording its reason on the record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from distill.dedupe import NearDuplicateIndex, tokenize


@dataclass
class FilterConfig:
    """Thresholds for the pair filters."""

    near_duplicate_threshold: float = 0.7  # ROUGE-L against the pool, as in Self-Instruct
    max_length_ratio: float = 3.0  # revision longer than this many times the answer (in words) ...
    min_words_for_length_check: int = 40  # ... and longer than this many words is "far longer than needed"
    repetition_ngram: int = 4
    max_repeated_ngram_share: float = 0.3  # share of n-grams that are repeats: degenerate above this


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


class PairFilter:
    """Decides, for each pair in order, whether it is kept; remembers kept prompts for near-duplicates."""

    def __init__(self, config: FilterConfig | None = None, pool: list[str] = ()) -> None:
        self.config = config or FilterConfig()
        self.index = NearDuplicateIndex(self.config.near_duplicate_threshold)
        for text in pool:
            self.index.add(text)

    def reason(self, record: dict) -> str | None:
        """Why this record is dropped, or None to keep it. Does not change the pool."""
        cfg = self.config
        verdict = record.get("verdict")
        if verdict == "unparseable":
            return "verdict unparseable"
        if verdict != "fault":
            return "no fault found"
        revision = record.get("revision") or ""
        if not revision.strip():
            return "revision empty"
        if _norm(revision) == _norm(record.get("answer") or ""):
            return "revision unchanged"
        if _META.search(revision.split(".")[0]):
            return "revision comments instead of answering"
        if record.get("revision_finish") == "length":
            return "revision cut off at the token limit"
        if repeated_ngram_share(revision, cfg.repetition_ngram) > cfg.max_repeated_ngram_share:
            return "degenerate repetition"
        words, answer_words = len(revision.split()), len((record.get("answer") or "").split())
        if words > cfg.min_words_for_length_check and words > cfg.max_length_ratio * max(answer_words, 1):
            return "far longer than needed"
        if tokenize(record["prompt"]):
            dup, match, score = self.index.is_duplicate(record["prompt"])
            if dup:
                return f"near-duplicate prompt (ROUGE-L {score:.2f} with {match!r})"
        return None

    def apply(self, record: dict) -> dict:
        """Set ``kept`` and ``drop_reason`` on the record; a kept prompt joins the pool."""
        why = self.reason(record)
        record["kept"] = why is None
        record["drop_reason"] = why
        if why is None:
            self.index.add(record["prompt"])
        return record
