"""One round's metrics: the flat dict the monitor decides on, the report tabulates and the trackers
plot, with the statistics it needs (Wilson intervals, distinct-n)."""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from distill.checks.reference import answer_key, most_common

# A judge's verdicts on answers: per answer its approval (True, False; None: not judged or unreadable),
# or its critique (anything with ``verdict`` and ``confidence``: the probability of a fault, for AUROC).
ApproveFn = Callable[[list[str], list[str]], list[Any]]


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion (95% with the default z); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def judge_quality(verdicts: Sequence["bool | None"], correct: Sequence[bool], z: float = 1.96,
                  confidences: Sequence["float | None"] | None = None) -> dict | None:
    """How well a judge's verdicts (True = approved, None = not judged) tell right answers from wrong:
    its approval of the right ones and of the wrong ones, their difference (Youden's J: 0 for a judge
    whose verdict says nothing about truth, 1 for one that approves exactly the right answers) with
    Newcombe's interval for a difference of two independent proportions (from their Wilson
    intervals), balanced accuracy ((1 + J) / 2), and ``tells``: whether J is above zero beyond
    noise. With ``confidences`` (the judge's probability of a fault per answer, None where it gave
    none) also ``auroc``: how well that number ranks right answers above wrong ones (:func:`auroc`).
    None when the judged answers are not both right and wrong (J is then undefined)."""
    pairs = [(bool(v), bool(c)) for v, c in zip(verdicts, correct, strict=True) if v is not None]
    right = [v for v, c in pairs if c]
    wrong = [v for v, c in pairs if not c]
    if not right or not wrong:
        return None
    p1, p2 = sum(right) / len(right), sum(wrong) / len(wrong)
    (l1, u1), (l2, u2) = wilson_interval(sum(right), len(right), z), wilson_interval(sum(wrong), len(wrong), z)
    j = p1 - p2
    low = j - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = j + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    out = dict(right=len(right), right_approved=sum(right), wrong=len(wrong), wrong_approved=sum(wrong),
               approve_right=p1, approve_wrong=p2, j=j, j_ci95=[low, high], balanced_accuracy=(1 + j) / 2,
               tells=low > 0)
    if confidences is not None:
        scored = [(1 - f, bool(c)) for v, f, c in zip(verdicts, confidences, correct, strict=True)
                  if v is not None and f is not None]
        area = auroc([s for s, c in scored if c], [s for s, c in scored if not c], z)
        if area is not None:
            out["auroc"], out["auroc_ci95"] = area
    return out


