"""The monitor: after each round, decide whether to go on, move to the next stage, or stop.

Pure functions over the per-round metric dicts of :func:`distill.eval.metrics.round_metrics`
(``history[0]`` is round 0, the untouched student). The rules, checked in this order:

1. **Divergence** - the judge's approval rose (or, in an online-RL round, the round's own reward
   rose from the first to the last quarter of its steps) while gold accuracy fell beyond noise,
   compared with the best round so far, for ``patience`` consecutive rounds: the model is learning
   to please its grader, not to be right. Stop and keep the best round.
2. **Forgetting** - held-out loss on original instruction data rose more than
   ``forgetting_threshold`` (relative) above round 0, or a guard (a gold set unlike the training
   data, or an lm-eval task marked ``guard``) fell beyond noise: stop, or raise the replay share
   (``forgetting_action="raise_replay"``) until ``max_replay_share``, then stop.
3. **Convergence** - the teacher found faults in fewer than ``converged_fault_rate`` of the
   prompts of the stage's last round: next stage, or stop as converged after the last stage. When
   those verdicts were mostly the judge's own reading (not a reference check), only if the round
   measured that judge telling right answers from wrong on its eval answers (``judge``: J above
   zero beyond noise), named beside the decision: "no faults found" by a judge that cannot tell,
   or was not measured, is not evidence, and the decision's warnings say so.
4. **Budget** - the run's round budget (``rounds``) or the stage's (``rounds_per_stage``) used: stop,
   or move to the next stage. The one place the budget is applied; it ends a run even when a
   stage converged on its last budgeted round.

Length and diversity drift never stop a run on their own (a corrected answer may rightly be
longer), but mean answer length moving more than ``length_drift`` (relative) from round 0, or
distinct-2 falling below ``diversity_floor`` times round 0's, is added to ``Decision.warnings``.

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

**Bias and collapse.** An eval set that a round answers (nearly) all the same way — at least
``bias_share`` of its items, "no" to every yes/no question — measures the default answer, not knowledge
(:func:`biased_sets`); an RL round whose rollouts of one answer format give the same answer that
often has collapsed onto it (:func:`collapse_warnings`). Both are named in the decision's warnings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from statistics import NormalDist
from typing import Literal

from distill.eval.stats import Paired, alpha_of, compare, compare_units, holm, units

Action = Literal["continue", "next_stage", "stop"]
Kind = Literal["baseline", "ok", "divergence", "forgetting", "converged", "budget"]


@dataclass
class MonitorConfig:
    """Thresholds of the monitor's rules (see the module docstring)."""

    min_rounds: int = 1  # trained rounds before divergence/convergence may end a stage or run
    noise_z: float = 1.96  # gold drop must be this many standard errors (two-proportion test)
    min_gold_drop: float = 0.02  # ...and at least this much absolute accuracy
    min_approval_rise: float = 0.02  # approval must rise at least this much to count as rising
    min_reward_rise: float = 0.05  # an RL round's reward must rise this much (first -> last quarter of its steps)
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
    # a set (or an RL round's answers of one format) with this share of one answer is named: it
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


@dataclass
class Decision:
    """What to do next, why, and which round is the best so far."""

    action: Action
    kind: Kind
    reason: str
    best_round: int
    replay_share: float | None = None  # the new replay share when forgetting raised it
    warnings: list[str] = field(default_factory=list)  # drift worth a look that does not stop the run

    def to_dict(self) -> dict:
        """JSON-able form for the manifest."""
        return asdict(self)


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


FORMAT_NAMES = {"yesno": "yes/no", "gsm8k": "arithmetic", "short": "short-answer"}


def collapse_warnings(training: dict | None, config: "MonitorConfig") -> list[str]:
    """An RL round's answer formats whose rollouts give one answer at least ``bias_share`` of the
    time (``training["answers"]``, :func:`distill.eval.metrics.answer_collapse`), as warnings."""
    out = []
    for fmt, a in ((training or {}).get("answers") or {}).items():
        if a.get("n", 0) >= 10 and a["share"] >= config.bias_share:
            out.append(f"collapse: the policy answers {a['top']!r} to {a['share']:.0%} of {FORMAT_NAMES.get(fmt, fmt)} "
                       f"prompts ({a['n']} rollouts)")
    return out


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


