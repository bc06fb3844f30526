"""Verifier data from the check: answers to prompts with references, each labelled by the strict check.

The student (and any other model named) answers every prompt of the pool at each of several
temperatures, asked as the evaluation asks (its answer-format suffix), so both right and wrong
answers of many kinds appear; answers recorded in earlier runs' folders join them. Each answer is
right or wrong by the strict check (:meth:`distill.data.questions.Question.check`: a hedge is
wrong). Whole prompts are held out for measurement (a stable hash of the prompt), a prompt that
near-duplicates an eval question never enters, and the training side is balanced by label within
each answer format.

One answer is one plain dict (a line of ``answers.jsonl``)::

    {"prompt", "format", "answer", "right", "split", "source", "temperature", "finish"}

``prompt`` is the question as a judge reads it (context and question, no answer-format suffix).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from distill.core import SamplingConfig
from distill.data.dedupe import NearDuplicateIndex
from distill.data.questions import Question, as_asked

if TYPE_CHECKING:
    from distill.core import Generator

SPLITS = ("train", "heldout")


def pool(questions: Iterable[Question], eval_questions: Iterable[str], threshold: float = 0.7) -> tuple[list[Question], int]:
    """The checkable questions, minus any that near-duplicates an eval question (as the loop's
    prompt pool), first occurrence of each prompt only; with the count dropped as near-duplicates."""
    index = NearDuplicateIndex(threshold)
    for q in eval_questions:
        index.add(q)
    out, seen, dropped = [], set(), 0
    for q in questions:
        if not q.checkable or q.prompt in seen:
            continue
        seen.add(q.prompt)
        if index.is_duplicate(q.prompt)[0]:
            dropped += 1
        else:
            out.append(q)
    return out, dropped


def split_of(prompt: str, heldout_share: float, seed: int) -> str:
    """``heldout`` for about ``heldout_share`` of prompts, by a stable hash: a prompt keeps its side
    whatever else is in the pool, so every answer to it is on one side."""
    h = int(hashlib.sha256(f"{seed}\0{prompt}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "heldout" if h < heldout_share else "train"


def sample_answers(generator: "Generator", questions: Sequence[Question], temperature: float, *, suffix: dict[str, str],
                   max_new_tokens: int, seed: int, heldout_share: float, split_seed: int, source: str,
                   progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """One answer per question at ``temperature`` (0: greedy), each labelled by the strict check."""
    config = SamplingConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    chats = [as_asked(q.prompt, q.format, suffix) for q in questions]
    completions = generator.generate(chats, config, progress=progress)
    return [labelled(q, c.text, source=source, temperature=temperature, finish=c.finish_reason,
                     split=split_of(q.prompt, heldout_share, split_seed))
            for q, c in zip(questions, completions)]


def labelled(q: Question, answer: str, *, source: str, temperature: float | None, finish: str | None, split: str) -> dict:
    """One answer to ``q`` as a line of ``answers.jsonl``, right or wrong by the strict check."""
    return {"prompt": q.prompt, "format": q.format, "answer": answer, "right": q.check(answer, strict=True),
            "split": split, "source": source, "temperature": temperature, "finish": finish}


def answers_from_runs(run_dirs: Sequence[str | Path], questions: Sequence[Question], suffix: dict[str, str],
                      heldout_share: float, split_seed: int) -> list[dict]:
    """Answers recorded in earlier runs' folders (each round's answers and sampled candidates in
    ``samples.jsonl``, and the rollouts of online training in ``train/rollouts.jsonl``) to prompts
    of the pool, labelled afresh by the strict check against the pool's reference."""
    from distill.store.jsonl import read_records

    # a record names its prompt as asked: with the answer-format suffix (rollouts) or without (samples)
    asked = {**{q.prompt: q for q in questions}, **{as_asked(q.prompt, q.format, suffix): q for q in questions}}
    out: list[dict] = []
    for run in map(Path, run_dirs):
        found = [(path.parent, r.get("prompt"), [r.get("answer"), *(r.get("candidates") or [])], r.get("answer_finish"))
                 for path in sorted(run.glob("round-*/samples.jsonl")) for r in read_records(path, repair=False)]
        found += [(path.parent.parent, r.get("prompt"), [r.get("completion")], None)
                  for path in sorted(run.glob("round-*/train/rollouts.jsonl")) for r in read_records(path, repair=False)
                  if r.get("value") is not None or r.get("completion")]
        for where, prompt, texts, finish in found:
            q = asked.get(prompt or "")
            for text in texts if q is not None else []:
                if text:
                    out.append(labelled(q, text, source=str(where), temperature=None, finish=finish,
                                        split=split_of(q.prompt, heldout_share, split_seed)))
    return out


def unique(answers: Iterable[dict]) -> list[dict]:
    """Each (prompt, answer) once (greedy and low-temperature answers often repeat), first kept."""
    seen, out = set(), []
    for a in answers:
        key = (a["prompt"], " ".join(a["answer"].split()).lower())
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def balance(answers: Sequence[dict], seed: int, per_format: int | None = None) -> list[dict]:
    """As many right answers as wrong ones within each format (the larger side sampled down), at
    most ``per_format`` answers a format; in a seeded random order."""
    rng = random.Random(seed)
    out: list[dict] = []
    for fmt in sorted({a["format"] for a in answers}):
        right = [a for a in answers if a["format"] == fmt and a["right"]]
        wrong = [a for a in answers if a["format"] == fmt and not a["right"]]
        k = min(len(right), len(wrong), *([per_format // 2] if per_format else []))
        out += rng.sample(right, k) + rng.sample(wrong, k)
    rng.shuffle(out)
    return out


def counts(answers: Iterable[dict]) -> dict:
    """``{split: {format: {"right": n, "wrong": n}}}``."""
    c = Counter((a["split"], a["format"], "right" if a["right"] else "wrong") for a in answers)
    out: dict = {}
    for (split, fmt, label), n in sorted(c.items()):
        out.setdefault(split, {}).setdefault(fmt, {"right": 0, "wrong": 0})[label] = n
    return out
