"""Monitor rules on synthetic metric sequences."""

from __future__ import annotations

import json

import pytest

from distill.eval.verdict import MonitorConfig, best_round, significant_drop
from distill.loop.monitor import Decision, Monitor


def rounds(*specs: tuple, n: int = 300) -> list[dict]:
    """History from (gold accuracy, approval rate, held-out loss) per round; one gold set."""
    return [dict(round=i, gold_accuracy=acc, gold_n=n, approval_rate=app, heldout_loss=loss,
                 sets={"gold": dict(accuracy=acc, n=n, correct=round(acc * n))})
            for i, (acc, app, loss) in enumerate(specs)]


def with_sets(history: list[dict], **sets: list[float]) -> list[dict]:
    """The same history with per-set accuracies (n=200 each) instead of the single set."""
    for i, m in enumerate(history):
        m["sets"] = {name: dict(accuracy=accs[i], n=200, correct=round(accs[i] * 200)) for name, accs in sets.items()}
    return history


def test_round_zero_is_the_baseline():
    d = Monitor().decide(rounds((0.4, 0.5, 2.0)))
    assert (d.action, d.kind, d.best_round) == ("continue", "baseline", 0)


def test_divergence_stops_and_keeps_best_round():
    history = rounds((0.40, 0.50, 2.0), (0.50, 0.55, 2.0), (0.38, 0.80, 2.0))
    d = Monitor().decide(history)
    assert (d.action, d.kind, d.best_round) == ("stop", "divergence", 1)
    assert "approval rose 55.0% -> 80.0%" in d.reason and "50.0% -> 38.0%" in d.reason
    assert "keeping round 1 (better than round 0 beyond noise on gold)" in d.reason
    # a round 1 that is better only within noise is not worth keeping: the untouched student is
    history = rounds((0.40, 0.50, 2.0), (0.42, 0.55, 2.0), (0.30, 0.80, 2.0))
    d = Monitor().decide(history)
    assert (d.action, d.kind, d.best_round) == ("stop", "divergence", 0)
    assert "approval rose 50.0% -> 80.0%" in d.reason and "40.0% -> 30.0%" in d.reason
    assert "keeping round 0: no round beat the untouched student beyond noise" in d.reason


def test_gold_falling_without_approval_rising_is_not_divergence():
    history = rounds((0.40, 0.60, 2.0), (0.30, 0.60, 2.0))
    d = Monitor().decide(history)
    assert d.kind != "divergence" and d.action == "continue"
    assert d.best_round == 0


@pytest.mark.parametrize(
    "history",
    [
        # approval up a lot, gold down by a few items out of 300: noise
        rounds((0.40, 0.50, 2.0), (0.38, 0.90, 2.0)),
        # a big-looking drop on a tiny eval set is within its interval
        rounds((0.50, 0.50, 2.0), (0.30, 0.90, 2.0), n=10),
        # approval wobbles up by less than the minimum rise
        rounds((0.40, 0.50, 2.0), (0.30, 0.51, 2.0)),
        # held-out loss wobbling below the forgetting threshold
        rounds((0.40, 0.50, 2.0), (0.41, 0.52, 2.15), (0.39, 0.50, 2.1)),
    ],
)
def test_noise_does_not_trigger(history):
    d = Monitor().decide(history)
    assert (d.action, d.kind) == ("continue", "ok"), d.reason


def test_patience_needs_consecutive_diverging_rounds():
    mon = Monitor(MonitorConfig(patience=2))
    history = rounds((0.40, 0.50, 2.0), (0.30, 0.70, 2.0))
    assert mon.decide(history).action == "continue"
    history += rounds((0, 0, 0), (0, 0, 0), (0.28, 0.80, 2.0))[2:]
    assert mon.decide(history).kind == "divergence"


def test_min_rounds_delays_divergence():
    history = rounds((0.40, 0.50, 2.0), (0.30, 0.80, 2.0))
    assert Monitor(MonitorConfig(min_rounds=2)).decide(history).action == "continue"
    assert Monitor(MonitorConfig(min_rounds=1)).decide(history).action == "stop"


def test_forgetting_stops():
    history = rounds((0.40, 0.50, 2.0), (0.41, 0.50, 2.3))
    d = Monitor(MonitorConfig(forgetting_threshold=0.10)).decide(history)
    assert (d.action, d.kind, d.best_round) == ("stop", "forgetting", 0)
    assert "2.000 -> 2.300 (+15%" in d.reason


