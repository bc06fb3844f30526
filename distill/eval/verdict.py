"""The verdict on a run's rounds, in one place below both the loop and the report: the statistics
that compare rounds on gold answers and the sentences that say what they found. The monitor
(:mod:`distill.loop.monitor`) decides with them; the report, the model card and the recipes show
them. Pure functions over the per-round metric dicts of :func:`distill.eval.metrics.round_metrics`
(``history[0]`` is round 0, the untouched student); pure Python, no torch.

"Beyond noise" means both an absolute change of at least ``min_gold_drop`` and a test at the
level ``noise_z`` stands for (1.96: 5%). Every round answers the same eval items, so the test is
paired — the exact McNemar test on the items that changed (:mod:`distill.eval.stats`); yes/no sets
in yes-no pairs, so their score is balanced accuracy and a flip of the default answer is no change.
**Pooled** means over every eval item at once (one test: the most power a given eval has); **per
set** means each set on its own, Holm-corrected over the sets compared. Metrics from before
per-item results were kept (older run folders) are compared as two proportions (z of at least
``noise_z``, Bonferroni over the sets), as then.

**The best round** is the one to keep. A trained round qualifies only when it beats round 0
beyond noise: better on all eval items pooled, worse beyond noise on no set and no guard, and
held-out loss not past the forgetting threshold (older folders without per-item results: better
on at least one set, worse on none, overall accuracy not lower). Among qualifying rounds, those
whose pooled accuracy differs from the highest only inside the noise (a paired test of the two
rounds) are tied, and ``tie_break`` picks among them: ``later`` (more training behind it; the
default) or ``heldout_loss`` (the lowest). When none qualifies, round 0 — the untouched student —
is the one to keep.

**Bias.** An eval set that a round answers (nearly) all the same way — at least ``bias_share`` of
its items, "no" to every yes/no question — measures the default answer, not knowledge
(:func:`biased_sets`, said by :func:`biased_line`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from distill.eval.stats import Paired, alpha_of, compare, compare_units, holm, units


@dataclass
class MonitorConfig:
    """Thresholds of the verdict (see the module docstring) and of the monitor's rules
    (:mod:`distill.loop.monitor`): the run config's ``monitor`` section."""

    min_rounds: int = 1  # trained rounds before divergence/convergence may end a stage or run
    noise_z: float = 1.96  # gold drop must be this many standard errors (two-proportion test)
    min_gold_drop: float = 0.02  # ...and at least this much absolute accuracy
    min_approval_rise: float = 0.02  # approval must rise at least this much to count as rising
    # an objective's own score (its ``rise``: an RL round's reward) must rise this much within a round
    min_reward_rise: float = 0.05
    patience: int = 1  # consecutive diverging rounds before stopping
    forgetting_threshold: float = 0.10  # relative rise of held-out loss over round 0
    forgetting_action: Literal["stop", "raise_replay"] = "stop"
    replay_step: float = 0.15  # added to the replay share on forgetting
    max_replay_share: float = 0.8  # beyond this, forgetting stops the run
    converged_fault_rate: float = 0.1  # fewer faults than this share of prompts = converged
    # warn when mean answer length moves this much (relative) from round 0: a quarter is already a
    # changed habit, shorter or longer
    length_drift: float = 0.25
    diversity_floor: float = 0.7  # warn when distinct-2 falls below this share of round 0's
    tie_break: Literal["later", "heldout_loss"] = "later"  # among good rounds whose difference is noise
    # a set (or an online round's answers of one format) with this share of one answer is named: it
    # measures the default answer, or the policy has collapsed onto one
    bias_share: float = 0.9

    def __post_init__(self) -> None:
        if self.tie_break not in ("later", "heldout_loss"):
            raise ValueError(f"MonitorConfig.tie_break must be 'later' or 'heldout_loss', not {self.tie_break!r}")
        if self.forgetting_action not in ("stop", "raise_replay"):
            raise ValueError(f"MonitorConfig.forgetting_action must be 'stop' or 'raise_replay', not {self.forgetting_action!r}")
        for name in ("noise_z", "min_gold_drop", "min_approval_rise", "min_reward_rise", "forgetting_threshold", "replay_step",
                     "converged_fault_rate", "length_drift", "diversity_floor", "bias_share"):
            if getattr(self, name) < 0:
                raise ValueError(f"MonitorConfig.{name} must be >= 0, got {getattr(self, name)}")
        if self.patience < 1 or self.min_rounds < 0:
            raise ValueError("MonitorConfig.patience must be >= 1 and min_rounds >= 0")


