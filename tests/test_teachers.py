"""Teachers without a server: the base class contract, self / local / custom / grounded teachers."""

from __future__ import annotations

import math

import textwrap

import pytest
from fakes import ScriptedTeacher

from distill.data.principles import load_principles
from distill.errors import SpecError, TeacherError
from distill.interface import Item, Principle, SamplingConfig
from teachers import SpecError, TeacherError, load_teacher, parse_verdict  # noqa: F401 (the package API)
from teachers.arithmetic import ArithmeticVerifier
from teachers.grounded import GroundedTeacher

PRINCIPLE = Principle("wrong-result", critique="Is the final result wrong?", revision="Fix the result.")


def test_base_critique_revise_usage_and_cost():
    t = ScriptedTeacher(["Wrong.\nVERDICT: FAULT", "ok\nVERDICT: NO FAULT", "mumble"], price_per_1k_prompt=2.0, price_per_1k_completion=4.0)
    items = [Item("q1", "a1", reference="ref-answer-one"), Item("q2", "a2"), Item("q3", "a3")]
    crits = t.critique(items, PRINCIPLE, SamplingConfig(max_new_tokens=8))
    assert [c.verdict for c in crits] == ["fault", "no_fault", "unparseable"]
    assert crits[2].text == "mumble"  # raw kept beside parsed
    first = t.sent[0][0]["content"]
    assert "q1" in first and "a1" in first and "ref-answer-one" in first and PRINCIPLE.critique in first
    assert "VERDICT: FAULT" in first and "ref-answer" not in t.sent[1][0]["content"]
    revs = t.revise(items[:1], crits[:1], PRINCIPLE)
    assert revs[0].text and "Wrong." in t.sent[3][0]["content"] and PRINCIPLE.revision in t.sent[3][0]["content"]
    u = t.usage
    words = sum(len(c.text.split()) for c in crits) + len(revs[0].text.split())
    assert (u.requests, u.prompt_tokens, u.completion_tokens) == (4, 40, words)
    assert u.cost == pytest.approx((40 * 2.0 + words * 4.0) / 1000)
    with pytest.raises(ValueError, match="2 items but 1 critiques"):
        t.revise(items[:2], crits[:1], PRINCIPLE)


def test_partial_failure_keeps_finished_critiques():
    t = ScriptedTeacher(["VERDICT: FAULT"], fail_at=1)
    with pytest.raises(TeacherError, match="critique under 'wrong-result'") as ei:
        t.critique([Item("a", "b"), Item("c", "d"), Item("e", "f")], PRINCIPLE)
    assert ei.value.failed == [1]
    assert [c.verdict for c in ei.value.results] == ["fault", "error", "fault"]
    assert t.usage.requests == 3 and t.usage.errors == 1 and t.usage.completion_tokens == 4