def reward_rise(train_metrics: dict | None) -> float | None:
    """How much an online-RL round's reward rose within the round (first -> last quarter of its steps)."""
    m = train_metrics or {}
    first, last = m.get("reward_first"), m.get("reward_last")
    return None if first is None or last is None else last - first


def _diverging(history: list[dict], upto: int, config: MonitorConfig, training: list[dict]) -> str | None:
    """What rose in round ``history[upto]`` while its gold accuracy fell beyond noise against the best
    round before it (``"approval"``, ``"reward"``), or None when it does not diverge."""
    cur = history[upto]
    ref = history[best_round(history[:upto], config)]  # rounds are numbered 0..; index == round
    if not significant_drop(ref, cur, config):
        return None
    a_ref, a_cur = ref.get("approval_rate"), cur.get("approval_rate")
    if a_ref is not None and a_cur is not None and a_cur - a_ref >= config.min_approval_rise:
        return "approval"
    rise = reward_rise(training[upto - 1]) if 0 < upto <= len(training) else None
    if rise is not None and rise >= config.min_reward_rise:
        return "reward"
    return None


def drift_warnings(history: list[dict], config: MonitorConfig) -> list[str]:
    """Length and diversity drift of the latest round against round 0, as readable warnings."""
    out = []
    base, cur = history[0], history[-1]
    b_len, c_len = base.get("mean_answer_tokens"), cur.get("mean_answer_tokens")
    if b_len and c_len is not None and abs(c_len - b_len) / b_len > config.length_drift:
        out.append(f"length drift: mean answer {b_len:.1f} -> {c_len:.1f} tokens since round 0")
    b_d, c_d = base.get("distinct_2"), cur.get("distinct_2")
    if b_d and c_d is not None and c_d < config.diversity_floor * b_d:
        out.append(f"diversity falling: distinct-2 {b_d:.3f} -> {c_d:.3f} since round 0")
    return out


def judge_line(critic: dict) -> str:
    """One judge measurement (:func:`distill.eval.metrics.judge_quality`) in words."""
    lo, hi = critic["j_ci95"]
    return (f"it approved {critic['approve_right']:.0%} of {critic['right']} right answers and "
            f"{critic['approve_wrong']:.0%} of {critic['wrong']} wrong ones (J {critic['j']:+.2f}, {lo:+.2f} to {hi:+.2f})")


def teacher_vs_student(train_metrics: dict) -> tuple[float, float, int] | None:
    """An on-policy distillation round's teacher against its student on the round's checkable prompts:
    (the teacher's share right, the student's, prompts the teacher was checked on); None when unknown."""
    t, d = train_metrics.get("teacher") or {}, train_metrics.get("distill") or {}
    if not t.get("checked") or not d.get("student_checked"):
        return None
    return t["right"] / t["checked"], d["student_right"] / d["student_checked"], t["checked"]


def distill_line(train_metrics: dict) -> str | None:
    """An on-policy distillation round's training in words (None for another objective's round)."""
    m = train_metrics
    if m.get("divergence_first") is None:
        return None
    out = (f"distilled {m.get('distilled_tokens', 0)} answer tokens in {m.get('steps')} steps; divergence from the "
           f"teacher {m['divergence_first']:.3f} -> {m['divergence_last']:.3f} (first -> last quarter of steps)")
    known = teacher_vs_student(m)
    if known:
        out += (f"; on the round's {known[2]} checkable prompts the teacher was right on {known[0]:.0%}, "
                f"the student on {known[1]:.0%}")
    return out


def blind_judge(metrics: dict, opinions: float | None) -> bool:
    """Whether a round's fault verdicts came mostly from the judge's own reading (``opinions``: the
    share of verdicts that were not a reference check; None reads as all) and that judge was not
    measured telling right from wrong beyond noise on the round's eval answers."""
    critic = metrics.get("judge")
    return (opinions is None or opinions >= 0.5) and (critic is None or not critic["tells"])


