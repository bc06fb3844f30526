"""Checked is not clean: the targets a reference check passed, read by eye in a real grounded run,
must be cleaned or dropped by the target review — and the same targets with the leak removed must
pass it unchanged."""

from __future__ import annotations

import pytest

from distill.core import Item, Principle
from distill.curate.filters import FilterConfig, SampleFilter
from distill.curate.targets import LeakCheck, TargetReview
from distill.data.principles import load_principles
from distill.data.questions import parse_question
from distill.store.records import Sample
from teachers import Teacher

PRINCIPLES = [p for stage in load_principles() for p in stage.principles]
INSTRUCTIONS = [text for p in PRINCIPLES for text in Teacher().instructions(p)]


def question(prompt: str, answer) -> object:
    return parse_question({"question": prompt, "answer": answer})


def review(target: str, q, critique: str = "", trim: bool = True):
    return TargetReview(LeakCheck(INSTRUCTIONS), trim=trim).review(
        target, prompt=q.prompt, reference=q.reference, critique=critique, check=q.check,
        arithmetic=q.format == "gsm8k", short=q.format in ("short", "yesno"))


BAGS = question("44 apples are packed into 4 bags of the same size. How many apples are in each bag?",
                "44 / 4 = 11\n#### 11")
SHELF = question("A shelf holds 9 rows of 6 jars. 17 jars are taken away. How many jars are left?",
                 "9 * 6 = 54; 54 - 17 = 37\n#### 37")
BEADS = question("Mia has 33 beads and buys 49 more. How many beads does she have now?", "33 + 49 = 82\n#### 82")
ROPE = question("A rope 42 metres long is cut into 7 pieces of equal length. How long is each piece?",
                "42 / 7 = 6\n#### 6")
WELLS = question("Who wrote The Time Machine?", ["H.G. Wells", "H. G. Wells", "Wells"])


@pytest.mark.parametrize("q, target, clean", [
    # the revision instruction leaked, after GSM8K's markup
    (BAGS, "44 / 4 = 11 #### 11  The answer is incorrect.  Task: Rewrite the answer with working and result that "
           "agree with each other, fixing the first wrong step and everything that depends on it.", "44 / 4 = 11"),
    # the reference's framing leaked
    (SHELF, "9 * 6 = 54; 54 - 17 = 37 #### 37  The answer is  Reference answer (trusted to be correct): 9 * 6 = 54; "
            "54 - 17 = 37", "9 * 6 = 54; 54 - 17 = 37"),
])
def test_leaked_instructions_and_markup_are_cut_and_the_rest_still_passes(q, target, clean):
    done = review(target, q)
    assert done.target == clean and done.dropped is None and "leak" in done.cleaned
    assert q.check(done.target)
    again = review(clean, q)  # the same record with the leak removed passes unchanged
    assert (again.target, again.dropped, again.cleaned) == (clean, None, {})


def test_critique_talk_copied_into_the_target_is_cut():
    critique = "The answer is incorrect. The correct answer is 82.\nVERDICT: FAULT"
    done = review("The answer is incorrect.  The correct answer is 82.", BEADS, critique)
    assert done.target == "The correct answer is 82." and "critique" in done.cleaned
    assert review("The correct answer is 82.", BEADS, critique).cleaned == {}


def test_instruction_text_with_nothing_left_is_dropped():
    ungrounded = question("Is the statement consistent: the sky is green and it is not green?", True)
    done = review("The task is to read the answer sentence so that it says one consistent thing.", ungrounded)
    assert done.target is None and done.dropped.startswith("leaked instruction text")


def test_a_verdict_line_in_a_revision_is_cut_or_the_target_dropped():
    """Revisions the student wrote as a self-bootstrap's reviser, read by eye in a real run (prompts
    without references): a verdict line, misspelled, before the answer or as the whole of it."""
    def unchecked(target: str):
        return TargetReview(LeakCheck(INSTRUCTIONS)).review(target, prompt="Give three tips for saving energy at home.",
                                                             reference=None)

    done = unchecked("Verdict: FAULTS\n\n1. Use energy-efficient appliances.")
    assert done.target == "1. Use energy-efficient appliances." and "verdict line" in done.cleaned["leak"]
    done = unchecked("VerdICT: FAAL")
    assert done.target is None and done.dropped == "leaked a verdict line 'VerdICT:'"
    assert unchecked("1. Use energy-efficient appliances.").cleaned == {}


