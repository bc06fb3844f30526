"""Best of N: the student answers each eval question N times, a critic picks one, and the pick is
scored against the greedy answer on the same items, paired.

The critic is any teacher: a trained critic (``critic:SPEC``, :mod:`distill.critic`) picks the
answer it is least sure has a fault (its confidence, read from its logits); a teacher that only
writes text picks the first answer it approves. Beside the pick the result keeps the first sample
(what sampling alone gives) and whether any of the N was right (what a perfect critic could reach),
so a gain can be read against both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from distill.core import Item, SamplingConfig
from distill.data.questions import as_asked
from distill.errors import TeacherError
from distill.eval.gold import EvalConfig, evaluate
from distill.eval.metrics import wilson_interval
from distill.eval.stats import compare_units, units

if TYPE_CHECKING:
    from distill.core import Generator, Principle, Teacher
    from distill.data.evalsets import EvalSet

WAYS = ("greedy", "first sample", "best of n", "any of n")


def _chosen(eval_sets: Sequence["EvalSet"], config: EvalConfig) -> list[tuple["EvalSet", list]]:
    """The generated sets (multiple choice has no answers to pick from), each cut to the eval's limit."""
    limit = config.items_per_set
    return [(es, es.items[:limit] if limit else es.items) for es in eval_sets if es.format != "mc"]


def draw(student: "Generator", eval_sets: Sequence["EvalSet"], config: EvalConfig, n: int, temperature: float = 0.7,
         seed: int = 0, progress: Callable[[int, int], None] | None = None) -> list[list[str]]:
    """``n`` sampled answers to every generated eval item, as the evaluation asks: ``n`` lists, each one
    answer per item in set order (seed ``seed + k`` for the k-th), for critics to pick from."""
    if n < 2:
        raise ValueError(f"best of n needs n >= 2, got {n}")
    if temperature <= 0:
        raise ValueError("best of n samples its answers: the temperature must be above 0")
    prompts = [as_asked(it.prompt, es.format, config.prompt_suffix) for es, items in _chosen(eval_sets, config)
               for it in items]
    return [[c.text for c in student.generate(prompts, SamplingConfig(
        max_new_tokens=config.max_new_tokens, temperature=temperature, seed=seed + k, batch_size=config.batch_size),
        progress=progress)] for k in range(n)]


def best_of_n(student: "Generator", eval_sets: Sequence["EvalSet"], config: EvalConfig, critic: "Teacher",
              principle: "Principle", n: int, temperature: float = 0.7, seed: int = 0,
              progress: Callable[[int, int], None] | None = None, greedy: dict | None = None,
              samples: list[list[str]] | None = None) -> dict:
    """Score the generated sets of ``eval_sets`` four ways — greedy, the first of ``n`` samples at
    ``temperature``, the critic's pick of the ``n``, and any of the ``n`` right — and compare the
    pick with greedy, paired, pooled over the sets and per set (yes/no sets in yes-no pairs).
    ``greedy`` (:func:`evaluate`'s result on the same sets and config) and ``samples`` (:func:`draw`'s)
    when the caller has them already: two critics then pick from the same answers. Returns a
    JSON-able dict (``sets``, ``per_set``, ``overall``, ``paired``)."""
    chosen = _chosen(eval_sets, config)
    greedy = greedy or evaluate(student, [es for es, _ in chosen], config, progress=progress)
    samples = samples or draw(student, eval_sets, config, n, temperature, seed, progress)
    if len(samples) != n:
        raise ValueError(f"best of n: {len(samples)} lists of samples for n = {n}")
    questions = [it for _, items in chosen for it in items]
    items = [Item(q.prompt, samples[k][i]) for i, q in enumerate(questions) for k in range(n)]
    try:
        crits = critic.critique(items, principle)
    except TeacherError as e:
        crits = e.results
    faults = [_fault(c) for c in crits]
    out_sets: dict[str, dict] = {}
    i = 0
    for es, its in chosen:
        rows = []
        for item, g in zip(its, greedy["sets"][es.name]["items"]):
            texts = [samples[k][i] for k in range(n)]
            scores = faults[i * n:(i + 1) * n]
            pick = min(range(n), key=lambda k: (scores[k], k))
            right = [item.check(t) for t in texts]
            rows.append({"question": item.question, "greedy": g["answer"], "greedy_correct": g["correct"],
                         "answers": texts, "faults": scores, "pick": pick, "correct": right})
            i += 1
        out_sets[es.name] = {"format": es.format, "items": rows,
                             "golds": "".join("y" if it.gold else "n" for it in its) if es.format == "yesno" else None}
    return {"n": n, "temperature": temperature, "critic": getattr(critic, "name", type(critic).__name__),
            "principle": principle.name, "sets": out_sets, **_scores(out_sets)}


def _fault(c) -> float:
    """A critique as a number to rank by: its confidence, else 1 for a fault and 0 for none (an
    unreadable verdict ranks last)."""
    if c.confidence is not None:
        return float(c.confidence)
    return {"fault": 1.0, "no_fault": 0.0}.get(c.verdict, 2.0)


def _item_strings(rows: list[dict]) -> dict[str, str]:
    return {"greedy": "".join("1" if r["greedy_correct"] else "0" for r in rows),
            "first sample": "".join("1" if r["correct"][0] else "0" for r in rows),
            "best of n": "".join("1" if r["correct"][r["pick"]] else "0" for r in rows),
            "any of n": "".join("1" if any(r["correct"]) else "0" for r in rows)}


def _scores(sets: dict[str, dict]) -> dict:
    """Accuracy per way per set and pooled, and the pick against greedy (and against the first
    sample), paired: per set and pooled."""
    per_set, parts_greedy, parts_first = {}, [], []
    totals = {w: [0, 0] for w in WAYS}
    for name, s in sets.items():
        strings = _item_strings(s["items"])
        groups = units(s["golds"], len(s["items"]))
        per_set[name] = {w: _acc(strings[w]) for w in WAYS}
        per_set[name]["paired"] = _paired(compare_units([(strings["greedy"], strings["best of n"], groups)]))
        parts_greedy.append((strings["greedy"], strings["best of n"], groups))
        parts_first.append((strings["first sample"], strings["best of n"], groups))
        for w in WAYS:
            totals[w][0] += strings[w].count("1")
            totals[w][1] += len(strings[w])
    overall = {w: _acc("1" * c + "0" * (k - c)) for w, (c, k) in totals.items()}
    return {"per_set": per_set, "overall": overall,
            "paired": {"vs greedy": _paired(compare_units(parts_greedy)),
                       "vs first sample": _paired(compare_units(parts_first))}}


def _acc(items: str) -> dict:
    k, n = items.count("1"), len(items)
    return {"accuracy": k / n if n else 0.0, "correct": k, "n": n, "ci95": list(wilson_interval(k, n))}


def _paired(p) -> dict:
    return {"n": p.n, "newly_right": p.b, "newly_wrong": p.c, "change": p.diff, "ci95": [p.lo, p.hi], "p": p.p}


def paired_text(p: dict) -> str:
    """A paired comparison in a table cell: newly right / wrong, change (interval), p."""
    return (f"{p['newly_right']} / {p['newly_wrong']}, {p['change'] * 100:+.1f} "
            f"({p['ci95'][0] * 100:+.1f} to {p['ci95'][1] * 100:+.1f}), p {p['p']:.2g}")
