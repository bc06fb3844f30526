"""How well a critic tells right answers from wrong, where it was not trained: Youden's J with its
interval (its verdicts) and AUROC (its confidence), over all answers and per answer format.

The answers are labelled ones (:mod:`distill.critic.data`: the held-out prompts' answers) or a
round's eval answers (:func:`eval_answers`); the critic is any teacher: the self teacher as the loop
judges today (a critique, then its verdict), or a trained critic read from its logits (``critic:SPEC``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from distill.checks.verdict import approval
from distill.core import Item
from distill.errors import TeacherError
from distill.eval.metrics import judge_quality

if TYPE_CHECKING:
    from distill.core import Principle, SamplingConfig, Teacher


def judge(teacher: "Teacher", answers: Sequence[dict], principle: "Principle",
          config: "SamplingConfig | None" = None) -> list[dict]:
    """The teacher's verdict and confidence on each answer (no reference shown), as plain dicts."""
    items = [Item(a["prompt"], a["answer"]) for a in answers]
    try:
        crits = teacher.critique(items, principle, config)
    except TeacherError as e:
        crits = e.results
    return [{"approved": approval(c.verdict), "confidence": c.confidence, "source": c.verdict_source} for c in crits]


def quality(answers: Sequence[dict], verdicts: Sequence[dict]) -> dict:
    """J (:func:`distill.eval.metrics.judge_quality`) and AUROC over all answers (``all``) and per
    format (``formats``), with the counts; a format whose answers are all right or all wrong is None."""
    def of(idx: list[int]) -> dict | None:
        return judge_quality([verdicts[i]["approved"] for i in idx], [answers[i]["right"] for i in idx],
                             confidences=[verdicts[i]["confidence"] for i in idx])

    formats = sorted({a["format"] for a in answers})
    return {"all": of(list(range(len(answers)))),
            "formats": {f: of([i for i, a in enumerate(answers) if a["format"] == f]) for f in formats}}


def eval_answers(eval_json: str | Path) -> list[dict]:
    """A round's generated eval answers (``round-NN/eval.json``) as labelled answers: right by the
    strict check, the set's name as the format's place."""
    import json

    data = json.loads(Path(eval_json).read_text(encoding="utf-8"))
    out = []
    for name, s in data["eval"]["sets"].items():
        if s["format"] == "mc":
            continue
        for r in s["items"]:
            prompt = f"{r['context']}\n\n{r['question']}" if r.get("context") else r["question"]
            out.append({"prompt": prompt, "format": s["format"], "set": name, "answer": r["answer"],
                        "right": bool(r.get("strict", r["correct"])), "split": "eval"})
    return out


def line(q: dict | None) -> str:
    """One measurement in words: J with its interval and AUROC with its."""
    if q is None:
        return "not measurable (the answers are all right or all wrong)"
    lo, hi = q["j_ci95"]
    out = f"J {q['j']:+.2f} ({lo:+.2f} to {hi:+.2f})"
    if "auroc" in q:
        alo, ahi = q["auroc_ci95"]
        out += f", AUROC {q['auroc']:.2f} ({alo:.2f} to {ahi:.2f})"
    return out + f" over {q['right']} right and {q['wrong']} wrong answers"
