"""The ``answers`` objective: supervised fine-tuning on the teacher's own answers to the round's
prompts (sequence-level distillation), mixed with replay data.

The student's answers are collected (and checked) as for any objective that trains on prompts, but
only to measure the round: each prompt, asked as the evaluation asks it, is answered by the run's
teacher (greedy; any teacher, an API included: this is what a teacher's text alone can teach), and
the student is fine-tuned on prompt + the teacher's answer. ``answers_checked`` (the default) keeps
only the answers that pass the prompt's reference check, as the loop keeps checked revisions;
``false`` keeps every non-empty answer. Every answer is written to the round's
``train/teacher_answers.json`` before training, and a round resumed after a kill reads them back
rather than asking the teacher again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from distill.store.atomic import write_json
from distill.store.folder import read_json
from distill.train.objective import Column, Objective, RoundData, RoundInputs
from distill.train.sft import SFT_STEP

ANSWERS_FILE = "teacher_answers.json"  # in the round's training folder

if TYPE_CHECKING:
    from distill.data.questions import Question
    from distill.train.config import TrainConfig


@dataclass
class AnswersOptions:
    """The ``answers`` objective's options."""

    answers_checked: bool = True  # keep only the teacher's answers that pass the prompt's reference check
    answers_max_tokens: int = 128  # the teacher's answer length

    def __post_init__(self) -> None:
        if self.answers_max_tokens < 1:
            raise ValueError(f"answers_max_tokens must be >= 1, got {self.answers_max_tokens}")


def answers_data(inputs: RoundInputs) -> RoundData:
    """The teacher's greedy answers to the round's prompts as SFT rows (only those that pass the
    reference check, when ``answers_checked``), mixed with replay data; what the teacher answered and
    what was kept (``metrics["teacher_answers"]``)."""
    from distill.curate.rows import mix

    options = inputs.config.options
    if not inputs.prompts:
        return RoundData(None, note="no prompts")
    if inputs.teacher is None:
        raise ValueError("the answers objective needs the run's teacher")
    asked = [inputs.asked(q) for q in inputs.prompts]
    texts, tokens = teacher_answers(inputs, asked)
    checked = [q.checkable for q in inputs.prompts]
    right = [bool(c and q.check(t, strict=True)) for q, c, t in zip(inputs.prompts, checked, texts)]
    keep = [bool(t) and (r or not options.answers_checked) for t, r in zip(texts, right)]
    rows = [{"prompt": [{"role": "user", "content": a}], "completion": [{"role": "assistant", "content": t}]}
            for a, t, k in zip(asked, texts, keep) if k]
    counts = {"asked": len(asked), "checked": sum(checked), "right": sum(right), "kept": len(rows),
              "teacher_tokens": tokens,
              "examples": [{"question": q.prompt, "answer": t, "right": r}
                           for q, t, r in list(zip(inputs.prompts, texts, right))[:5]]}
    if not rows:
        return RoundData(None, note="the teacher's answers: none kept", metrics={"teacher_answers": counts})
    mixed = rows if inputs.replay is None else mix(rows, inputs.replay, inputs.replay_ratio, seed=inputs.seed)
    data = RoundData(inputs.config, {"sft": mixed}, metrics={"teacher_answers": counts})
    data.info.append(f"the teacher answered {len(asked)} prompts, right on {sum(right)} of {sum(checked)} checked; "
                     f"{len(rows)} kept to train on")
    return data


def teacher_answers(inputs: RoundInputs, asked: list[str]) -> tuple[list[str], int]:
    """The teacher's greedy answers to ``asked`` and the tokens they cost: read back from the round's
    training folder when a killed round asked them already, else asked and written there."""
    from distill.core import SamplingConfig

    saved = None if inputs.workdir is None else inputs.workdir / ANSWERS_FILE
    before = read_json(saved, {}) if saved is not None else {}
    if before.get("prompts") == asked:
        return before["answers"], before["teacher_tokens"]
    start = inputs.teacher.usage.total_tokens
    out = inputs.teacher.run([[{"role": "user", "content": a}] for a in asked],
                             SamplingConfig(max_new_tokens=inputs.config.options.answers_max_tokens, temperature=0.0))
    texts, tokens = [c.text.strip() for c in out], inputs.teacher.usage.total_tokens - start
    if saved is not None:
        saved.parent.mkdir(parents=True, exist_ok=True)
        write_json(saved, {"prompts": asked, "answers": texts, "teacher_tokens": tokens})
    return texts, tokens


def check(config: "TrainConfig", prompts: "Sequence[Question] | None", student: str | None = None) -> None:
    """Checked answers need prompts with references."""
    if config.options.answers_checked and prompts is not None and not any(q.checkable for q in prompts):
        raise ValueError("answers_checked keeps the teacher's answers that pass the prompts' reference check, and none "
                         "of the run's prompts has a reference: use prompts with answers (e.g. data/train/) or "
                         "answers_checked: false")


def answers_cell(counts: dict | None) -> str:
    """A round's teacher answers in one table cell: kept / right / asked."""
    if not counts:
        return "-"
    return f"{counts['kept']} / {counts['right']} / {counts['asked']}"


ANSWERS = Objective(name="answers", steps=(SFT_STEP,), rows=answers_data,
                    about="the teacher's own answers to the round's prompts (sequence-level distillation)",
                    needs=frozenset({"prompts"}), options=AnswersOptions, check=check,
                    columns=(Column(header="teacher answers kept / right / asked", key="teacher_answers",
                                    cell=lambda m: answers_cell(m.get("teacher_answers"))),))
