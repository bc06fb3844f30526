"""The checks (distill/checks/), each in its one home: reference matching by format (lenient and
strict), the working check, verdict parsing and what a verdict counts for."""

from __future__ import annotations

import pytest

from distill.checks import reference as scoring
from distill.checks.verdict import approval, parse_verdict, verdict_reward
from distill.checks.working import false_working, verify
from distill.data.questions import Question

# ----------------------------------------------------------------------------- reference matching


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  A   cat, an  owl & THE dog.", "cat owl dog"),
        ("Theatre and another", "theatre and another"),  # articles only as whole words
        ("It costs $1,200.", "it costs 1200"),
        ("7.0 apples", "7 apples"),
        ("2.50 liters", "2.5 liters"),
        ("New-Delhi", "new delhi"),
    ],
)
def test_normalize_answer(raw, expected):
    assert scoring.normalize_answer(raw) == expected


@pytest.mark.parametrize(
    "answer, aliases, expected",
    [
        ("The capital of France is Paris.", ["Paris"], True),
        ("It is a Parisian cafe.", ["Paris"], False),  # whole words only
        ("I am bored.", ["red"], False),
        ("The capital is New Delhi.", ["New Delhi", "Delhi"], True),
        ("There are seven days in a week.", ["7", "seven"], True),
        ("A week has 7.0 days", ["7"], True),  # numbers compare as numbers
        ("A week has 70 days", ["7"], False),
        ("", ["Paris"], False),
        ("It is the Sun.", ["the Sun"], True),
    ],
)
def test_alias_match(answer, aliases, expected):
    assert scoring.alias_match(answer, aliases) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5 + 3 = 8\n#### 8", 8.0),
        ("first 3, then 12.", 12.0),
        ("#### 1,200 dollars", 1200.0),
        ("The answer is -4", -4.0),
        ("no digits here", None),
        ("we get 2.5 and #### 7", 7.0),
    ],
)
def test_final_number(text, expected):
    assert scoring.final_number(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("No, yes.", False), ("Yes! It is.", True), ("Yesterday I knew.", None), ("I think so", None), ("NO.", False)],
)
def test_first_yes_no(text, expected):
    assert scoring.first_yes_no(text) is expected


def test_a_hedged_answer_fails_the_strict_check_and_passes_the_lenient_one():
    q = Question("Which continent is Angola in?", format="short", gold=["Africa"])
    for hedge in ("Africa or South America", "It could be Africa, Asia and Europe.",
                  "Angola refers to the southern part of Africa, but the Iberian Peninsula or South America"):
        assert q.check(hedge) and not q.check(hedge, strict=True), hedge
    for plain in ("Africa.", "Angola is in Africa, on the Atlantic coast."):
        assert q.check(plain, strict=True), plain
    yn = Question("Is the Sun a star?", format="yesno", gold=True)
    assert yn.check("Yes or no: it depends.") and not yn.check("Yes or no: it depends.", strict=True)
    assert yn.check("Yes, the Sun is a star.", strict=True)



# ----------------------------------------------------------------------------- working


def test_verify_computes_every_equation_and_reads_the_final_number():
    assert verify("3 + 4 = 7, 7 * 2 = 14. The answer is 14.", "#### 14").passed
    wrong_step = verify("3 + 4 = 8, 8 * 2 = 16. The answer is 16.", "#### 16")
    assert not wrong_step.passed and [eq.text for eq in wrong_step.false] == ["3 + 4 = 8"]
    wrong_final = verify("3 + 4 = 7. The answer is 7.", "#### 14")
    assert (wrong_final.final, wrong_final.final_right, wrong_final.checks) == (7.0, False, 2)
    assert verify("3 + 4 = 7", None).final_right is None  # no reference number: the final is not judged
    # the caller's own reading of the final answer (the loop's reference check) wins over the last number
    assert verify("The answer is 14, after 3 + 4 = 7", "#### 14", final_right=True).passed


def test_false_working_needs_a_numeric_reference():
    assert false_working("The answer is 6.", "42 / 7 = 6\n#### 6") is None  # nothing to check is no fault
    assert false_working("42 / 7 = 5", "#### 6") == "false step '42 / 7 = 5'"
    assert false_working("42 / 7 = 5", "Oslo") is None


# ----------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("The sum is wrong.\nVERDICT: FAULT", "fault"),
        ("Fine.\n**Verdict:** No fault.", "no_fault"),
        ("verdict - no_fault", "no_fault"),
        ("VERDICT: NOFAULT", "no_fault"),
        ("Verdict: faults found", "fault"),
        ("VERDICT:\n\nNO FAULT", "no_fault"),
        ("There is a fault here.", "unparseable"),  # no verdict line
        ("", "unparseable"),
        ("VERDICT: FAULT / NO FAULT", "unparseable"),  # names both
        ("VERDICT: FAULT\nif you found one, or\nVERDICT: NO FAULT", "unparseable"),  # echoed instruction
        ("VERDICT: maybe", "unparseable"),
    ],
)
def test_verdict_parsing_is_tolerant_and_never_guesses_no_fault(text, verdict):
    assert parse_verdict(text) == verdict



def test_a_verdict_counts_as_approval_and_as_reward():
    assert [approval(v) for v in ("no_fault", "fault", "unparseable", "error")] == [True, False, None, None]
    assert [verdict_reward(v) for v in ("no_fault", "fault", "unparseable")] == [1.0, 0.0, None]
