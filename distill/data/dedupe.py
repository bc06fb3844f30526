"""Near-duplicate detection by ROUGE-L, as in Self-Instruct (threshold 0.7), kept fast as the pool grows.

Scoring a candidate against every text in a pool with ROUGE-L costs one LCS per pool item. We
first bound ROUGE-L from above by unigram overlap (an LCS can be no longer than the multiset
intersection of the two token lists), computed for the whole pool through an inverted index, and
run the exact LCS (from ``rouge_score``) only on pool items whose bound reaches the threshold.
The result is identical to scoring every pair.
"""

from __future__ import annotations

from array import array
from collections import Counter

import numpy as np
from rouge_score import rouge_scorer, tokenizers
from rouge_score.rouge_scorer import _score_lcs

_tokenizer = tokenizers.DefaultTokenizer(use_stemmer=False)


def tokenize(text: str) -> list[str]:
    """ROUGE's own tokenisation (lowercase, alphanumeric words)."""
    return _tokenizer.tokenize(text)


def rouge_l(a: str, b: str) -> float:
    """ROUGE-L F-measure between two texts, exactly as ``rouge_score`` computes it."""
    return rouge_scorer.RougeScorer(["rougeL"]).score(a, b)["rougeL"].fmeasure


class NearDuplicateIndex:
    """A growing pool of texts that answers "what is the closest text to this one?".

    Postings are kept as typed arrays (``array('i')``, appended in O(1)) and read as numpy views,
    so the unigram-overlap bound for the whole pool costs a few vectorised adds per query word
    instead of a Python loop over every posting of common words like "the" (which is where the
    time went on a pool of thousands of instructions; see bench/dedupe.py)."""

    def __init__(self, threshold: float = 0.7) -> None:
        self.threshold = threshold
        self.texts: list[str] = []
        self._tokens: list[list[str]] = []
        self._lengths = array("i")
        # word -> (items containing it, how often each contains it)
        self._postings: dict[str, tuple[array, array]] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str) -> None:
        """Put ``text`` in the pool."""
        toks = tokenize(text)
        i = len(self.texts)
        self.texts.append(text)
        self._tokens.append(toks)
        self._lengths.append(len(toks))
        for word, n in Counter(toks).items():
            items, counts = self._postings.setdefault(word, (array("i"), array("i")))
            items.append(i)
            counts.append(n)

    def closest(self, text: str) -> tuple[str | None, float]:
        """The pool text with the highest ROUGE-L against ``text`` among those that could reach
        the threshold, and its score; ``(None, 0.0)`` when none can."""
        toks = tokenize(text)
        if not toks or not self.texts:
            return None, 0.0
        overlap = np.zeros(len(self.texts), dtype=np.int64)
        for word, n in Counter(toks).items():
            post = self._postings.get(word)
            if post is None:
                continue
            items = np.frombuffer(post[0], dtype=np.int32)
            counts = np.frombuffer(post[1], dtype=np.int32)
            overlap[items] += np.minimum(counts, n)  # an item appears once per word: no repeated indices
        lengths = np.frombuffer(self._lengths, dtype=np.int32)
        # F1 with the LCS replaced by its upper bound (the multiset intersection)
        bound = 2 * overlap / (len(toks) + lengths)
        cand = np.nonzero(bound >= self.threshold)[0]
        best, best_score = None, 0.0
        # Highest bound first (ties by pool order): once a bound cannot beat the best score, none can.
        for item in cand[np.lexsort((cand, -bound[cand]))].tolist():
            if bound[item] <= best_score:
                break
            score = _score_lcs(self._tokens[item], toks).fmeasure
            if score > best_score:
                best, best_score = self.texts[item], score
        return best, best_score

    def is_duplicate(self, text: str) -> tuple[bool, str | None, float]:
        """Whether ``text`` reaches the threshold against the pool, with the closest text and its score."""
        match, score = self.closest(text)
        return score >= self.threshold, match, score