def test_working_is_checked_not_only_the_result():
    # the final number passes the reference check, the working does not hold
    assert review("Each piece of the rope is 2 times the length of the original rope.  The answer is 6.",
                  ROPE).dropped == "working: the number 2 comes from neither the question nor the working"
    # the same false claim with numbers the question has: no equation to check, so only the answer is kept
    rope2 = question("A rope 12 metres long is cut into 2 pieces of equal length. How long is each piece?",
                     "12 / 2 = 6\n#### 6")
    done = review("A rope 12 metres long is cut into 2 equal parts. Each piece of the rope is 2 times the length of "
                  "the original rope.\n\nThe answer is 6.", rope2)
    assert done.target == "The answer is 6." and "trim" in done.cleaned
    assert review("42 / 7 = 5. So each piece is 6 metres.", ROPE).dropped == "working: false step '42 / 7 = 5'"
    assert review("42 + 7 = 49. The answer is 6.", ROPE).dropped == \
        "working: final number 6 does not follow from the working"
    for good in ("42 / 7 = 6. Each piece is 6 metres long.", "Each of the 7 pieces is 6 metres long."):
        assert review(good, ROPE).target == good


NORWAY = question("Which continent is Norway part of?", "Europe")
JUNGLE = question("Did Jack London write The Jungle Book?", False)


@pytest.mark.parametrize("q, target, clean", [
    (WELLS, "The Time Machine was written by H.G. Wells. He was a Canadian author of science fiction.",
     "The Time Machine was written by H.G. Wells."),
    # false side claims in the very sentence that carries the answer (issue 24's examples)
    (WELLS, "The Time Machine is a work of H.G. Wells, a Canadian author of science fiction.",
     "The Time Machine is a work of H.G. Wells."),
    (NORWAY, "Norway is part of Europe, but it is also a sovereign state within the European Union.",
     "Norway is part of Europe."),
    # a revision that repeats the student's cut-off, false answer and appends the checked one
    (JUNGLE, "The Jungle Book: A Tale of the Jungle, written by A.J. Ackum, is a classic example of a literary "
             "masterpiece. However, the original Jungle Book was originally published in 1954 by HarperCollins, "
             "and it was\n\nThe answer is:\nno", "no"),
])
def test_side_claims_around_a_short_answer_are_cut(q, target, clean):
    done = review(target, q)
    assert done.target == clean and "trim" in done.cleaned and q.check(done.target)
    again = review(clean, q)  # what is left passes unchanged
    assert (again.target, again.cleaned) == (clean, {})
    assert review(target, q, trim=False).cleaned == {}


def test_a_numbers_thousands_comma_is_not_a_clause():
    big = question("How many metres are in a kilometre?", ["1,000", "1000"])
    assert big.check("There are 1,000 metres in a kilometre.")
    assert review("There are 1,000 metres in a kilometre.", big).cleaned == {}


def test_a_principles_file_of_one_word_requests_does_not_make_every_target_look_leaked():
    short = [Principle("terse", critique="Check.", revision="Fix.")]
    leaks = LeakCheck([text for p in short for text in Teacher().instructions(p)])
    for target in ("Fix the answer: it is 12.", "Check the facts: Paris is the capital of France.", "Paris."):
        assert leaks.find(target) is None, target
    with pytest.raises(Exception, match="leak_min_words must be >= 2"):
        FilterConfig(leak_min_words=1)


def test_the_filter_records_what_it_cleaned_and_why_it_dropped():
    filt = SampleFilter(FilterConfig(), instructions=INSTRUCTIONS)
    kept = filt.apply(Sample(round=1, index=0, prompt=BAGS.prompt, answer="44 / 4 = 10", reference=BAGS.reference,
                             critique="The answer is incorrect.", verdict="fault", revision_finish="stop",
                             revision="44 / 4 = 11 #### 11  The answer is incorrect.", answer_passed=False,
                             revision_passed=True), BAGS)
    assert kept.kept and kept.target == "44 / 4 = 11" and set(kept.cleaned) == {"leak"}
    verified = filt.apply(Sample(round=1, index=1, prompt=ROPE.prompt, reference=ROPE.reference, verdict="no_fault",
                                 answer="Each piece is 2 times as long. The answer is 6.", answer_passed=True,
                                 answer_finish="stop"), ROPE)
    assert not verified.kept and verified.drop_reason.startswith("working:")  # verified answers are reviewed too


def test_a_teacher_that_knows_more_reviews_verified_answers():
    """grounded:<a teacher that is not the student>: a passing answer the reviewer faults becomes a fault."""
    class Reviewer(Teacher):
        name = "reviewer"

        def complete(self, chats, config):
            from distill.core import Completion

            return [Completion("Canadian is false: Wells was English.\nVERDICT: FAULT") for _ in chats]

    from teachers.grounded import GroundedTeacher

    item = Item(WELLS.prompt, "H.G. Wells, a Canadian author.", WELLS.reference, WELLS.check)
    reviewed = GroundedTeacher(Reviewer()).critique([item], PRINCIPLES[0])[0]
    assert (reviewed.verdict, reviewed.verdict_source) == ("fault", "review")
    unreviewed = GroundedTeacher(Reviewer(), review_verified=False).critique([item], PRINCIPLES[0])[0]
    assert (unreviewed.verdict, unreviewed.verdict_source) == ("no_fault", "reference")