def test_forgetting_raises_replay_until_its_maximum():
    mon = Monitor(MonitorConfig(forgetting_action="raise_replay", replay_step=0.15, max_replay_share=0.6))
    history = rounds((0.40, 0.50, 2.0), (0.40, 0.50, 2.5))
    d = mon.decide(history, replay_share=0.3)
    assert (d.action, d.kind, d.replay_share) == ("continue", "forgetting", 0.45)
    d = mon.decide(history, replay_share=0.5)
    assert d.replay_share == 0.6  # capped
    d = mon.decide(history, replay_share=0.6)
    assert (d.action, d.kind, d.replay_share) == ("stop", "forgetting", None)
    with pytest.raises(ValueError, match="needs the current replay_share"):
        mon.decide(history)


def test_convergence_moves_on_then_stops():
    history = rounds((0.40, 0.50, 2.0), (0.41, 0.50, 2.0))
    for m in history:  # a judge that tells right from wrong (tests/test_judge.py: one that cannot)
        m["judge"] = {"tells": True, "approve_right": 0.9, "right": 40, "approve_wrong": 0.1, "wrong": 40, "j": 0.8,
                      "j_ci95": [0.7, 0.9]}
    mon = Monitor(MonitorConfig(converged_fault_rate=0.1))
    d = mon.decide(history, fault_rate=0.05, last_stage=False)
    assert (d.action, d.kind) == ("next_stage", "converged")
    d = mon.decide(history, fault_rate=0.05, last_stage=True)
    assert (d.action, d.kind, d.best_round) == ("stop", "converged", 0)
    assert mon.decide(history, fault_rate=0.30).action == "continue"
    # a stage must have run min_rounds rounds before it can converge
    assert Monitor(MonitorConfig(min_rounds=2)).decide(history, fault_rate=0.0, rounds_in_stage=1).action == "continue"


def test_divergence_outranks_convergence_and_budget():
    history = rounds((0.40, 0.50, 2.0), (0.25, 0.90, 2.0))
    d = Monitor(rounds=1).decide(history, fault_rate=0.0)
    assert d.kind == "divergence"


def test_budget():
    history = rounds((0.40, 0.50, 2.0), (0.41, 0.50, 2.0), (0.42, 0.50, 2.0))
    assert Monitor(rounds=2).decide(history).kind == "budget"
    assert Monitor(rounds=3).decide(history).action == "continue"


def test_best_round_must_beat_round_zero_beyond_noise():
    # better beyond noise: the highest accuracy wins, ties go to lower held-out loss, then the earlier round
    assert best_round(rounds((0.4, None, 2.0), (0.5, None, 1.9), (0.5, None, 1.8))) == 2
    assert best_round(rounds((0.4, None, 2.0), (0.5, None, 1.9), (0.5, None, 1.9))) == 1
    # within noise, equal, or bought with forgetting: round 0
    assert best_round(rounds((0.4, None, 2.0), (0.45, None, 1.9))) == 0
    assert best_round(rounds((0.4, None, None), (0.4, None, None))) == 0
    assert best_round(rounds((0.4, None, 2.0), (0.5, None, 3.0))) == 0
    # per set: one set up beyond noise and none down counts; a set down beyond noise vetoes
    up = with_sets(rounds((0.4, None, 2.0), (0.45, None, 2.0)), arithmetic=[0.12, 0.40], facts=[0.6, 0.58])
    assert best_round(up) == 1
    mixed = with_sets(rounds((0.4, None, 2.0), (0.45, None, 2.0)), arithmetic=[0.12, 0.40], facts=[0.6, 0.40])
    assert best_round(mixed) == 0
    # five sets give five chances to look better by luck: z = 2.2 on one of them is not enough
    sets = {f"s{i}": [0.5, 0.5] for i in range(4)}
    lucky = with_sets(rounds((0.5, None, 2.0), (0.52, None, 2.0)), s4=[0.50, 0.61], **sets)
    assert best_round(lucky) == 0
    assert best_round(with_sets(rounds((0.5, None, 2.0), (0.52, None, 2.0)), s4=[0.50, 0.61])) == 1


