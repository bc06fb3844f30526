"""The verdict that sees the gains and the check that cannot be gamed (issue 34): the pooled paired
test, yes/no sets in yes-no pairs, bias and collapse named, the strict check against hedges."""

from __future__ import annotations

import json
import random

from distill.curate.rows import rl_rows
from distill.data.questions import Question
from distill.eval.metrics import _set_metrics
from distill.eval.stats import compare
from distill.eval.verdict import MonitorConfig, beats_round0, best_round, biased_sets, pooled, set_changes
from distill.loop.monitor import Monitor
from distill.train.grpo import collapse_warnings, rollout_answers


def changed(items: str, up: int, down: int, seed: int) -> str:
    """``items`` with ``up`` wrong items made right and ``down`` right items made wrong."""
    rng = random.Random(seed)
    out = list(items)
    wrong = [i for i, x in enumerate(out) if x == "0"]
    right = [i for i, x in enumerate(out) if x == "1"]
    for i in rng.sample(wrong, up):
        out[i] = "1"
    for i in rng.sample(right, down):
        out[i] = "0"
    return "".join(out)


def metrics(rnd: int, sets: dict[str, str], golds: dict[str, str] | None = None, loss: float = 2.0) -> dict:
    """A round's metrics from its item strings (golds for yes/no sets)."""
    out = {}
    for name, items in sets.items():
        out[name] = dict(accuracy=items.count("1") / len(items), n=len(items), correct=items.count("1"),
                         format="yesno" if golds and name in golds else "short", items=items)
        if golds and name in golds:
            out[name]["golds"] = golds[name]
    right, n = sum(s.count("1") for s in sets.values()), sum(len(s) for s in sets.values())
    return dict(round=rnd, gold_accuracy=right / n, gold_n=n, gold_correct=right, sets=out, heldout_loss=loss)


def old_per_set_rule(base: dict, cur: dict, config: MonitorConfig) -> bool:
    """The rule before the pooled one: better beyond noise on at least one set (Holm), worse on none,
    overall accuracy not lower."""
    up, down = set_changes(base, cur, config)
    return bool(up) and not down and cur["gold_accuracy"] >= base["gold_accuracy"]


def start(n: int = 100, seed: int = 0) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("01") for _ in range(n))


def test_gains_spread_over_sets_are_seen_pooled_and_were_not_per_set():
    """Five sets of 100 items, each 8 points better (12 newly right, 4 newly wrong): no set beyond
    its own noise (p 0.08 each, Holm over five), all 500 items beyond noise together."""
    names = ["a", "b", "c", "d", "e"]
    r0 = {k: start(seed=i) for i, k in enumerate(names)}
    r1 = {k: changed(v, 12, 4, seed=i) for i, (k, v) in enumerate(r0.items())}
    history = [metrics(0, r0), metrics(1, r1)]
    config = MonitorConfig()
    t = pooled(history[0], history[1])
    assert (t.n, t.b, t.c) == (500, 60, 20) and t.p < 1e-4
    assert not old_per_set_rule(history[0], history[1], config)
    assert beats_round0(history, history[1], config) and best_round(history) == 1
    assert "better than round 0 beyond noise on all 500 eval items pooled: +8.0 points" in Monitor().keeping(history)


def test_one_set_rising_25_points_on_100_items_is_recommended():
    """The issue's case: one set of 100 items up 25 points, the other four unmoved. (At 100 items such
    a rise is beyond noise per set too: the per-set rule missed it at 20 items a set.)"""
    r0 = {k: start(seed=i) for i, k in enumerate("abcde")}
    r1 = dict(r0, a=changed(r0["a"], 30, 5, seed=9))
    history = [metrics(0, r0), metrics(1, r1)]
    assert best_round(history) == 1
    # the same change at the recipes' old 20 items a set: neither rule can see 5 items
    small0 = {k: v[:20] for k, v in r0.items()}
    small1 = dict(small0, a=changed(small0["a"], 5, 0, seed=1))
    assert best_round([metrics(0, small0), metrics(1, small1)]) == 0


