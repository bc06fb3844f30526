"""The OpenAI-compatible teacher against a real ``transformers serve`` on 127.0.0.1, with and
without a fault-injecting proxy in front of it."""

from __future__ import annotations

import logging

import pytest

pytest.register_assert_rewrite("servers")  # imported here before pytest_plugins loads it

from servers import Fault, fault_proxy  # noqa: E402

from distill.data.principles import load_principles  # noqa: E402
from distill.data.questions import Question  # noqa: E402
from distill.interface import Item, SamplingConfig  # noqa: E402
from teachers import TeacherError, load_teacher  # noqa: E402
from teachers.openai_api import OpenAITeacher  # noqa: E402

pytest_plugins = ["servers"]
pytestmark = pytest.mark.slow

TINY = SamplingConfig(max_new_tokens=2)  # the fault tests need a reply, not a good one

ITEMS = [
    Item("What is the capital of France?", "The capital of France is Berlin, which is in France."),
    Item("How many legs does a spider have?", "A spider has six legs.", reference="Eight."),
]


@pytest.fixture(scope="module")
def principle():
    return load_principles()[0].principles[0]


def teacher_for(url: str, model: str, **kw) -> OpenAITeacher:
    kw.setdefault("api_key_env", None)
    kw.setdefault("backoff_initial", 0.05)
    kw.setdefault("backoff_jitter", 0.05)
    return load_teacher("openai", base_url=url, model=model, **kw)


def test_critique_and_revision_come_back_with_usage(openai_server, principle):
    t = teacher_for(openai_server.base_url, openai_server.model, price_per_1k_prompt=0.5, price_per_1k_completion=1.5)
    cfg = SamplingConfig(max_new_tokens=16)  # a short budget: the server shares 2 cores
    [crit] = t.critique(ITEMS[:1], principle, cfg)
    assert crit.text and crit.completion.completion_tokens > 0 and crit.completion.prompt_tokens > 50
    assert crit.verdict in {"fault", "no_fault", "unparseable"}
    [rev] = t.revise(ITEMS[:1], [crit], principle, cfg)
    assert rev.text and rev.completion_tokens > 0 and rev.ok
    done = [crit.completion, rev]
    u = t.usage
    assert u.requests == 2 and u.errors == 0 and u.retries == 0
    assert u.prompt_tokens == sum(c.prompt_tokens for c in done)
    assert u.completion_tokens == sum(c.completion_tokens for c in done)
    assert u.cost == pytest.approx((u.prompt_tokens * 0.5 + u.completion_tokens * 1.5) / 1000)


def test_retries_through_429_500_drop_and_timeout(openai_server):
    with fault_proxy(openai_server.base_url) as proxy:
        # backoff is 0.05 s, so only the server's Retry-After can explain a 1 s pause
        # timeout 8 s: far above a 2-token reply even on a loaded machine, below the 9 s stall
        proxy.inject(Fault.http(429, retry_after=1), Fault.http(500), Fault.drop(), Fault.slow(9.0))
        t = teacher_for(proxy.base_url, openai_server.model, timeout=8.0, max_retries=5)
        [c] = t.run(["Say hi."], TINY)
        assert c.ok and c.completion_tokens > 0
        assert [s.fault for s in proxy.seen] == ["429", "500", "drop", "slow", "forward"]
        assert proxy.seen[1].arrived - proxy.seen[0].arrived >= 1.0
        assert proxy.seen[2].arrived - proxy.seen[1].arrived < 1.0
        assert 8.0 <= proxy.seen[4].arrived - proxy.seen[3].arrived < 9.0  # the client timed out, then retried
        assert t.usage.retries == 4 and c.raw["attempts"] == 5


@pytest.mark.parametrize("status", [400, 401, 404])
def test_other_4xx_fail_at_once(openai_server, status):
    with fault_proxy(openai_server.base_url) as proxy:
        proxy.inject(Fault.http(status))
        t = teacher_for(proxy.base_url, openai_server.model, max_retries=5)
        with pytest.raises(TeacherError) as ei:
            t.run(["Say hi."], TINY)
        assert len(proxy.seen) == 1  # no retry
        [c] = ei.value.results
        assert c.finish_reason == "error" and str(status) in c.error and c.text == ""


def test_exhausted_retries_keep_finished_items(openai_server, principle):
    with fault_proxy(openai_server.base_url) as proxy:
        # one in flight, so requests arrive in item order: item 1 fails all 3 attempts
        proxy.inject(Fault.forward(), Fault.http(503), Fault.http(503), Fault.drop())
        t = teacher_for(proxy.base_url, openai_server.model, max_retries=2, max_concurrency=1)
        items = [Item(f"What is {n} + {n}?", f"It is {3 * n}.") for n in (1, 2, 3)]
        with pytest.raises(TeacherError, match=r"1 of 3 requests .* failed after retries") as ei:
            t.critique(items, principle, TINY)
        err = ei.value
        assert err.failed == [1]
        crits = err.results
        assert [c.verdict == "error" for c in crits] == [False, True, False]
        assert crits[0].completion.ok and crits[0].completion.completion_tokens > 0
        assert crits[2].completion.ok and crits[2].completion.completion_tokens > 0
        failed = crits[1].completion
        assert failed.finish_reason == "error" and "after 3 attempt(s)" in failed.error
        assert [s.fault for s in proxy.seen] == ["forward", "503", "503", "drop", "forward"]
        assert t.usage.requests == 3 and t.usage.errors == 1 and t.usage.retries == 2
        assert t.usage.completion_tokens == crits[0].completion.completion_tokens + crits[2].completion.completion_tokens