def _acc(m: dict) -> float:
    v = m.get("gold_accuracy")
    return -math.inf if v is None else float(v)


def _z(p1: float, n1: int, p2: float, n2: int) -> float:
    """Two-proportion z statistic of p2 - p1 (pooled standard error)."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n1 + 1 / n2))
    return (p2 - p1) / se


def _bonferroni(z: float, tests: int) -> float:
    """The z threshold that keeps a two-sided level ``2 * (1 - Phi(z))`` over ``tests`` tests."""
    if tests <= 1:
        return z
    alpha = math.erfc(z / math.sqrt(2)) / tests  # two-sided tail of z, shared among the tests
    return NormalDist().inv_cdf(1 - alpha / 2)


def _items(m: dict, name: str) -> str | None:
    return ((m.get("sets") or {}).get(name) or {}).get("items")


def overall_items(m: dict) -> str | None:
    """A round's items over every set (sets in name order), or None without per-item results."""
    sets = m.get("sets") or {}
    parts = [sets[name].get("items") for name in sorted(sets)]
    return "".join(parts) if parts and all(isinstance(p, str) for p in parts) else None


def _paired_names(base: dict, cur: dict) -> list[str] | None:
    """The sets both rounds scored item by item on the same items, or None when any set lacks them."""
    names = sorted(k for k in (base.get("sets") or {}) if k in (cur.get("sets") or {}))
    if not names or not all(_items(base, k) and _items(cur, k) and len(_items(base, k)) == len(_items(cur, k))
                            for k in names):
        return None
    return names


def _part(base: dict, cur: dict, name: str) -> tuple[str, str, list[list[int]]]:
    items = _items(base, name)
    return items, _items(cur, name), units(base["sets"][name].get("golds"), len(items))


def pooled(base: dict, cur: dict) -> Paired | None:
    """``cur`` against ``base`` on every eval item at once (yes/no sets in yes-no pairs), or None
    when the rounds lack per-item results on the same items."""
    names = _paired_names(base, cur)
    return None if names is None else compare_units([_part(base, cur, k) for k in names])


def per_set(base: dict, cur: dict) -> dict[str, Paired]:
    """``cur`` against ``base`` set by set (yes/no sets in yes-no pairs), for the sets both scored
    on the same items."""
    names = [k for k in (base.get("sets") or {}) if k in (cur.get("sets") or {})]
    return {k: compare_units([_part(base, cur, k)]) for k in names
            if _items(base, k) and _items(cur, k) and len(_items(base, k)) == len(_items(cur, k))}


def beyond_noise(t: Paired, config: "MonitorConfig") -> int:
    """+1 when a paired comparison is better beyond noise, -1 when worse, 0 inside the noise."""
    if abs(t.diff) < config.min_gold_drop or t.p >= alpha_of(config.noise_z):
        return 0
    return 1 if t.diff > 0 else -1


def biased_sets(m: dict, config: "MonitorConfig") -> dict[str, tuple[str, float, int]]:
    """The sets round ``m`` answered (nearly) all the same way whatever they asked — "no" to every
    yes/no question, one number to every problem: ``{name: (the answer, its share, items)}``."""
    return {name: (s["top_answer"], s["top_share"], s.get("n") or 0) for name, s in (m.get("sets") or {}).items()
            if s.get("top_share") is not None and s["top_share"] >= config.bias_share and (s.get("n") or 0) >= 5}


