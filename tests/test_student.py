"""Batched generation with the real embedded student."""

from __future__ import annotations

import pytest

from distill.errors import DataError, SpecError
from distill.interface import SamplingConfig
from distill.model.student import Student

PROMPTS = [
    "What is the capital of France?",
    "Write one sentence about why the sky looks blue during the day, for a child.",
    "2+3=?",
    [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "What colour is grass?"}],
    "List three fruits that are usually red when they are ripe, separated by commas.",
]


def test_batched_greedy_equals_one_at_a_time(student):
    cfg = SamplingConfig(max_new_tokens=24, batch_size=8)
    batched = student.generate(PROMPTS, cfg)
    single = [student.generate([p], cfg)[0] for p in PROMPTS]
    # the prompts differ in length, so the batch is left-padded: padding must not change answers
    assert len({c.prompt_tokens for c in batched}) > 2
    assert [c.text for c in batched] == [c.text for c in single]
    assert all(c.text for c in batched)


def test_results_keep_order_and_count_tokens(student):
    out = student.generate(PROMPTS, max_new_tokens=16, batch_size=2)
    assert len(out) == len(PROMPTS)
    assert "paris" in out[0].text.lower()
    for c, p in zip(out, PROMPTS):
        assert c.prompt_tokens == len(student.encode(p))
        assert 0 < c.completion_tokens <= 16
        assert c.finish_reason in {"stop", "length"}
        assert c.seconds > 0
        if c.finish_reason == "length":
            assert c.completion_tokens == 16


def test_stops_at_eos(student):
    (c,) = student.generate(["What is the capital of France? Answer in one short sentence."], max_new_tokens=64)
    assert c.finish_reason == "stop" and c.completion_tokens < 64
    assert "<|im_end|>" not in c.text


def test_sampling_is_seedable(student):
    cfg = SamplingConfig(max_new_tokens=20, temperature=1.0, seed=123)
    a = student.generate(PROMPTS[:3], cfg)
    b = student.generate(PROMPTS[:3], cfg)
    c = student.generate(PROMPTS[:3], cfg, seed=7)
    assert [x.text for x in a] == [x.text for x in b]
    assert [x.text for x in a] != [x.text for x in c]


def test_prompt_longer_than_context(student):
    long = "word " * (student.context_length + 10)
    with pytest.raises(DataError, match=r"prompt 1 has \d+ tokens"):
        student.generate(["hi", long], max_new_tokens=8)


def test_model_without_chat_template(tiny_folder):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_folder)
    tok.chat_template = None
    model = AutoModelForCausalLM.from_pretrained(tiny_folder)
    with pytest.raises(SpecError, match="no chat template"):
        Student("tiny", model=model, tokenizer=tok)
