"""Near-duplicate detection by ROUGE-L, as in Self-Instruct (threshold 0.7), kept fast as the pool grows.

Scoring a candidate against every text in a pool with ROUGE-L costs one LCS per pool item. We
first bound ROUGE-L from above by unigram overlap (an LCS can be no longer than the multiset
intersection of the two token lists), computed for the whole pool through an inverted index, and
run the exact LCS (from ``rouge_score``) only on pool items whose bound reaches the threshold.
The result is identical to scoring every pair.
"""

from __future__ import annotations

from collections import Counter, defaultdict

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
    """A growing pool of texts that answers "what is the closest text to this one?"."""

    def __init__(self, threshold: float = 0.7) -> None:
        self.threshold = threshold
        self.texts: list[str] = []
        self._tokens: list[list[str]] = []
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)  # word -> [(item, count)]

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str) -> None:
        toks = tokenize(text)
        i = len(self.texts)
        self.texts.append(text)
        self._tokens.append(toks)
        for word, n in Counter(toks).items():
            self._postings[word].append((i, n))

    def closest(self, text: str) -> tuple[str | None, float]:
        """The pool text with the highest ROUGE-L against ``text`` among those that could reach
        the threshold, and its score; ``(None, 0.0)`` when none can."""
        toks = tokenize(text)
        if not toks:
            return None, 0.0
        overlap: dict[int, int] = defaultdict(int)
        for word, n in Counter(toks).items():
            for item, m in self._postings.get(word, ()):
                overlap[item] += min(n, m)
        best, best_score = None, 0.0
        for item, common in overlap.items():
            other = self._tokens[item]
            bound = 2 * common / (len(toks) + len(other))  # F1 with LCS replaced by its upper bound
            if bound < self.threshold or bound <= best_score:
                continue
            score = _score_lcs(other, toks).fmeasure
            if score > best_score:
                best, best_score = self.texts[item], score
        return best, best_score

    def is_duplicate(self, text: str) -> tuple[bool, str | None, float]:
        match, score = self.closest(text)
        return score >= self.threshold, match, score