def set_changes(base: dict, cur: dict, config: "MonitorConfig") -> tuple[list[str], list[str]]:
    """(sets where ``cur`` is better beyond noise, sets where it is worse beyond noise) than ``base``.

    Beyond noise per set: a change of at least ``min_gold_drop``, and the exact McNemar test on the
    items both rounds scored, Holm-corrected over the sets compared (so five sets do not give five
    chances to look better by luck). Without per-item results: a two-proportion z of at least
    ``noise_z``, Bonferroni-corrected."""
    names = [k for k in (base.get("sets") or {}) if k in (cur.get("sets") or {})]
    names = [k for k in names if base["sets"][k].get("n") and cur["sets"][k].get("n")]
    paired = {k for k in names if _items(base, k) and _items(cur, k) and len(_items(base, k)) == len(_items(cur, k))}
    if paired:
        tests = {k: t for k, t in per_set(base, cur).items() if k in paired}
        pvalues = {k: t.p for k, t in tests.items() if abs(t.diff) >= config.min_gold_drop}
        for k in set(names) - paired:  # a set without items beside paired ones: its two-proportion p-value
            b, c = base["sets"][k], cur["sets"][k]
            if abs(c["accuracy"] - b["accuracy"]) >= config.min_gold_drop:
                pvalues[k] = alpha_of(abs(_z(b["accuracy"], b["n"], c["accuracy"], c["n"])))
        significant = holm(pvalues, alpha_of(config.noise_z))
        sign = {k: (tests[k].diff if k in tests else cur["sets"][k]["accuracy"] - base["sets"][k]["accuracy"])
                for k in significant}
        return [k for k in names if sign.get(k, 0) > 0], [k for k in names if sign.get(k, 0) < 0]
    z_needed = _bonferroni(config.noise_z, len(names))
    up, down = [], []
    for name in names:
        b, c = base["sets"][name], cur["sets"][name]
        diff = c["accuracy"] - b["accuracy"]
        if abs(diff) < config.min_gold_drop:
            continue
        z = _z(b["accuracy"], b["n"], c["accuracy"], c["n"])
        if z >= z_needed:
            up.append(name)
        elif z <= -z_needed:
            down.append(name)
    return up, down


def guards(m: dict) -> dict[str, tuple[float, str | None, float | None]]:
    """A round's forgetting guards: gold guard sets and lm-eval tasks marked ``guard``, as
    ``{name: (score, items, stderr)}``."""
    out = {name: (g["accuracy"], g.get("items"), None) for name, g in (m.get("guard") or {}).items()}
    out.update({f"lm_eval:{name}": (t["value"], t.get("items"), t.get("stderr"))
                for name, t in (m.get("lm_eval") or {}).items() if t.get("guard")})
    return out


def guard_drops(base: dict, cur: dict, config: "MonitorConfig") -> list[str]:
    """The guards on which ``cur`` is worse than ``base`` beyond noise: a drop of at least
    ``min_gold_drop``, significant in a paired test of their items (without items: the two scores'
    standard errors), Holm-corrected over the guards."""
    b, c = guards(base), guards(cur)
    pvalues = {}
    for name in b.keys() & c.keys():
        (vb, ib, sb), (vc, ic, sc) = b[name], c[name]
        if vb - vc < config.min_gold_drop:
            continue
        if ib and ic and len(ib) == len(ic):
            pvalues[name] = compare(ib, ic).p
        elif sb is not None and sc is not None and (sb or sc):
            pvalues[name] = alpha_of((vb - vc) / math.sqrt(sb * sb + sc * sc))
    return sorted(holm(pvalues, alpha_of(config.noise_z)))


def same_beyond_noise(a: dict, b: dict, config: "MonitorConfig") -> bool:
    """True when rounds ``a`` and ``b`` differ in gold accuracy only inside the noise (paired test on
    all their items pooled; without per-item results, only when the accuracies are equal)."""
    t = pooled(a, b)
    return _acc(a) == _acc(b) if t is None else beyond_noise(t, config) == 0


def beats_round0(history: list[dict], m: dict, config: "MonitorConfig") -> bool:
    """True when round ``m`` is better than the untouched student beyond noise: better on all eval
    items pooled, worse beyond noise on no set (Holm) and no guard, and held-out loss not risen past
    the forgetting threshold. Without per-item results: better on some set, worse on none, overall
    gold accuracy not lower."""
    base = history[0]
    if m["round"] == 0:
        return False
    up, down = set_changes(base, m, config)
    t = pooled(base, m)
    better = beyond_noise(t, config) > 0 if t is not None else bool(up) and _acc(m) >= _acc(base)
    if not better or down or guard_drops(base, m, config):
        return False
    b_loss, c_loss = base.get("heldout_loss"), m.get("heldout_loss")
    return not (b_loss and c_loss is not None and (c_loss - b_loss) / b_loss > config.forgetting_threshold)


def best_round(history: list[dict], config: "MonitorConfig | None" = None) -> int:
    """The round to keep: among rounds that beat round 0 beyond noise (:func:`beats_round0`), the
    one with the highest gold accuracy, or — among the rounds tied with it inside the noise — the
    one ``tie_break`` picks; round 0, the untouched student, when none does. (Without per-item
    results, as before them: ties are equal accuracies, broken by lower held-out loss, then the
    earlier round.)"""
    if not history:
        raise ValueError("best_round needs at least one round of metrics")
    config = config or MonitorConfig()
    better = [m for m in history[1:] if beats_round0(history, m, config)]
    if not better:
        return history[0]["round"]
    top = max(better, key=_acc)
    if overall_items(top) is not None:
        tied = [m for m in better if same_beyond_noise(top, m, config)]
        if config.tie_break == "later":
            return max(tied, key=lambda m: m["round"])["round"]
        return min(tied, key=lambda m: (math.inf if m.get("heldout_loss") is None else m["heldout_loss"],
                                        -m["round"]))["round"]

    def key(m: dict) -> tuple:
        loss = m.get("heldout_loss")
        return (-_acc(m), math.inf if loss is None else loss, m["round"])

    return min(better, key=key)["round"]