def test_a_yes_no_set_that_flips_its_default_answer_is_no_change():
    golds = "yn" * 30
    no_to_all = "".join("1" if g == "n" else "0" for g in golds)  # "No." to every question
    yes_to_all = "".join("1" if g == "y" else "0" for g in golds)  # then "Yes." to every one
    assert compare(no_to_all, yes_to_all).b == 30  # item by item: 30 newly right, 30 newly wrong
    t = compare(no_to_all, yes_to_all, golds)
    assert (t.b, t.c, t.diff, t.p) == (0, 0, 0.0, 1.0)  # in yes-no pairs: nothing changed
    facts = start(seed=3)
    history = [metrics(0, {"yesno": no_to_all, "facts": facts}, {"yesno": golds}),
               metrics(1, {"yesno": yes_to_all, "facts": facts}, {"yesno": golds})]
    assert pooled(history[0], history[1]).b == 0 and best_round(history) == 0
    # a student that learns to tell yes from no is a gain in pairs too
    learned = changed(no_to_all, 20, 0, seed=4)
    history[1] = metrics(1, {"yesno": learned, "facts": facts}, {"yesno": golds})
    assert pooled(history[0], history[1]).b == 20 and best_round(history) == 1


def test_a_set_answered_all_the_same_is_named():
    items = [{"gold": "yes" if i % 2 else "no", "answer": "No, it is not.", "correct": i % 2 == 0}
             for i in range(20)]
    m = _set_metrics(dict(accuracy=0.5, ci95=[0.3, 0.7], n=20, correct=10, format="yesno", items=items))
    assert (m["top_answer"], m["top_share"], m["golds"][:4]) == ("no", 1.0, "nyny")
    history = [dict(round=0, gold_accuracy=0.5, sets={"yesno": m})]
    assert biased_sets(history[0], MonitorConfig()) == {"yesno": ("no", 1.0, 20)}
    history.append(dict(history[0], round=1))
    d = Monitor().decide(history)
    assert any("yesno: answers 'no' to 20 of 20: this set measures the default answer" in w for w in d.warnings)


def test_a_set_worse_beyond_noise_still_blocks_a_round():
    r0 = {k: start(seed=i) for i, k in enumerate("abcde")}
    r1 = {k: changed(v, 20, 2, seed=i) for i, (k, v) in enumerate(r0.items())}
    r1["e"] = changed(r0["e"], 0, 25, seed=7)  # one set 25 points worse
    history = [metrics(0, r0), metrics(1, r1)]
    t = pooled(history[0], history[1])
    assert t.diff > 0 and t.p < 0.05  # better pooled...
    assert set_changes(history[0], history[1], MonitorConfig())[1] == ["e"]  # ...but worse on e
    assert best_round(history) == 0


def test_a_gain_inside_the_noise_says_how_many_items_would_show_it():
    r0 = {k: start(n=20, seed=i) for i, k in enumerate("abcde")}
    r1 = {k: changed(v, 2, 1, seed=i) for i, (k, v) in enumerate(r0.items())}
    reason = Monitor().keeping([metrics(0, r0), metrics(1, r1)])
    assert "round 1: a gain of 5.0 points" in reason and "is possible but not shown" in reason
    assert "distill eval RUN_DIR/round-01/model --limit " in reason


def test_rounds_worse_beyond_noise_are_named_when_round_0_is_kept():
    """The distill run's case: rounds 1 and 2 worse than round 0 beyond noise pooled; the reason says
    so rather than only that no round beat it."""
    r0 = {k: start(seed=i) for i, k in enumerate("abcde")}
    r1 = {k: changed(v, 4, 12, seed=i) for i, (k, v) in enumerate(r0.items())}
    r2 = {k: changed(v, 5, 6, seed=i) for i, (k, v) in enumerate(r0.items())}
    reason = Monitor().keeping([metrics(0, r0), metrics(1, r1), metrics(2, r2)])
    assert reason.startswith("keeping round 0: no round beat the untouched student beyond noise; worse than round 0 "
                             "beyond noise on all items pooled: round 1 -8.0 points (p ")
    assert "round 2" not in reason  # -1 point: inside the noise


