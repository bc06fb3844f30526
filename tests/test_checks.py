"""The checks (distill/checks/), each in its one home: the number grammar and GSM8K's notation,
reference matching by format (lenient and strict), the working check, verdict parsing and what a
verdict counts for; and the one loader of ``module.path:NAME`` specs."""

from __future__ import annotations

import pytest

from distill.checks import numbers
from distill.checks import reference as scoring
from distill.checks.verdict import approval, parse_verdict, verdict_reward, without_verdict
from distill.checks.working import equations, false_working, same_result, verify
from distill.data.questions import Question
from distill.errors import SpecError
from distill.loading import load_object

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


# ----------------------------------------------------------------------------- numbers: one grammar, one tolerance


@pytest.mark.parametrize(
    "text, expected",
    [
        ("It costs $1,200 or 1,200.50 in all.", [1200.0, 1200.5]),  # thousands separators, decimals, a currency sign
        ("Groups of three only: 1,23 and 12,3456", [1.0, 23.0, 12.0, 3456.0]),
        ("It fell to -4, then -0.5; 10-3 is 7.", [-4.0, -0.5, 10.0, 3.0, 7.0]),  # a minus after a digit is an operator
        ("the 3rd box, item x2, v1.5 and .5 hold none; (7) and 5% do", [7.0, 5.0]),  # glued to a word or a dot
        ("2.5.", [2.5]),
        ("", []),
    ],
)
def test_the_number_grammar(text, expected):
    assert numbers.numbers_in(text) == expected


def test_final_and_last_number_and_where_it_is_written():
    text = "So 5 + 3 = 8 #### 8 apples, 9 pears"
    assert numbers.final_number(text) == 8.0 and numbers.last_number(text) == 9.0  # after ####, else the last
    assert numbers.final_number("no marker: 4 then 1,500") == numbers.last_number("no marker: 4 then 1,500") == 1500.0
    assert numbers.final_number(None) is numbers.last_number("") is None
    assert numbers.number_spans("total: 1,500 kg") == [(7, 12, 1500.0)]
    assert numbers.canonical_numbers("$1,200.0 or 2.50") == "$1200 or 2.5"


def test_one_tolerance_for_answers_and_for_worked_arithmetic():
    assert numbers.same_number(1200.0, 1200.0000001) and numbers.same_number(1e9, 1e9 + 100)  # relative to the larger
    assert not numbers.same_number(3.33, 10 / 3) and not numbers.same_number(None, 1.0)
    assert numbers.same_number(3.33, 10 / 3, places=2) and not numbers.same_number(3.3, 10 / 3, places=2)
    assert same_result(3.33, 10 / 3) and not same_result(3.3, 10 / 3)  # worked arithmetic rounds to two places
    assert verify("10 / 3 = 3.33. The answer is 3.33.", "#### 3.33").passed


def test_the_equation_grammar_is_the_number_grammar():
    eqs = equations("1,200 / 4 = 300 and 12x3 = 36, (4 + 5) * 2 = 18; 1234,567 + 1 = 568")
    assert [(eq.lhs, eq.stated, eq.value) for eq in eqs] == [
        ("1,200 / 4", 300.0, 300.0), ("12x3", 36.0, 36.0), ("(4 + 5) * 2", 18.0, 18.0), ("567 + 1", 568.0, 568.0)]


def test_gsm8k_references_are_split_and_written_in_one_place():
    assert numbers.split_worked("Half of 10 is 5.\n#### 5") == ("Half of 10 is 5.", "5")
    assert numbers.split_worked("a #### 1 #### 1,200") == ("a #### 1", "1,200")  # the last marker
    assert numbers.split_worked("#### 7") == ("", "7") and numbers.split_worked("just 7") is None
    assert numbers.render_worked("Half of 10 is 5.", "5") == "Half of 10 is 5. The answer is 5."
    assert numbers.render_worked("", "7") == "The answer is 7."
    # the data file, the distill objective's reference text and the arithmetic teacher's correction all use them
    from distill.data.questions import FieldError, parse_question
    from distill.train.onpolicy import reference_text

    q = parse_question({"question": "Half of 10?", "answer": "Half of 10 is 5.\n#### 5"})
    assert (q.format, q.gold) == ("gsm8k", 5.0)
    assert reference_text(q) == "Half of 10 is 5. The answer is 5."
    with pytest.raises(FieldError, match=r"no number after '####' in 'five'"):
        parse_question({"question": "Half of 10?", "answer": "Half of 10 is 5.\n#### five"})


def test_without_verdict_leaves_the_reasoning():
    assert without_verdict("Step 2 adds 3.\nVERDICT: FAULT") == "Step 2 adds 3."
    assert without_verdict("It is wrong.\n**Final verdict:** FAULT\n") == "It is wrong."  # every line the parser reads
    assert without_verdict("It is wrong.\nVERDICT:\n\nFAULT") == "It is wrong."  # and the outcome under a bare label
    assert without_verdict("VERDICT:\nStep 2 is wrong.") == "Step 2 is wrong."  # not an outcome: reasoning
    assert without_verdict("A.\n\nVERDICT: FAULT\nB.") == "A.\n\n\nB."  # the text keeps its shape
    reason = without_verdict("Wrong sum.\nVerdict - NO FAULT")
    assert parse_verdict(reason + "\nVERDICT: FAULT") == "fault"  # a taught critique has one verdict


# ----------------------------------------------------------------------------- module.path:NAME specs


def test_load_object_has_one_error_type_and_one_message_shape():
    assert load_object("os.path:join", "reward") is __import__("os").path.join
    for spec, said in [
        ("no_colon", r"^reward 'no_colon': expected module.path:NAME$"),
        (":join", r"^reward ':join': expected module.path:NAME$"),
        ("os.path:", r"^reward 'os.path:': expected module.path:NAME$"),
        ("no_such_mod:f", r"^reward 'no_such_mod:f': cannot import module 'no_such_mod' \(No module named"),
        ("os.path:nope", r"^reward 'os.path:nope': module 'os.path' has no 'nope'$"),
        ("os:sep", r"^reward 'os:sep': 'sep' is not a function$"),
    ]:
        with pytest.raises(SpecError, match=said):
            load_object(spec, "reward", accept=callable, expected="a function")
    # each kind of spec goes through it: objectives, rewards, teachers, trainers
    from distill.train.objective import Step, get
    from distill.train.rewards import load_user_reward
    from teachers import load_teacher

    with pytest.raises(SpecError, match=r"^objective 'os:sep': 'sep' is not an Objective$"):
        get("os:sep")
    with pytest.raises(SpecError, match=r"^reward 'os:nope': module 'os' has no 'nope'$"):
        load_user_reward("os:nope")
    with pytest.raises(SpecError, match=r"^teacher 'os:nope': module 'os' has no 'nope'$"):
        load_teacher("os:nope")
    with pytest.raises(SpecError, match=r"^trainer 'os:sep': 'sep' is not a function$"):
        Step(name="s", trl_config="SFTConfig", defaults={}, section="sft", trainer="os:sep").build_trainer()