class Monitor:
    """Applies :class:`MonitorConfig`'s rules to the run's metric history, within the run's budget:
    at most ``rounds`` trained rounds in all and ``rounds_per_stage`` per stage (None: no limit)."""

    def __init__(self, config: MonitorConfig | None = None, *, rounds: int | None = None,
                 rounds_per_stage: int | None = None) -> None:
        self.config = config or MonitorConfig()
        self.rounds = rounds
        self.rounds_per_stage = rounds_per_stage

    def keeping(self, history: list[dict]) -> str:
        """Which round is kept and why (see :func:`keeping`)."""
        return keeping(history, self.config)

    def decide(
        self,
        history: list[dict],
        *,
        fault_rate: float | None = None,
        rounds_in_stage: int | None = None,
        last_stage: bool = True,
        replay_share: float | None = None,
        stage: str | None = None,
        training: list[dict] | None = None,
        opinions: float | None = None,
    ) -> Decision:
        """Decide after the latest round in ``history`` (round 0 first, one dict per round).

        ``fault_rate`` is the share of prompts in which the teacher found a fault in the
        round just finished; ``rounds_in_stage`` counts the trained rounds of the current stage
        (default: all trained rounds); ``replay_share`` is the current share of original data
        in the training mix, needed for ``forgetting_action="raise_replay"``; ``stage`` names the
        current stage in the reason when its budget ends it; ``training`` holds each trained round's
        training metrics (:func:`distill.eval.metrics.training_metrics`: an RL round's reward);
        ``opinions`` the share of the round's verdicts that were the teacher's own reading rather
        than a reference check (None: unknown, read as all).
        """
        blind = bool(history) and blind_judge(history[-1], opinions)
        decision = self._rules(history, None if blind else fault_rate, rounds_in_stage, last_stage, replay_share,
                               training or [])
        decision = self._budget(decision, history, rounds_in_stage, last_stage, stage)
        decision.warnings = drift_warnings(history, self.config)
        critic = history[-1].get("judge")
        unconverged = blind and fault_rate is not None and fault_rate < self.config.converged_fault_rate
        if critic is not None and not critic["tells"]:
            decision.warnings.append(f"the judge cannot tell right from wrong: {judge_line(critic)}; its approval "
                                     "is not evidence" + (", and its 'no faults found' was not counted as converged"
                                                          if unconverged else ""))
        elif unconverged:
            decision.warnings.append("the judge was not measured on this round's eval answers (no rated answers both "
                                     "right and wrong), so its 'no faults found' was not counted as converged")
        for name, (answer, share, n) in biased_sets(history[-1], self.config).items():
            decision.warnings.append(f"{name}: answers {answer!r} to {round(share * n)} of {n}: this set measures "
                                     "the default answer, not knowledge" + (" (the verdict reads it in yes-no pairs)"
                                                                             if history[-1]["sets"][name].get("golds") else ""))
        if training and len(history) > 1 and len(training) >= history[-1]["round"]:
            trained = training[history[-1]["round"] - 1]
            decision.warnings += collapse_warnings(trained, self.config)
            known = teacher_vs_student(trained)
            if known and known[0] <= known[1]:
                decision.warnings.append(
                    f"the distillation teacher knows no more than the student: right on {known[0]:.0%} of the round's "
                    f"{known[2]} checkable prompts, the student on {known[1]:.0%}; distilling from it teaches nothing")
        return decision

    def _budget(self, decision: Decision, history: list[dict], rounds_in_stage: int | None, last_stage: bool,
                stage: str | None) -> Decision:
        """``decision`` within the stage's and the run's round budgets."""
        trained = len(history) - 1
        if trained == 0:
            return decision
        keep = keeping(history, self.config)
        in_stage = trained if rounds_in_stage is None else rounds_in_stage
        if decision.action == "continue" and self.rounds_per_stage is not None and in_stage >= self.rounds_per_stage:
            why = f"{self.rounds_per_stage} rounds in stage {stage!r}" if stage else f"{self.rounds_per_stage} rounds in this stage"
            decision = (replace(decision, action="next_stage", reason=f"{why}; moving to the next stage") if not last_stage
                        else replace(decision, action="stop", kind="budget", reason=f"{why}, the last stage; {keep}"))
        if decision.action in ("continue", "next_stage") and self.rounds is not None and trained >= self.rounds:
            decision = replace(decision, action="stop", kind="budget", reason=f"round budget of {self.rounds} used; {keep}")
        return decision

    def _rules(self, history: list[dict], fault_rate, rounds_in_stage, last_stage, replay_share,
               training: list[dict]) -> Decision:
        """The decision without the drift warnings (arguments as in :meth:`decide`)."""
        cfg = self.config
        if not history:
            raise ValueError("Monitor.decide needs at least round 0 in the history")
        for i, m in enumerate(history):
            if m.get("round") != i:
                raise ValueError(f"history[{i}] has round {m.get('round')!r}; rounds must be 0, 1, 2, ... in order")
        best = best_round(history, cfg)
        keep = keeping(history, cfg)
        trained = len(history) - 1
        if trained == 0:
            return Decision("continue", "baseline", "round 0 measured; training starts", best)
        cur = history[-1]
        stage_rounds = trained if rounds_in_stage is None else rounds_in_stage

        # 1. divergence
        rising = [_diverging(history, i, cfg, training) for i in range(len(history) - cfg.patience, len(history))] \
            if trained >= cfg.min_rounds and trained >= cfg.patience else [None]
        if all(rising):
            ref = history[best_round(history[:-1], cfg)]
            if rising[-1] == "approval":
                what = f"judge approval rose {ref['approval_rate']:.1%} -> {cur['approval_rate']:.1%}"
            else:
                m = training[cur["round"] - 1]
                what = f"the round's reward rose {m['reward_first']:.2f} -> {m['reward_last']:.2f}"
            return Decision(
                "stop", "divergence",
                f"divergence: {what} while gold accuracy fell {ref['gold_accuracy']:.1%} -> "
                f"{cur['gold_accuracy']:.1%} (beyond noise, round {ref['round']} -> {cur['round']}); {keep}",
                best,
            )

        # 2. forgetting: held-out loss past its threshold, or a guard worse beyond noise
        base_loss, cur_loss = history[0].get("heldout_loss"), cur.get("heldout_loss")
        what = None
        if base_loss and cur_loss is not None and (cur_loss - base_loss) / base_loss > cfg.forgetting_threshold:
            rise = (cur_loss - base_loss) / base_loss
            what = (f"forgetting: held-out loss {base_loss:.3f} -> {cur_loss:.3f} (+{rise:.0%}, "
                    f"threshold +{cfg.forgetting_threshold:.0%})")
        fell = guard_drops(history[0], cur, cfg)
        if fell:
            scores = guards(history[0]), guards(cur)
            said = ", ".join(f"{k} {scores[0][k][0]:.1%} -> {scores[1][k][0]:.1%}" for k in fell)
            what = f"{what}; " if what else "forgetting: "
            what += f"the guard{'s' if len(fell) > 1 else ''} {said} fell beyond noise"
        if what:
            if cfg.forgetting_action == "raise_replay":
                if replay_share is None:
                    raise ValueError("forgetting_action='raise_replay' needs the current replay_share")
                if replay_share < cfg.max_replay_share:
                    new = round(min(cfg.max_replay_share, replay_share + cfg.replay_step), 4)
                    return Decision("continue", "forgetting",
                                    f"{what}; raising the replay share {replay_share:.2f} -> {new:.2f}", best, new)
                return Decision("stop", "forgetting",
                                f"{what}; replay share already at its maximum {cfg.max_replay_share:.2f}; "
                                f"{keep}", best)
            return Decision("stop", "forgetting", f"{what}; {keep}", best)

        # 3. convergence
        if fault_rate is not None and stage_rounds >= cfg.min_rounds and fault_rate < cfg.converged_fault_rate:
            what = (f"converged: the teacher found faults in {fault_rate:.1%} of prompts "
                    f"(< {cfg.converged_fault_rate:.0%})")
            if cur.get("judge") is not None:  # named beside the decision: is "no faults found" worth anything?
                what += f"; its judge: {judge_line(cur['judge'])}"
            if last_stage:
                return Decision("stop", "converged", f"{what} in the last stage; {keep}", best)
            return Decision("next_stage", "converged", f"{what}; moving to the next stage", best)

        return Decision("continue", "ok", f"round {cur['round']}: no stopping rule fired", best)
