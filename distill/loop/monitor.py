"""The monitor: after each round, decide whether to go on, move to the next stage, or stop.

The decision rules, over the per-round metric dicts of :func:`distill.eval.metrics.round_metrics`
(``history[0]`` is round 0, the untouched student); the statistics they use and their wording —
"beyond noise", pooled and per set, the best round, biased sets, the judge in words — are the
verdict's (:mod:`distill.eval.verdict`, where the report reads them too). The rules, checked in
this order:

1. **Divergence** - the judge's approval rose (or the objective's own score rose from the first to
   the last quarter of the round's steps: its ``rise``, an online-RL round's reward) while gold
   accuracy fell beyond noise, compared with the best round so far, for ``patience`` consecutive
   rounds: the model is learning to please its grader, not to be right. Stop and keep the best round.
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
distinct-2 falling below ``diversity_floor`` times round 0's, is added to ``Decision.warnings``;
so are eval sets answered (nearly) all the same way, and what the round's objective warns of in
its own training metrics (its ``warnings``: an online round's policy collapsed onto one answer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Sequence

from distill.eval.verdict import (MonitorConfig, best_round, biased_line, biased_sets, guard_drops, guards, judge_line,
                                  keeping, significant_drop)

if TYPE_CHECKING:
    from distill.train.objective import Objective

Action = Literal["continue", "next_stage", "stop"]
Kind = Literal["baseline", "ok", "divergence", "forgetting", "converged", "budget"]

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


def _objective(objectives: Sequence[str] | None, n: int) -> "Objective | None":
    """The objective trained round ``n`` (``objectives``: one name per trained round), if known."""
    from distill.train.objective import get

    return get(objectives[n - 1]) if objectives and 0 < n <= len(objectives) and objectives[n - 1] else None


def _diverging(history: list[dict], upto: int, config: MonitorConfig, training: list[dict],
               objectives: Sequence[str] | None) -> tuple[str, float, float] | None:
    """What rose in round ``history[upto]`` while its gold accuracy fell beyond noise against the best
    round before it — ``("approval", before, after)``, or the objective's own score within the round
    (its ``rise``: ``("reward", first, last)``) — or None when it does not diverge."""
    cur = history[upto]
    ref = history[best_round(history[:upto], config)]  # rounds are numbered 0..; index == round
    if not significant_drop(ref, cur, config):
        return None
    a_ref, a_cur = ref.get("approval_rate"), cur.get("approval_rate")
    if a_ref is not None and a_cur is not None and a_cur - a_ref >= config.min_approval_rise:
        return "approval", a_ref, a_cur
    objective = _objective(objectives, upto)
    score = objective.rise(training[upto - 1]) if objective and objective.rise and 0 < upto <= len(training) else None
    if score is not None and score[2] - score[1] >= config.min_reward_rise:
        return score
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
        objectives: Sequence[str] | None = None,
    ) -> Decision:
        """Decide after the latest round in ``history`` (round 0 first, one dict per round).

        ``fault_rate`` is the share of prompts in which the teacher found a fault in the
        round just finished; ``rounds_in_stage`` counts the trained rounds of the current stage
        (default: all trained rounds); ``replay_share`` is the current share of original data
        in the training mix, needed for ``forgetting_action="raise_replay"``; ``stage`` names the
        current stage in the reason when its budget ends it; ``training`` holds each trained round's
        training metrics (its summary's ``train_metrics``) and ``objectives`` the objective each trained
        round trained by (a schedule changes it between rounds): the objective reads its round's metrics
        for what its own score did within the round (``rise``) and what it warns of (``warnings``);
        ``opinions`` the share of the round's verdicts that were the teacher's own reading rather
        than a reference check (None: unknown, read as all).
        """
        blind = bool(history) and blind_judge(history[-1], opinions)
        decision = self._rules(history, None if blind else fault_rate, rounds_in_stage, last_stage, replay_share,
                               training or [], objectives)
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
            decision.warnings.append(biased_line(name, answer, share, n) + (" (the verdict reads it in yes-no pairs)"
                                     if history[-1]["sets"][name].get("golds") else ""))
        last = history[-1]["round"]
        objective = _objective(objectives, last)
        if objective and objective.warnings and training and 0 < last <= len(training):
            decision.warnings += objective.warnings(training[last - 1], self.config.bias_share)
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
               training: list[dict], objectives: Sequence[str] | None) -> Decision:
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
        rising: list = [None]
        if trained >= cfg.min_rounds and trained >= cfg.patience:
            rising = [_diverging(history, i, cfg, training, objectives)
                      for i in range(len(history) - cfg.patience, len(history))]
        if all(rising):
            ref = history[best_round(history[:-1], cfg)]
            name, before, after = rising[-1]
            what = (f"judge approval rose {before:.1%} -> {after:.1%}" if name == "approval"
                    else f"the round's {name} rose {before:.2f} -> {after:.2f}")
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