def test_a_rollout_log_answering_yes_to_every_yes_no_prompt_is_a_collapse():
    rows = [{"reward": "reference", "format": "yesno", "completion": "Yes.", "value": float(i % 2)} for i in range(32)]
    rows += [{"reward": "reference", "format": "gsm8k", "completion": f"3 + {i} = {3 + i}", "value": 1.0}
             for i in range(16)]
    rows += [{"reward": "verifier", "format": "yesno", "completion": "No.", "value": 0.0} for _ in range(32)]
    answers = rollout_answers(rows)
    assert answers["yesno"] == {"n": 32, "top": "yes", "share": 1.0}  # the first reward's rows only
    assert answers["gsm8k"]["share"] == 1 / 16
    warnings = collapse_warnings({"answers": answers}, MonitorConfig().bias_share)
    assert warnings == ["collapse: the policy answers 'yes' to 100% of yes/no prompts (32 rollouts)"]
    r0 = {"a": start(seed=1)}
    d = Monitor().decide([metrics(0, r0), metrics(1, r0)], training=[{"answers": answers}], objectives=["grpo"])
    assert warnings[0] in d.warnings


def test_rl_prompts_of_yes_no_kind_are_balanced_within_each_step():
    qs = [Question(f"yes {i}?", format="yesno", gold=True) for i in range(7)]
    qs += [Question(f"no {i}?", format="yesno", gold=False) for i in range(5)]
    qs += [Question(f"fact {i}?", format="short", gold=["x"]) for i in range(9)]
    rows = rl_rows(qs, per_step=2, seed=3)
    golds = [json.loads(r["question"])["gold"] for r in rows]
    assert len(rows) == 9 + 2 * 5  # two unpaired yes prompts left out
    for step in range(0, len(rows) - 1, 2):
        pair = golds[step:step + 2]
        if True in pair or False in pair:
            assert sorted(map(str, pair)) == ["False", "True"], (step, pair)


def test_the_report_shows_the_pooled_verdict_what_it_could_see_and_the_collapse(tmp_path):
    from distill.publish.report import write_report
    from distill.store.records import RoundSummary

    golds = "yn" * 10
    r0 = {"facts": start(n=20, seed=1), "yesno": "".join("1" if g == "n" else "0" for g in golds)}
    r1 = {"facts": changed(r0["facts"], 3, 1, seed=2), "yesno": "".join("1" if g == "y" else "0" for g in golds)}
    history = [metrics(0, r0, {"yesno": golds}), metrics(1, r1, {"yesno": golds})]
    for m, top in zip(history, ("no", "yes")):
        m["sets"]["yesno"].update(top_answer=top, top_share=1.0)
    m = history[1]["sets"]["facts"]
    m["strict_accuracy"] = m["accuracy"] - 0.05
    answers = {"yesno": {"n": 40, "top": "yes", "share": 1.0}}
    summary = RoundSummary(round=1, objective="grpo", train_metrics={"reward": 0.5, "steps": 4, "answers": answers})
    decision = Monitor().decide(history, training=[summary.train_metrics], objectives=[summary.objective])
    text = write_report(tmp_path, history, decision, rounds=[summary]).read_text()
    assert "Best round: **0**" in text
    assert ("This eval could detect a change of 24 points over all 40 items pooled, and per set: facts 34 (20 items), "
            "yesno 34 (20 items)") in text
    assert "| 1 | **all (pooled)** | 40 | 3 | 1 |" in text  # the yes/no flip adds nothing to the pooled test
    assert "| 1 | yesno (pairs) | 20 | 0 | 0 | +0.0" in text
    assert "round 0, yesno: answers 'no' to 20 of 20: this set measures the default answer" in text
    assert "collapse: the policy answers 'yes' to 100% of yes/no prompts (40 rollouts)" in text
    assert "yesno: 'yes' 100% of 40" in text
    assert "is possible but not shown" in text


def test_a_distillation_teacher_that_knows_no_more_than_the_student_is_named():
    r0 = {k: start(seed=i) for i, k in enumerate("abcde")}
    history = [metrics(0, r0), metrics(1, r0)]
    knows = {"teacher": {"checked": 100, "right": 60}, "distill": {"student_checked": 100, "student_right": 25}}
    same = {"teacher": {"checked": 100, "right": 25}, "distill": {"student_checked": 100, "student_right": 25}}
    monitor = Monitor()
    assert not any("knows no more" in w for w in monitor.decide(history, training=[knows], objectives=["distill"]).warnings)
    (warning,) = [w for w in monitor.decide(history, training=[same], objectives=["distill"]).warnings
                  if "knows no more" in w]
    assert warning == ("the distillation teacher knows no more than the student: right on 25% of the round's 100 "
                       "checkable prompts, the student on 25%; distilling from it teaches nothing")
