"""Paired statistics for rounds scored on the same items, against known values, and the monitor's
decisions made with them."""

from __future__ import annotations

import pytest

from distill.eval.stats import compare, detectable_change, holm, items_needed, mcnemar, paired_difference
from distill.eval.verdict import MonitorConfig, best_round, set_changes
from distill.loop.monitor import Monitor


@pytest.mark.parametrize("b, c, p", [(0, 5, 0.0625), (1, 9, 0.021484375), (2, 8, 0.109375), (3, 3, 1.0), (0, 0, 1.0),
                                     (9, 1, 0.021484375)])
def test_exact_mcnemar_on_small_counts(b, c, p):
    assert mcnemar(b, c) == pytest.approx(p, abs=1e-12)


def test_the_teacher_comparisons_split_is_far_beyond_noise_paired():
    # README's teacher comparison: 85 arithmetic problems became right and 34 wrong, of 300
    assert mcnemar(85, 34) == pytest.approx(3.2838e-06, rel=1e-3)
    d, lo, hi = paired_difference(300, 85, 34)
    assert d == pytest.approx(0.17) and lo == pytest.approx(0.1014, abs=1e-3) and hi == pytest.approx(0.2386, abs=1e-3)


def test_holm_steps_down():
    assert holm({"a": 0.01, "b": 0.02, "c": 0.04}, 0.05) == {"a", "b", "c"}  # 0.01<0.05/3, 0.02<0.05/2, 0.04<0.05
    assert holm({"a": 0.01, "b": 0.03, "c": 0.04}, 0.05) == {"a"}  # 0.03 > 0.025 stops
    assert holm({"a": 0.2}, 0.05) == set()


def test_the_smallest_detectable_change_shrinks_with_items():
    assert detectable_change(20) > 0.3 > detectable_change(100) > 0.15 > detectable_change(300) > 0.08
    assert items_needed(0.10) == 236 and detectable_change(items_needed(0.10)) <= 0.10


def metrics(n_round: int, sets: dict[str, str], loss: float = 2.0, approval: float = 0.5) -> dict:
    out = {name: {"accuracy": s.count("1") / len(s), "n": len(s), "correct": s.count("1"), "ci95": [0, 1], "items": s}
           for name, s in sets.items()}
    all_items = "".join(sets[k] for k in sorted(sets))
    return {"round": n_round, "gold_accuracy": all_items.count("1") / len(all_items), "gold_n": len(all_items),
            "gold_correct": all_items.count("1"), "sets": out, "heldout_loss": loss, "approval_rate": approval}


def test_paired_data_sees_what_two_proportions_miss():
    # 40 items: round 1 turns 8 wrong answers right and none right answers wrong. As two independent
    # proportions (15/40 vs 23/40) that is inside the noise; paired (8 vs 0 discordant) it is not.
    base = "1" * 15 + "0" * 25
    cur = "1" * 15 + "1" * 8 + "0" * 17
    h = [metrics(0, {"arith": base}), metrics(1, {"arith": cur})]
    assert set_changes(h[0], h[1], MonitorConfig()) == (["arith"], [])
    unpaired = [{k: v for k, v in m.items()} for m in h]
    for m in unpaired:
        m["sets"] = {k: {kk: vv for kk, vv in s.items() if kk != "items"} for k, s in m["sets"].items()}
    assert set_changes(unpaired[0], unpaired[1], MonitorConfig()) == ([], [])  # an old run folder decides as before
    assert best_round(h) == 1 and best_round(unpaired) == 0


def test_rounds_inside_the_noise_of_each_other_are_tied_and_the_rule_picks():
    base = "0" * 100
    r1 = "1" * 30 + "0" * 70  # 30% right
    r2 = "1" * 28 + "0" * 72  # 28%: two items fewer than round 1, the same items otherwise
    h = [metrics(0, {"arith": base}, 2.0), metrics(1, {"arith": r1}, 1.8), metrics(2, {"arith": r2}, 1.7)]
    assert best_round(h, MonitorConfig(tie_break="later")) == 2
    assert best_round(h, MonitorConfig(tie_break="heldout_loss")) == 2
    h[2]["heldout_loss"] = 1.9
    assert best_round(h, MonitorConfig(tie_break="heldout_loss")) == 1
    r3 = "1" * 10 + "0" * 90  # clearly worse than round 1 (20 newly wrong): not tied, not picked
    h3 = [metrics(0, {"arith": base}), metrics(1, {"arith": r1}), metrics(2, {"arith": r3})]
    assert best_round(h3) == 1


def test_divergence_is_judged_paired_too():
    base = "1" * 50 + "0" * 50
    worse = "1" * 35 + "0" * 65  # 15 newly wrong, none newly right
    d = Monitor().decide([metrics(0, {"s": base}, approval=0.4), metrics(1, {"s": worse}, approval=0.7)])
    assert d.kind == "divergence"