def test_custom_teacher_by_import_path(tmp_path, monkeypatch):
    (tmp_path / "my_lab_teachers.py").write_text(textwrap.dedent('''
        from teachers import Completion, Teacher

        class Stern(Teacher):
            def __init__(self, word="FAULT"):
                self.word = word
            def complete(self, chats, config):
                return [Completion(text=f"{len(c[-1]['content'])} chars. VERDICT: {self.word}", completion_tokens=4) for c in chats]
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    t = load_teacher("my_lab_teachers:Stern", word="NO FAULT")
    assert type(t).__name__ == "Stern" and t.word == "NO FAULT"
    crits = t.critique([Item("Q?", "A.")], PRINCIPLE)
    assert crits[0].verdict == "no_fault" and t.usage.completion_tokens == 4  # usage works without super().__init__
    with pytest.raises(SpecError, match="cannot import module 'no_such_module_xyz'"):
        load_teacher("no_such_module_xyz:T")
    with pytest.raises(SpecError, match="teacher 'my_lab_teachers:Nope': module 'my_lab_teachers' has no 'Nope'"):
        load_teacher("my_lab_teachers:Nope")
    with pytest.raises(SpecError, match="not a subclass of teachers.base.Teacher"):
        load_teacher("textwrap:TextWrapper")
    with pytest.raises(SpecError, match="unknown teacher spec 'gpt'"):
        load_teacher("gpt")


@pytest.mark.slow
def test_self_teacher_shares_the_students_weights(student):
    with pytest.raises(SpecError, match="needs the student"):
        load_teacher("self")
    t = load_teacher("self", student=student)
    assert t.student is student and t.student.model is student.model
    mine = {p.data_ptr() for p in t.student.model.parameters()}
    assert mine == {p.data_ptr() for p in student.model.parameters()}
    [c] = t.run(["What is 2 + 2? Answer with a number."], SamplingConfig(max_new_tokens=8))
    assert c.text and c.completion_tokens > 0 and t.usage.completion_tokens == c.completion_tokens


@pytest.mark.slow
def test_local_teacher_has_its_own_model_and_unreadable_verdicts_stay_unparseable(tiny_folder, student):
    t = load_teacher(f"local:{tiny_folder}", likelihood_verdicts=False)
    assert t.student.model is not student.model and t.student.tokenizer is not student.tokenizer
    principle = load_principles()[0].principles[0]
    crits = t.critique([Item("Is the sky blue?", "Yes. No."), Item("2+2?", "5")], principle, SamplingConfig(max_new_tokens=8))
    # a random tiny model writes noise: it must be recorded as such, never as "no fault"
    assert [c.verdict for c in crits] == ["unparseable", "unparseable"]
    assert all(c.completion.completion_tokens > 0 for c in crits)
    assert t.usage.requests == 2 and t.usage.prompt_tokens == sum(c.completion.prompt_tokens for c in crits)
    with pytest.raises(SpecError, match="needs a model spec"):
        load_teacher("local:")


def test_local_teacher_reads_unwritten_verdicts_from_likelihoods(tiny_folder):
    """By default an in-process teacher's missing verdict line is read from its own likelihoods,
    calibrated against a content-free item, and marked as such."""
    t = load_teacher(f"local:{tiny_folder}")
    principle = load_principles()[0].principles[0]
    items = [Item("Is the sky blue?", "Yes. No."), Item("2+2?", "5"), Item("N/A", "N/A")]
    crits = t.critique(items, principle, SamplingConfig(max_new_tokens=8))
    assert all(c.verdict in ("fault", "no_fault") and c.verdict_source == "likelihood" for c in crits)
    # the content-free item scores exactly the baseline apart from its critique text; the
    # baseline itself is cached per principle and model
    assert len(t._baseline) == 1
    odds = [o - t._content_free(principle) for o in t._fault_log_odds(items, principle, [c.text for c in crits])]
    assert [c.verdict for c in crits] == ["fault" if o > 0 else "no_fault" for o in odds]
    # each confidence is the calibrated log-odds as a probability, scored in a batch as one by one
    one_by_one = [t._fault_log_odds([it], principle, [c.text])[0] - t._content_free(principle) for it, c in zip(items, crits)]
    assert [c.confidence for c in crits] == pytest.approx([1 / (1 + math.exp(-o)) for o in one_by_one], abs=1e-5)


def test_grounded_teacher_checks_first_and_critiques_with_the_reference():
    inner = ScriptedTeacher(["Looks fine.\nVERDICT: NO FAULT"])
    g = GroundedTeacher(inner, review_verified=False)  # reviewing verified answers: test_targets.py
    says_eight = lambda text: "eight" in text.lower()  # noqa: E731 - the loop passes the eval's matching rule
    items = [Item("Spider legs?", "Eight.", reference="Eight legs.", check=says_eight),  # passes: no model call
             Item("Spider legs?", "Six.", reference="Eight legs.", check=says_eight),  # fails: a fault, whatever the model says
             Item("Why is the sky blue?", "Because.")]  # no reference: the inner teacher's own critique
    crits = g.critique(items, PRINCIPLE)
    assert [(c.verdict, c.verdict_source) for c in crits] == [("no_fault", "reference"), ("fault", "reference"),
                                                              ("no_fault", "text")]
    assert len(inner.sent) == 2
    assert "Eight legs." in inner.sent[0][0]["content"] and "Reference" not in inner.sent[1][0]["content"]
    g.revise(items[1:2], crits[1:2], PRINCIPLE)
    assert "Eight legs." in inner.sent[2][0]["content"] and "Six." in inner.sent[2][0]["content"]
    assert g.grounded and g.name == "grounded:scripted"


def test_grounded_spec_passes_its_arguments_to_the_inner_teacher(tmp_path, monkeypatch):
    (tmp_path / "my_graders.py").write_text(textwrap.dedent('''
        from teachers import Completion, Teacher

        class Grader(Teacher):
            def __init__(self, word="FAULT"):
                self.word = word
            def complete(self, chats, config):
                return [Completion(text=f"VERDICT: {self.word}") for c in chats]
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    g = load_teacher("grounded:my_graders:Grader", word="NO FAULT")
    assert isinstance(g, GroundedTeacher) and g.inner.word == "NO FAULT"
    with pytest.raises(SpecError, match="takes no argument.*colour"):
        load_teacher("grounded:my_graders:Grader", colour="red")
    with pytest.raises(SpecError, match="needs a teacher spec after the colon"):
        load_teacher("grounded:")


def test_arithmetic_verifier_overrides_critique():
    v = load_teacher("arithmetic")
    items = [
        Item("12*3+1?", "12 x 3 = 36, then 36 + 1 = 38. So 38.", reference="37"),
        Item("2+2?", "2 + 2 = 4, so the answer is 4."),
        Item("Capital of France?", "Paris."),
        Item("Half of 9?", "9 / 2 = 4.5"),
    ]
    crits = v.critique(items, PRINCIPLE)
    assert [c.verdict for c in crits] == ["fault", "no_fault", "unparseable", "no_fault"]
    assert "36 + 1 = 38 is wrong: it is 37" in crits[0].text and parse_verdict(crits[0].text) == "fault"
    [rev] = v.revise(items[:1], crits[:1], PRINCIPLE)
    assert rev.text == "12 x 3 = 36, then 36 + 1 = 37. So 37."  # the carried result is corrected too
    assert v.critique([Item(items[0].prompt, rev.text, "37")], PRINCIPLE)[0].verdict == "no_fault"
    # a wrong setup has no equation to fix: the reference's own worked solution is the correction
    wrong = Item("Ben has 18 and gets 8 more. How many?", "18 - 8 = 10", reference="18 + 8 = 26\n#### 26")
    [crit] = v.critique([wrong], PRINCIPLE)
    assert crit.fault and crit.verdict_source == "verifier"
    assert v.revise([wrong], [crit], PRINCIPLE)[0].text == "18 + 8 = 26. The answer is 26."
    # with a fallback, what it cannot check goes to another teacher
    fb = ScriptedTeacher(["VERDICT: NO FAULT"])
    v2 = ArithmeticVerifier(fallback=fb)
    assert [c.verdict for c in v2.critique(items[2:], PRINCIPLE)] == ["no_fault", "no_fault"] and len(fb.sent) == 1
