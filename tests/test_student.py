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


def test_batched_greedy_equals_transformers_generate(student):
    """The engine (reserved KV cache, shared template head, finished rows dropped) answers as
    transformers' own ``generate`` with its default cache does, prompt by prompt."""
    import torch

    cfg = SamplingConfig(max_new_tokens=24, batch_size=8)
    batched = student.generate(PROMPTS, cfg)
    model = student.infer_model
    for p, c in zip(PROMPTS, batched):
        ids = torch.tensor([student.encode(p)])
        with torch.inference_mode():
            out = model.generate(ids, max_new_tokens=24, do_sample=False, pad_token_id=student.tokenizer.pad_token_id,
                                 eos_token_id=sorted(student.eos_token_ids))
        assert c.text == student.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()


def test_reserved_cache_layer_grows_and_drops_rows():
    import torch

    from distill.model.kv_cache import ReservedLayer

    layer = ReservedLayer(capacity=3)
    k = torch.arange(2 * 1 * 2 * 1, dtype=torch.float).view(2, 1, 2, 1)
    layer.update(k, -k)
    keys, values = layer.update(k + 10, -k - 10)  # past the reserved 3 positions: the buffer grows
    assert keys.shape == (2, 1, 4, 1) and layer.get_seq_length() == 4
    assert torch.equal(keys, torch.cat([k, k + 10], dim=-2)) and torch.equal(values, -keys)
    layer.batch_select_indices(torch.tensor([1]))
    keys, _ = layer.update(k[:1] + 20, k[:1])
    assert torch.equal(keys[0, 0, :, 0], torch.tensor([2.0, 3.0, 12.0, 13.0, 20.0, 21.0]))


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


def test_sampled_tokens_log_probabilities_are_the_models(student):
    """The engine's log-probability of each token it sampled (the GRPO trainer's old log-probabilities)
    is the model's own for that token at the sampling temperature, scored by one plain forward pass
    over prompt + answer, for rows batched with others of other lengths."""
    import torch

    ids = [student.encode(p) for p in PROMPTS]
    out = student.generate_ids(ids, SamplingConfig(max_new_tokens=12, temperature=0.8, seed=5), logprobs=True)
    assert [len(lp) for lp in out.logprobs] == [len(t) for t in out.ids]
    model = student.infer_model
    for prompt, new, scores in zip(ids, out.ids, out.logprobs):
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt + new])).logits[0, len(prompt) - 1:-1].float() / 0.8
        expected = torch.log_softmax(logits, -1).gather(1, torch.tensor(new)[:, None])[:, 0]
        assert torch.allclose(torch.tensor(scores), expected, atol=0.05), (scores, expected.tolist())
    assert student.generate_ids(ids[:1], SamplingConfig(max_new_tokens=4)).logprobs is None


def test_a_sample_follows_the_distribution():
    """The sampler's draws match the softmax of the logits over the temperature (within 4 standard
    errors over 40,000 draws), top-p drops the tail, and a zero-probability token is never drawn."""
    import torch

    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2, 0.0]])).repeat(40_000, 1)
    torch.manual_seed(0)
    counts = torch.bincount(Student._pick(logits, SamplingConfig(temperature=1.0)), minlength=4).float() / 40_000
    expected = torch.tensor([0.5, 0.3, 0.2, 0.0])
    assert torch.all((counts - expected).abs() <= 4 * (expected * (1 - expected) / 40_000).sqrt() + 1e-9), counts
    sharp = torch.softmax(torch.log(torch.tensor([0.5, 0.3, 0.2])) / 0.5, -1)
    counts = torch.bincount(Student._pick(logits[:, :3], SamplingConfig(temperature=0.5)), minlength=3).float() / 40_000
    assert torch.allclose(counts, sharp, atol=0.01), (counts, sharp)
    nucleus = Student._pick(logits, SamplingConfig(temperature=1.0, top_p=0.7))
    assert set(nucleus.tolist()) == {0, 1}


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
