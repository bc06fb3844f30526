"""Teachers without a server: the base class contract, self / local / custom / grounded teachers."""

from __future__ import annotations

import textwrap

import pytest

from distill.principles import Item, Principle, load_principles
from distill.student import Completion, SamplingConfig
from teachers import Teacher, TeacherError, TeacherSpecError, load_teacher, parse_verdict
from teachers.grounded import ArithmeticVerifier, GroundedTeacher

PRINCIPLE = Principle("wrong-result", critique="Is the final result wrong?", revision="Fix the result.")


class Scripted(Teacher):
    """Replies with fixed texts and records the chats it was sent; item ``fail_at`` fails."""

    def __init__(self, replies, fail_at=None, **kw):
        super().__init__(**kw)
        self.replies, self.fail_at, self.sent = list(replies), fail_at, []

    def complete(self, chats, config):
        self.sent.extend(chats)
        out = [Completion(text=self.replies[i % len(self.replies)], prompt_tokens=10, completion_tokens=3) for i in range(len(chats))]
        if self.fail_at is not None:
            out[self.fail_at] = Completion(text="", finish_reason="error", error="boom")
            raise TeacherError("1 failed", out, [self.fail_at])
        return out


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


def test_base_critique_revise_usage_and_cost():
    t = Scripted(["Wrong.\nVERDICT: FAULT", "ok\nVERDICT: NO FAULT", "mumble"], price_per_1k_prompt=2.0, price_per_1k_completion=4.0)
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
    assert (u.requests, u.prompt_tokens, u.completion_tokens) == (4, 40, 12)
    assert u.cost == pytest.approx((40 * 2.0 + 12 * 4.0) / 1000)
    with pytest.raises(ValueError, match="2 items but 1 critiques"):
        t.revise(items[:2], crits[:1], PRINCIPLE)


def test_partial_failure_keeps_finished_critiques():
    t = Scripted(["VERDICT: FAULT"], fail_at=1)
    with pytest.raises(TeacherError, match="critique under 'wrong-result'") as ei:
        t.critique([Item("a", "b"), Item("c", "d"), Item("e", "f")], PRINCIPLE)
    assert ei.value.failed == [1]
    assert [c.verdict for c in ei.value.results] == ["fault", "error", "fault"]
    assert t.usage.requests == 3 and t.usage.errors == 1 and t.usage.completion_tokens == 6


def test_custom_teacher_by_import_path(tmp_path, monkeypatch):
    (tmp_path / "my_lab_teachers.py").write_text(textwrap.dedent('''
        from distill.student import Completion
        from teachers.base import Teacher

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
    with pytest.raises(TeacherSpecError, match="cannot import module 'no_such_module_xyz'"):
        load_teacher("no_such_module_xyz:T")
    with pytest.raises(TeacherSpecError, match="has no attribute 'Nope'"):
        load_teacher("my_lab_teachers:Nope")
    with pytest.raises(TeacherSpecError, match="not a subclass of teachers.base.Teacher"):
        load_teacher("textwrap:TextWrapper")
    with pytest.raises(TeacherSpecError, match="unknown teacher spec 'gpt'"):
        load_teacher("gpt")


@pytest.mark.slow
def test_self_teacher_shares_the_students_weights(student):
    with pytest.raises(TeacherSpecError, match="needs the student"):
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
    with pytest.raises(TeacherSpecError, match="needs a model spec"):
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
    odds = [t._fault_log_odds(it, principle, c.text) - t._content_free(principle) for it, c in zip(items, crits)]
    assert [c.verdict for c in crits] == ["fault" if o > 0 else "no_fault" for o in odds]


def test_grounded_teacher_requires_and_shows_the_reference():
    inner = Scripted(["VERDICT: FAULT"])
    g = GroundedTeacher(inner)
    [c] = g.critique([Item("Spider legs?", "Six.", reference="Eight legs.")], PRINCIPLE)
    assert c.fault and "Eight legs." in inner.sent[0][0]["content"]
    assert g.usage.requests == 1
    with pytest.raises(ValueError, match=r"item\(s\) \[1\] have no reference"):
        g.critique([Item("a", "b", reference="c"), Item("d", "e")], PRINCIPLE)


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
    assert "36 + 1 = 37" in rev.text and v.critique([Item(items[0].prompt, rev.text, "37")], PRINCIPLE)[0].verdict == "no_fault"
    # with a fallback, what it cannot check goes to another teacher
    fb = Scripted(["VERDICT: NO FAULT"])
    v2 = ArithmeticVerifier(fallback=fb)
    assert [c.verdict for c in v2.critique(items[2:], PRINCIPLE)] == ["no_fault", "no_fault"] and len(fb.sent) == 1