def test_concurrency_is_bounded_and_reached(openai_server):
    n = 3
    # each request is held 0.5 s at the proxy so overlapping requests really overlap
    with fault_proxy(openai_server.base_url, hold=0.5) as proxy:
        t = teacher_for(proxy.base_url, openai_server.model, max_concurrency=n)
        out = t.run([f"Say the number {i}." for i in range(5)], SamplingConfig(max_new_tokens=1))
        assert all(c.ok for c in out) and len(proxy.seen) == 5
        assert proxy.max_in_flight == n


def test_api_key_read_from_env_and_never_leaks(openai_server, monkeypatch, caplog):
    secret = "sk-test-" + "7f3a9c" * 6
    monkeypatch.setenv("DISTILL_TEST_TEACHER_KEY", secret)
    caplog.set_level(logging.DEBUG)
    with fault_proxy(openai_server.base_url) as proxy:
        proxy.inject(Fault.http(429, retry_after=0), Fault.http(400))
        t = teacher_for(proxy.base_url, openai_server.model, api_key_env="DISTILL_TEST_TEACHER_KEY", max_retries=1)
        with pytest.raises(TeacherError) as ei:
            t.run(["Say hi."], TINY)
        # the key was sent where it belongs ...
        assert {s.authorization for s in proxy.seen} == {f"Bearer {secret}"}
    # ... and nowhere else
    c = ei.value.results[0]
    for text in (repr(t), str(t.settings), repr(t.settings), caplog.text, str(ei.value), c.error, repr(c.raw)):
        assert secret not in text
    assert "attempt 1 failed (RateLimitError 429)" in caplog.text  # the retry was logged, without the key

    monkeypatch.delenv("DISTILL_TEST_TEACHER_KEY")
    with pytest.raises(ValueError, match="DISTILL_TEST_TEACHER_KEY"):
        teacher_for(openai_server.base_url, openai_server.model, api_key_env="DISTILL_TEST_TEACHER_KEY")


def test_grounded_openai_checks_answers_and_shows_the_server_the_reference(openai_server, principle):
    """`grounded:openai` gets its keyword arguments (the endpoint) for the inner teacher: a verified
    answer is reviewed by the server (it knows more than the student) unless review_verified is off,
    when it costs no request; a wrong one is critiqued and revised with the reference in view."""
    cfg = SamplingConfig(max_new_tokens=8)
    with fault_proxy(openai_server.base_url) as proxy:
        g = load_teacher("grounded:openai", base_url=proxy.base_url, model=openai_server.model, api_key_env=None)
        assert g.grounded and g.review_verified and g.name == f"grounded:openai:{openai_server.model}"
        legs = Question("How many legs does a spider have?", format="short", gold=["eight", "8"])
        items = [Item(legs.question, "A spider has eight legs.", legs.reference, legs.check),
                 Item(legs.question, "A spider has six legs.", legs.reference, legs.check),
                 Item("Why is the sky blue?", "Because of the sea.")]
        crits = g.critique(items, principle, cfg)
        assert crits[0].verdict_source in ("reference", "review") and crits[0].verdict in ("no_fault", "fault")
        assert (crits[1].verdict, crits[1].verdict_source) == ("fault", "reference")
        assert crits[1].text and crits[2].completion.completion_tokens > 0  # both came back from the server
        asked = [s.body["messages"][-1]["content"] for s in proxy.seen]
        assert len(asked) == 3  # the review of the verified answer, the failed one, the unchecked one
        assert "Reference answer (trusted to be correct):\neight | 8" in asked[0] and "eight legs" in asked[0]
        assert "six legs" in asked[1] and "eight | 8" in asked[1]
        assert "Reference" not in asked[2] and "Because of the sea." in asked[2]
        [rev] = g.revise(items[1:2], crits[1:2], principle, cfg)
        assert rev.ok and rev.text and "eight | 8" in proxy.seen[-1].body["messages"][-1]["content"]
        n = len(proxy.seen)
        quiet = load_teacher("grounded:openai", base_url=proxy.base_url, model=openai_server.model,
                             api_key_env=None, review_verified=False)
        [c] = quiet.critique(items[:1], principle, cfg)
        assert (c.verdict, c.verdict_source) == ("no_fault", "reference") and len(proxy.seen) == n  # no request


def test_garbage_and_huge_replies_are_bounded_errors(openai_server):
    with fault_proxy(openai_server.base_url) as proxy:
        proxy.inject(Fault.garbage(), Fault.huge(2_000_000))
        t = teacher_for(proxy.base_url, openai_server.model, max_concurrency=1, max_retries=0)
        with pytest.raises(TeacherError) as ei:
            t.run(["Say one.", "Say two.", "Say three."], TINY)
        garbage, huge, fine = ei.value.results
        assert ei.value.failed == [0, 1] and fine.ok and fine.completion_tokens > 0
        assert garbage.error.startswith("unreadable reply") and garbage.text == ""
        assert "a reply of 2000000 characters for max_new_tokens=2" in huge.error and huge.text == ""
        assert len(repr(ei.value.results)) < 5000  # the 2 MB reply is not kept anywhere
