"""Choosing an RL round's prompts where the check can teach (distill.curate.screen): the prompts
whose sampled answers differ in the check come first, after a share drawn at random from all."""

from __future__ import annotations

from distill.curate.screen import choose, line, pass_rates
from distill.data.questions import Question
from distill.store.records import Sample


def test_prompts_whose_answers_differ_come_first_after_a_random_share():
    questions = [Question(question=f"q{i}", line=i + 1, format="short", gold=["x"]) for i in range(40)]
    # q0-q9: answers differ; q10-q19 all right; q20-q29 all wrong; q30-q39 unchecked
    passed = {**{i: [True, False, False, True] for i in range(10)}, **{i: [True] * 4 for i in range(10, 20)},
              **{i: [False] * 4 for i in range(20, 30)}}
    records = [Sample(round=1, index=i, prompt=f"q{i}", answer="", extra={"candidates_passed": p} if p else {})
               for i in range(40) for p in [passed.get(i)]]
    rates = pass_rates(records)
    assert len(rates) == 30 and rates["q0"] == 0.5 and rates["q10"] == 1.0 and rates["q20"] == 0.0
    chosen, counts = choose(questions, rates, 16, seed=3)
    assert len(chosen) == 16 and len({q.prompt for q in chosen}) == 16
    fresh, rest = chosen[:4], chosen[4:]  # a quarter drawn at random from all candidates
    spread = {f"q{i}" for i in range(10)}
    in_rest = 10 - sum(q.prompt in spread for q in fresh)
    assert [q.prompt in spread for q in rest] == [True] * in_rest + [False] * (12 - in_rest)
    assert spread <= {q.prompt for q in chosen}  # every prompt with spread is trained on
    after = [q.prompt for q in rest if q.prompt not in spread]
    assert all(int(p[1:]) >= 30 for p in after)  # then unchecked ones, before all-right or all-wrong ones
    assert counts == {"candidates": 40, "checked": 30, "with_spread": 10, "chosen": 16, "chosen_with_spread": 10}
    assert choose(questions, rates, 16, seed=3)[0] == chosen and choose(questions, rates, 16, seed=4)[0] != chosen
    assert "10 of the 30 checked" in line(counts)
    assert choose(questions, {}, 8, seed=0)[1]["chosen_with_spread"] == 0  # nothing checked: a random draw


def test_each_format_keeps_its_share_of_the_candidates():
    # 30 arithmetic problems the student always gets wrong, 10 yes/no questions whose answers differ: the screen
    # keeps arithmetic at three quarters of the chosen prompts rather than choosing every yes/no question first
    questions = ([Question(question=f"a{i}", line=i + 1, format="gsm8k", gold="3") for i in range(30)]
                 + [Question(question=f"y{i}", line=i + 31, format="yesno", gold=True) for i in range(10)])
    rates = {**{f"a{i}": 0.0 for i in range(30)}, **{f"y{i}": 0.5 for i in range(10)}}
    chosen, counts = choose(questions, rates, 20, seed=0)
    assert sum(q.format == "gsm8k" for q in chosen) == 15 and sum(q.format == "yesno" for q in chosen) == 5
    assert counts["chosen_with_spread"] == 5 and counts["with_spread"] == 10
    assert len(choose(questions, rates, 7, seed=1)[0]) == 7  # shares rounded to the count asked
