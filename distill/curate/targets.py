"""What a kept target may carry: checked is not clean. A reference check decides on the final answer
only, and everything else in a target passes with it; these checks look at the rest.

* **Leaked text** (:class:`LeakCheck`): words of the instructions the teacher was given — its
  critique and revision templates, the reference's framing, the principles' own requests (a user's
  principles file included), data-file markup (GSM8K's ``####``) or a judge's verdict line. Found by the templates' own
  words, not a list of phrases: any run of ``min_words`` consecutive words of an instruction that
  the prompt and the reference do not themselves contain, and any template label (``Task:``).
  Sentences of the critique copied into the target that do not carry the answer are leaked too.
* **Working** (:func:`distill.checks.working.false_working`): for arithmetic references, every
  equation in the target is computed and must be true, and the final number must be the result of
  the working (the ``arithmetic`` verifier's parser).
* **Side claims** (:func:`answer_span`): for short references (an alias, yes or no), and arithmetic
  targets without an equation, the target may be cut to the sentence that carries the checked
  answer, and within it to the shortest clause that still passes, so the unverifiable claims around
  it ("Norway is part of Europe, but it is also a state within the European Union") are not trained on.

A target with leaked text is cleaned when the leak can be cut away and what is left still passes
the reference check; otherwise it is dropped. :class:`TargetReview` applies all of them and says
what it did, for the record and the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from distill.checks.working import equations, false_working

MARKUP = ("####",)  # data-file notation that is not an answer (GSM8K's final-answer marker)
# the judge's protocol: a "VERDICT:" line in a target is a critique's ending, however misspelled after it
_VERDICT_LINE = re.compile(r"(?<!\w)verdict\s*:", re.I)
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_LABEL = re.compile(r"^\s*([A-Z][A-Za-z ()]{1,60}?):\s*(?:\{[a-z_]+\})?\s*$", re.M)
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|####")
# a sentence ends at . ! ? (not after an initial: "H.G. Wells") or at a line break
_SENTENCE = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)\s+|\n+")


def words(text: str) -> list[str]:
    """Lower-cased words (and ``####``), the unit leaks are found in."""
    return _WORD.findall((text or "").lower())


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (and lines), in order, without empty ones."""
    return [s.strip() for s in _SENTENCE.split(text or "") if s.strip()]


@dataclass
class Leak:
    """Where leaked text starts in a target (a character offset: the mark itself for markup or a
    label, the start of its sentence for instruction text) and what it is."""

    start: int
    what: str


def _sentence_start(text: str, at: int, boundaries: Iterable[int] = ()) -> int:
    """Where the sentence holding offset ``at`` begins (markup and labels begin one too)."""
    starts = [m.end() for m in _SENTENCE.finditer(text[:at])] + [b for b in boundaries if b <= at]
    return max(starts, default=0)


class LeakCheck:
    """Finds instruction text and markup in a target (see the module docstring).

    ``instructions`` are the texts the teacher wraps around a request (templates with ``{...}``
    placeholders are cut at them); ``min_words`` is the shortest run of an instruction's words that
    counts as leaked: one-word principles ("Fix.") and common short phrases never do."""

    def __init__(self, instructions: Iterable[str], min_words: int = 4) -> None:
        self.min_words = max(2, min_words)
        self.grams: set[tuple[str, ...]] = set()
        self.labels: set[str] = set()
        for text in instructions:
            self.labels.update(m.group(1).strip() for m in _LABEL.finditer(text))
            for fragment in _PLACEHOLDER.split(text):
                w = words(fragment)
                self.grams.update(tuple(w[i:i + self.min_words]) for i in range(len(w) - self.min_words + 1))

    def find(self, text: str, allowed: str = "") -> Leak | None:
        """The first leak in ``text``; instruction words that ``allowed`` (the prompt, the reference)
        contains too are not leaks."""
        found: list[Leak] = []
        for mark in MARKUP:
            allowed = allowed.replace(mark, " ")  # a reference's markup is the file's notation, not its content
        for mark in MARKUP:
            if mark in text:
                found.append(Leak(text.index(mark), f"markup {mark!r}"))
        m = _VERDICT_LINE.search(text)
        if m and not _VERDICT_LINE.search(allowed):
            found.append(Leak(m.start(), f"a verdict line {m.group(0)!r}"))
        for label in self.labels:
            m = re.search(rf"(?<![\w]){re.escape(label)}:", text)
            if m and f"{label}:" not in allowed:
                found.append(Leak(m.start(), f"the template's label {label + ':'!r}"))
        ok = set()
        a = words(allowed)
        ok.update(tuple(a[i:i + self.min_words]) for i in range(len(a) - self.min_words + 1))
        spans = [(m.start(), m.group(0)) for m in _WORD.finditer(text.lower())]
        tokens = [t for _, t in spans]
        for i in range(len(tokens) - self.min_words + 1):
            gram = tuple(tokens[i:i + self.min_words])
            if gram in self.grams and gram not in ok:
                found.append(Leak(_sentence_start(text, spans[i][0], [leak.start for leak in found]),
                                  f"instruction text {' '.join(gram)!r}"))
                break
        return min(found, key=lambda leak: leak.start) if found else None


def critique_echo(target: str, critique: str, carries_answer: Callable[[str], bool], min_words: int = 4,
                  quoted: str = "") -> str | None:
    """The first sentence of ``target`` copied from ``critique`` that does not carry the answer
    (critique talk such as "The answer is incorrect."), or None. A sentence the critique only
    quoted from ``quoted`` (the request, the answer under review) is not critique talk."""
    said, seen = f" {' '.join(words(critique))} ", f" {' '.join(words(quoted))} "
    for s in sentences(target):
        w = f" {' '.join(words(s))} "
        if len(w.split()) >= min_words - 1 and w in said and w not in seen and not carries_answer(s):
            return s
    return None


def _without(text: str, leak: Leak) -> str:
    """``text`` without the leaked segment: the markup or label to the end of its line, or the
    sentence that holds the instruction text."""
    end = text.find("\n", leak.start)
    if not leak.what.startswith("instruction"):
        return (text[:leak.start] + (text[end:] if end >= 0 else "")).strip()
    rest = text[leak.start:]
    m = _SENTENCE.search(rest)
    return (text[:leak.start] + (rest[m.end():] if m else "")).strip()


# where a clause ends inside a sentence: a comma, semicolon or dash followed by a space ("1,000" is
# not one), or a colon before more text
_CLAUSE = re.compile(r"[,;]\s+|\s+[-\u2013\u2014]\s+|:\s+(?=\S)")


def answer_span(target: str, check: Callable[[str], bool]) -> tuple[str, str]:
    """``target`` cut to what carries the checked answer: the first sentence that passes ``check``,
    shortened to its first clause(s) that still pass. Returns (what to keep, what was cut: sentences
    before, the rest of the clause and sentences after, joined by " ... "); the whole target and ""
    when no sentence passes alone."""
    parts = sentences(target)
    for i, s in enumerate(parts):
        if not check(s):
            continue
        kept, rest = s, ""
        for m in _CLAUSE.finditer(s):
            head = s[:m.start()].rstrip()
            if head and check(head):
                kept, rest = (head if head[-1] in ".!?" else head + "."), s[m.end():]
                break
        cut = [" ".join(parts[:i]), rest, " ".join(parts[i + 1:])]
        return kept, " ... ".join(c for c in cut if c)
    return target, ""


@dataclass
class Review:
    """What :meth:`TargetReview.review` made of a target: the text to train on (None: dropped), why
    it was dropped, and what was changed (check name -> what was cut)."""

    target: str | None
    dropped: str | None = None
    cleaned: dict[str, str] = field(default_factory=dict)


class TargetReview:
    """The checks of this module on one target (see the module docstring). ``trim`` cuts targets of
    short references, and unworked arithmetic ones, to the sentence and clause that carry the answer."""

    def __init__(self, leaks: LeakCheck, trim: bool = True) -> None:
        self.leaks, self.trim = leaks, trim

    def review(self, target: str, *, prompt: str, reference: str | None, critique: str = "", answer: str = "",
               check: Callable[[str], bool] | None = None, arithmetic: bool = False, short: bool = False) -> Review:
        """Review ``target``; ``check`` is the prompt's reference check (None: no reference),
        ``answer`` the student's answer a revision corrects, ``arithmetic`` says the reference is a
        worked number, ``short`` an alias or a yes/no."""
        cleaned: dict[str, str] = {}
        passes = check or (lambda text: bool(text.strip()))
        allowed = f"{prompt}\n{reference or ''}"
        leak = self.leaks.find(target, allowed)
        if leak is not None:
            # A leak at the end (the usual case) is cut off with what follows it; else only the leaked
            # segments go. Either way what is left must still pass the check.
            cut = target[:leak.start].rstrip(" \t\n:;,-")
            if not (cut.strip() and passes(cut)):
                cut = target
                while (found := self.leaks.find(cut, allowed)) is not None:
                    cut = _without(cut, found)
            if not (cut.strip() and passes(cut)):
                return Review(None, f"leaked {leak.what}")
            cleaned["leak"] = f"cut {leak.what}: {target[leak.start:]!r}"
            target = cut
        echo = critique_echo(target, critique, passes if check is not None else lambda s: False, self.leaks.min_words,
                             quoted=f"{prompt}\n{answer}")
        if echo is not None:
            rest = " ".join(s for s in sentences(target) if s != echo)
            if not rest.strip() or (check is not None and not passes(rest)):
                return Review(None, f"repeats the critique: {echo!r}")
            cleaned["critique"] = f"cut {echo!r}"
            target = rest
        if arithmetic:
            wrong = false_working(target, reference, prompt)
            if wrong:
                return Review(None, f"working: {wrong}")
        # an arithmetic target with no equation has no working to check: the prose around its answer
        # is as unchecked as a short answer's ("each piece is 2 times the original rope. The answer is 6.")
        if self.trim and check is not None and (short or (arithmetic and not equations(target))):
            kept, cut = answer_span(target, check)
            if cut:
                cleaned["trim"] = f"cut around the answer: {cut!r}"
                target = kept
        return Review(target, None, cleaned)