def test_significant_drop_uses_sample_size():
    big = dict(gold_accuracy=0.5, gold_n=1000)
    assert significant_drop(big, dict(gold_accuracy=0.44, gold_n=1000), MonitorConfig())
    assert not significant_drop(dict(gold_accuracy=0.5, gold_n=50), dict(gold_accuracy=0.44, gold_n=50), MonitorConfig())
    assert not significant_drop(big, dict(gold_accuracy=None, gold_n=0), MonitorConfig())


def test_missing_approval_never_diverges():
    history = rounds((0.40, None, 2.0), (0.20, None, 2.0))
    assert Monitor().decide(history).action == "continue"


def test_bad_history_and_config_are_rejected():
    with pytest.raises(ValueError, match="at least round 0"):
        Monitor().decide([])
    with pytest.raises(ValueError, match=r"history\[1\] has round 2"):
        Monitor().decide([dict(round=0), dict(round=2)])
    with pytest.raises(ValueError, match="forgetting_action"):
        MonitorConfig(forgetting_action="ignore")
    with pytest.raises(ValueError, match="noise_z"):
        MonitorConfig(noise_z=-1)


def test_decision_is_json_for_the_manifest():
    d = Decision("stop", "divergence", "why", 2)
    assert json.loads(json.dumps(d.to_dict())) == dict(action="stop", kind="divergence", reason="why", best_round=2,
                                                       replay_share=None, warnings=[])


def test_length_and_diversity_drift_warn_without_stopping():
    history = rounds((0.40, 0.50, 2.0), (0.41, 0.50, 2.0), (0.41, 0.50, 2.0))
    for m, (length, d2) in zip(history, [(30.0, 0.80), (36.0, 0.70), (50.0, 0.50)]):
        m.update(mean_answer_tokens=length, distinct_2=d2)
    d = Monitor().decide(history[:2])
    assert d.action == "continue" and d.warnings == []  # +20% length, 88% diversity: within bounds
    d = Monitor().decide(history)
    assert d.action == "continue"
    assert d.warnings == ["length drift: mean answer 30.0 -> 50.0 tokens since round 0",
                          "diversity falling: distinct-2 0.800 -> 0.500 since round 0"]
    # shorter counts as much as longer: the self-teacher demo's answers went 21.3 -> 15.1 tokens
    history[2].update(mean_answer_tokens=30.0 * 15.1 / 21.3, distinct_2=0.80)
    assert Monitor().decide(history).warnings == ["length drift: mean answer 30.0 -> 21.3 tokens since round 0"]


def test_an_rl_rounds_rising_reward_with_falling_gold_is_divergence():
    """Online RL: the round's own reward rose while gold accuracy fell beyond noise (approval flat)."""
    history = rounds((0.40, 0.50, 2.0), (0.28, 0.50, 2.0))
    rose = [{"reward_first": 0.2, "reward_last": 0.6}]
    rl = Monitor()
    d = rl.decide(history, training=rose, objectives=["grpo"])  # the objective says what its score did in the round
    assert d.kind == "divergence" and "reward rose 0.20 -> 0.60" in d.reason and d.best_round == 0
    # the same fall with a flat reward is no divergence (it may still be other trouble, but not this)
    assert rl.decide(history, training=[{"reward_first": 0.4, "reward_last": 0.41}],
                     objectives=["grpo"]).kind != "divergence"
    # and a rising reward with gold inside the noise is no divergence either
    assert rl.decide(rounds((0.40, 0.50, 2.0), (0.39, 0.50, 2.0)), training=rose, objectives=["grpo"]).kind != "divergence"
    # an objective without a score of its own (sft) reads nothing there, nor does a round of unknown objective
    assert rl.decide(history, training=rose, objectives=["sft"]).kind != "divergence"
    assert rl.decide(history, training=rose).kind != "divergence"
    # each round is read by its own objective: a schedule's GRPO round after a distillation round
    two = rounds((0.40, 0.50, 2.0), (0.41, 0.50, 2.0), (0.28, 0.50, 2.0))
    assert rl.decide(two, training=[{}, rose[0]], objectives=["distill", "grpo"]).kind == "divergence"
    assert rl.decide(two, training=[{}, rose[0]], objectives=["grpo", "distill"]).kind != "divergence"