def auroc(positive: Sequence[float], negative: Sequence[float], z: float = 1.96) -> tuple[float, list[float]] | None:
    """The area under the ROC curve of a score that should be higher for ``positive`` cases (the
    chance that a random positive outscores a random negative, ties half) with a 95% interval from
    Hanley and McNeil's (1982) standard error; None without both kinds of case. 0.5 is a score that
    says nothing, 1 one that separates them perfectly."""
    m, n = len(positive), len(negative)
    if not m or not n:
        return None
    ranked = sorted([(s, 1) for s in positive] + [(s, 0) for s in negative])
    rank_sum, i = 0.0, 0
    while i < len(ranked):  # mid-ranks for ties
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        rank_sum += sum(lab for _, lab in ranked[i:j]) * (i + j + 1) / 2
        i = j
    a = (rank_sum - m * (m + 1) / 2) / (m * n)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt(max(0.0, (a * (1 - a) + (m - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (m * n)))
    return a, [max(0.0, a - z * se), min(1.0, a + z * se)]


def j_text(quality: dict) -> str:
    """A judge's J with its interval, as tables show it: ``+0.16 (+0.01 to +0.31)``."""
    lo, hi = quality["j_ci95"]
    return f"{quality['j']:+.2f} ({lo:+.2f} to {hi:+.2f})"


def distinct_n(texts: Sequence[str], n: int = 2) -> float:
    """Distinct-n: unique word n-grams over all n-grams in the texts (0 when there are none)."""
    grams = []
    for text in texts:
        words = text.lower().split()
        grams.extend(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


def round_metrics(
    round_index: int,
    eval_result: dict,
    *,
    approve: ApproveFn | None = None,
    approve_student: ApproveFn | None = None,
    heldout_loss: float | Callable[[], float] | None = None,
    leaked: Callable[[str, str], bool] | None = None,
    guard: dict | None = None,
    lm_eval: dict | None = None,
) -> dict:
    """One round's metrics as a flat JSON-able dict (round 0 is the untouched student).

    ``eval_result`` is the output of :func:`evaluate`. ``approve`` is the judge: it gets the
    questions (after their context, if any) and the student's generated held-out answers
    (multiple-choice sets have none) and returns True/False/None per answer; None (verdict
    unparseable, or not judged when the caller judges a subset) is left out of the rate and
    counted in ``approval_skipped``. Its verdicts against the gold check give ``judge``
    (:func:`judge_quality`: can it tell right from wrong?); ``approve_student``, when the judge is
    not the student, gives the same for the student judging its own answers (``student_judge``).
    ``heldout_loss`` is a number or a callable returning the loss on held-out original data.
    ``leaked(question, answer)`` says whether a generated answer carries instruction text or markup
    (:class:`distill.curate.targets.LeakCheck`): the student learns what it is trained on.
    ``guard`` is :func:`evaluate`'s result on the forgetting guards (gold sets unlike the training
    data), kept apart from the gold accuracy; ``lm_eval`` the harness's scores
    (:func:`distill.eval.harness.evaluate_tasks`).
    Keys: round, gold_accuracy, gold_ci95, gold_n, gold_correct, sets{name: accuracy, ci95, n,
    correct, format, items (a 0/1 string, one per item in file order)}, approval_rate, approval_n, approval_skipped,
    judge and student_judge (:func:`judge_quality`, or None), heldout_loss, distinct_2,
    mean_answer_tokens, leaked_answers (the share of generated answers with leaked text), guard{name:
    as sets}, lm_eval{task: metric, value, stderr, n, items, guard}.
    """
    generated = [r for s in eval_result["sets"].values() if s["format"] != "mc" for r in s["items"]]
    answers = [r["answer"] for r in generated]
    approval_rate = judge = student_judge = None
    approval_n = approval_skipped = 0
    asked = [f"{r['context']}\n\n{r['question']}" if r.get("context") else r["question"] for r in generated]
    # right by the strict check where the set has one: a hedge the judge approves is a fault it missed
    correct = [bool(r.get("strict", r["correct"])) for r in generated]

    sets = [name for name, s in eval_result["sets"].items() if s["format"] != "mc" for _ in s["items"]]

    def verdicts_of(fn: ApproveFn) -> tuple[list[bool | None], list[float | None]]:
        out = list(fn(asked, answers))
        if len(out) != len(generated):
            raise ValueError(f"approve returned {len(out)} verdicts for {len(generated)} answers")
        return [_vote(v) for v in out], [getattr(v, "confidence", None) for v in out]

    def quality(verdicts: list[bool | None], confidences: list[float | None]) -> dict | None:
        """The judge over all rated answers, and per generated set (``sets``)."""
        out = judge_quality(verdicts, correct, confidences=confidences)
        if out is not None:
            out["sets"] = {}
            for name in dict.fromkeys(sets):
                mine = [k for k, s in enumerate(sets) if s == name]
                out["sets"][name] = judge_quality([verdicts[k] for k in mine], [correct[k] for k in mine],
                                                  confidences=[confidences[k] for k in mine])
        return out

    if approve is not None and generated:
        verdicts, confidences = verdicts_of(approve)
        parsed = [v for v in verdicts if v is not None]
        approval_n, approval_skipped = len(parsed), len(verdicts) - len(parsed)
        approval_rate = sum(bool(v) for v in parsed) / len(parsed) if parsed else None
        judge = quality(verdicts, confidences)
    if approve_student is not None and generated:
        student_judge = quality(*verdicts_of(approve_student))
    loss = heldout_loss() if callable(heldout_loss) else heldout_loss
    overall = eval_result["overall"]
    return dict(
        round=round_index,
        gold_accuracy=overall["accuracy"],
        gold_ci95=list(overall["ci95"]),
        gold_n=overall["n"],
        gold_correct=overall["correct"],
        # items: each item right (1) or wrong (0), in file order, for paired comparisons between rounds
        sets={name: _set_metrics(s) for name, s in eval_result["sets"].items()},
        approval_rate=approval_rate,
        approval_n=approval_n,
        approval_skipped=approval_skipped,
        judge=judge,
        student_judge=student_judge,
        heldout_loss=None if loss is None else float(loss),
        distinct_2=distinct_n(answers, 2),
        mean_answer_tokens=sum(r.get("tokens", 0) for r in generated) / len(generated) if generated else 0.0,
        leaked_answers=(sum(leaked(r["question"], r["answer"]) for r in generated) / len(generated)
                        if leaked is not None and generated else None),
        guard={name: _set_metrics(s) for name, s in (guard or {}).get("sets", {}).items()},
        lm_eval=lm_eval or {},
    )


def _vote(verdict: Any) -> bool | None:
    """A judge's approval of one answer, from its approval or its critique."""
    if hasattr(verdict, "verdict"):
        from distill.checks.verdict import approval

        return approval(verdict.verdict)
    return verdict


def _set_metrics(s: dict) -> dict:
    """One set's scores as a round's metrics keep them: accuracy, interval, counts, each item, the
    strict accuracy of generated sets, each yes/no item's gold (``golds``, for paired comparison in
    yes-no pairs), and the most common answer with its share (a set answered the same whatever it
    asks measures the default answer, not knowledge)."""
    out = dict(accuracy=s["accuracy"], ci95=list(s["ci95"]), n=s["n"], correct=s["correct"], format=s["format"],
               items="".join("1" if r["correct"] else "0" for r in s["items"]))
    if s["format"] == "yesno":
        out["golds"] = "".join("y" if r["gold"] == "yes" else "n" for r in s["items"])
    if s["items"] and all("strict" in r for r in s["items"]):
        out["strict_accuracy"] = sum(bool(r["strict"]) for r in s["items"]) / len(s["items"])
    top = most_common([_key(s["format"], r) for r in s["items"]])
    if top is not None:
        out["top_answer"], out["top_share"] = top
    return out


def _key(fmt: str, record: dict) -> str | None:
    """What an eval answer says, to compare across questions (:func:`distill.checks.reference.answer_key`)."""
    if fmt == "mc":  # choices differ from question to question: the same position is the same answer
        return None if record.get("prediction") is None else f"choice {record['prediction'] + 1}"
    return answer_key(fmt, record.get("answer") or "")