def keeping(history: list[dict], config: "MonitorConfig | None" = None) -> str:
    """Which round is kept and why, for a decision's reason; when round 0 is kept, the trained rounds
    worse than it beyond noise (all items pooled), or, when a round's pooled change is positive
    inside the noise, how many items would show it."""
    config = config or MonitorConfig()
    best = best_round(history, config)
    if best == 0:
        if len(history) < 2:
            return "keeping round 0"
        worse = [(m["round"], t) for m in history[1:]
                 if (t := pooled(history[0], m)) is not None and beyond_noise(t, config) < 0]
        gain = possible_gain(history, config)
        return ("keeping round 0: no round beat the untouched student beyond noise"
                + ("; worse than round 0 beyond noise on all items pooled: " + ", ".join(
                    f"round {r} {100 * t.diff:+.1f} points (p {t.p:.2g})" for r, t in worse) if worse else "")
                + (f"; {gain}" if gain else ""))
    t = pooled(history[0], history[best])
    if t is None:
        up, _ = set_changes(history[0], history[best], config)
        return f"keeping round {best} (better than round 0 beyond noise on {', '.join(up)})"
    return (f"keeping round {best} (better than round 0 beyond noise on all {t.n} eval items pooled: "
            f"{100 * t.diff:+.1f} points, {100 * t.lo:+.1f} to {100 * t.hi:+.1f}, p {t.p:.2g})")


def possible_gain(history: list[dict], config: "MonitorConfig") -> str:
    """``"round N: a gain of X points (CI ...) is possible but not shown; evaluate with more items: ..."``
    for the trained round with the largest positive pooled change inside the noise, or ``""``."""
    from distill.eval.stats import items_needed

    tests = [(m["round"], pooled(history[0], m)) for m in history[1:]]
    tests = [(r, t) for r, t in tests if t is not None and t.diff > 0 and beyond_noise(t, config) == 0]
    if not tests:
        return ""
    r, t = max(tests, key=lambda rt: rt[1].diff)
    sets = len(history[0].get("sets") or {}) or 1
    discordant = max((t.b + t.c) / t.n, 0.05) if t.n else 0.3
    per = math.ceil(items_needed(max(t.diff, config.min_gold_drop), discordant) / sets)
    return (f"round {r}: a gain of {100 * t.diff:.1f} points ({100 * t.lo:+.1f} to {100 * t.hi:+.1f}) over "
            f"{t.n} items is possible but not shown; evaluate with more items: `distill eval RUN_DIR/round-{r:02d}/model "
            f"--limit {per}` (and the same for round 0's student), or eval.limit: {per}")


def significant_drop(ref: dict, cur: dict, config: MonitorConfig) -> bool:
    """True when gold accuracy fell from ``ref`` to ``cur`` beyond noise (paired on all their items pooled)."""
    t = pooled(ref, cur)
    if t is not None:
        return beyond_noise(t, config) < 0
    p1, p2 = ref.get("gold_accuracy"), cur.get("gold_accuracy")
    n1, n2 = ref.get("gold_n") or 0, cur.get("gold_n") or 0
    if p1 is None or p2 is None or n1 == 0 or n2 == 0:
        return False
    if p1 - p2 < config.min_gold_drop:
        return False
    return -_z(p1, n1, p2, n2) >= config.noise_z


def judge_line(critic: dict) -> str:
    """One judge measurement (:func:`distill.eval.metrics.judge_quality`) in words."""
    lo, hi = critic["j_ci95"]
    return (f"it approved {critic['approve_right']:.0%} of {critic['right']} right answers and "
            f"{critic['approve_wrong']:.0%} of {critic['wrong']} wrong ones (J {critic['j']:+.2f}, {lo:+.2f} to {hi:+.2f})")


def biased_line(name: str, answer: str, share: float, n: int) -> str:
    """A set answered (nearly) all the same way (:func:`biased_sets`), in words."""
    return f"{name}: answers {answer!r} to {round(share * n)} of {n}: this set measures the default answer, not knowledge"
