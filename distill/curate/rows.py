"""The shapes of training rows, each built in this one place; an objective
(:mod:`distill.train.objective`) picks which of them its steps train on, and ``distill export``
writes them:

* kept samples as conversational prompt/completion (:func:`sft_rows`), mixed with replay data
  (original instruction data) at the run's replay share (:func:`mix`);
* preference pairs (revision over answer), plus rows to imitate only — replay data and verified
  answers — entered with ``chosen == rejected`` (:func:`preference_mix`);
* the round's prompts for online RL, asked as the evaluation asks them (its ``prompt_suffix`` for
  the answer's format), each with its question record beside it for the rewards (:func:`rl_rows`).
"""

from __future__ import annotations

import json
import random
from typing import Any, Iterable, Sequence

from datasets import Dataset

from distill.curate.pairs import PAIR_FIELDS
from distill.data.instructions import COMPLETION, PROMPT, as_dataset
from distill.data.questions import Question, as_asked
from distill.store.records import Sample

ORIGIN = "origin"


def sft_rows(samples: Iterable[Sample]) -> list[dict]:
    """Kept samples as conversational prompt/completion rows: the prompt, and the target trained on."""
    return [{PROMPT: [{"role": "user", "content": s.prompt}], COMPLETION: [{"role": "assistant", "content": s.target}]}
            for s in samples if s.kept]


def prompt_key(prompt: Sequence[dict]) -> str:
    """Identity of a prompt for de-duplication: roles and contents, whitespace- and case-insensitive."""
    return json.dumps([[m["role"], " ".join(m["content"].split()).casefold()] for m in prompt])


def replay_count(ratio: float, rows: int, available: int) -> int:
    """How many replay examples go with ``rows`` training rows: ``ratio`` per row, at most all there are."""
    return min(available, round(ratio * rows))


def replay_sample(replay: Dataset | Iterable[dict] | None, ratio: float, rows: int, seed: int) -> list[dict]:
    """The replay step's rows after an objective that trains on prompts (online RL, distillation): replay data
    alone, :func:`replay_count` examples for ``rows`` prompts, drawn with ``seed`` (none without replay data)."""
    pool = [] if replay is None else list(replay)
    return random.Random(seed).sample(pool, replay_count(ratio, rows, len(pool)))


def mix(pairs: Dataset | Iterable[dict], replay: Dataset | Iterable[dict], ratio: float, seed: int = 0) -> Dataset:
    """Corrected pairs plus replay examples, shuffled; the training set of one round.

    ``ratio`` is the number of replay examples per corrected pair (after de-duplication):
    ``round(ratio * len(pairs))`` replay examples are drawn without replacement, capped at the
    number available. ``ratio=1`` gives a half-and-half mix, ``ratio=0`` no replay.
    Duplicates by prompt (see :func:`prompt_key`) are removed: the first of several pairs is
    kept, and a corrected pair always wins over a replay example with the same prompt.
    The same inputs and seed always give the same dataset. The result has an ``origin``
    column (``"pair"`` or ``"replay"``) besides ``prompt`` and ``completion``.
    """
    if ratio < 0:
        raise ValueError(f"mix ratio must be >= 0 (replay examples per corrected pair), got {ratio}")
    pair_ds, replay_ds = as_dataset(pairs, "<pairs>"), as_dataset(replay, "<replay>")
    seen: set[str] = set()

    def unseen(ds: Dataset, origin: str) -> list[dict]:
        # Order matters: pairs are read first, so a corrected pair wins over replay.
        out = []
        for row in ds:
            key = prompt_key(row[PROMPT])
            if key not in seen:
                seen.add(key)
                out.append({PROMPT: row[PROMPT], COMPLETION: row[COMPLETION], ORIGIN: origin})
        return out

    kept = unseen(pair_ds, "pair")
    candidates = unseen(replay_ds, "replay")
    rng = random.Random(seed)
    rows = kept + rng.sample(candidates, replay_count(ratio, len(kept), len(candidates)))
    rng.shuffle(rows)
    if not rows:
        raise ValueError("mix: no examples (no corrected pairs and no replay requested)")
    return Dataset.from_list(rows)


def preference_mix(pairs: list[dict], imitate: list[dict], replay: Any = None, ratio: float = 0.0,
                   seed: int = 0) -> list[dict]:
    """Pairs plus rows to learn by imitation only, as one preference dataset (prompt, chosen, rejected):
    ``imitate`` (prompt/completion rows: verified answers) and ``ratio`` replay examples per row
    drawn from ``replay``.

    An imitation row enters with ``rejected == chosen``: its preference term is then exactly zero
    (the policy's log-ratio of a response to itself), so it contributes only the imitation term of TRL's
    combined loss (``loss_type: [sigmoid, sft]``). That is how a preference round keeps training on
    original data, the forgetting guard."""
    rng = random.Random(seed)
    replay_rows = [] if replay is None else list(replay)
    imitate = list(imitate) + rng.sample(replay_rows, replay_count(ratio, len(pairs) + len(imitate), len(replay_rows)))
    rows = [{k: p[k] for k in PAIR_FIELDS} for p in pairs]
    rows += [{"prompt": r[PROMPT], "chosen": r[COMPLETION], "rejected": r[COMPLETION]} for r in imitate]
    rng.shuffle(rows)
    return rows


def rl_rows(prompts: Sequence[Question], suffix: dict[str, str] | None = None, per_step: int = 1,
            seed: int = 0) -> list[dict]:
    """The round's prompts for online RL, in training order: conversational prompts (with the
    evaluation's ``suffix`` for each answer format) and each prompt's question record as JSON in
    ``question``, which the rewards read (TRL passes dataset columns to reward functions).

    Yes/no prompts go in yes-no pairs that never straddle a step of ``per_step`` prompts (the
    trainer keeps this order: ``shuffle_dataset`` is off), so within every step a constant answer
    earns exactly half of the yes/no reward; a yes or no prompt left without a partner is left out.
    The pairs and the other prompts are shuffled with ``seed``."""
    suffix = suffix or {}
    yes = [q for q in prompts if q.format == "yesno" and q.gold]
    no = [q for q in prompts if q.format == "yesno" and not q.gold]
    rng = random.Random(seed)
    units = [[q] for q in prompts if q.format != "yesno"] + [list(pair) for pair in zip(yes, no)]
    rng.shuffle(units)
    ordered: list[Question] = []
    while units:  # fill each step; a pair that would straddle the step waits for the next one
        room = per_step - len(ordered) % per_step
        i = next((i for i, u in enumerate(units) if len(u) <= room), 0)
        ordered += units.pop(i)
    return [{PROMPT: [{"role": "user", "content": as_asked(q.prompt, q.format, suffix)}],
             "question": json.dumps(q.to_json(), ensure_ascii=False)} for q in ordered]
