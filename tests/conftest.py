"""Shared fixtures. The real embedded model is converted once per cache and shared by all tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# One conversion cache for the whole suite (and across runs on the same checkout).
os.environ.setdefault("DISTILL_CACHE", str(ROOT / ".cache" / "models"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs two workers on the 2 cores: one thread each (their subprocesses inherit it),
    # so neither waits on the other's threads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def default_folder() -> Path:
    """The embedded default student as a cached Hugging Face folder."""
    from filelock import FileLock

    from distill.model.resolve import DEFAULT_STUDENT, cache_root, resolve_folder

    cache_root().mkdir(parents=True, exist_ok=True)
    with FileLock(cache_root() / "default-student.lock"):  # parallel workers convert it once
        return Path(resolve_folder(DEFAULT_STUDENT))


@pytest.fixture(scope="session")
def student(default_folder):
    """The real embedded student, loaded once per session. Tests must not train it in place."""
    from distill.model.student import Student

    return Student(default_folder)


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory, default_folder) -> Path:
    """A tiny randomly initialised LLaMA with the real tokenizer: fast plumbing tests only."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(default_folder)
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


# Tests that load a real model, run the loop, start a server or drive a terminal are "slow": `make
# test` runs them all, `make test-fast` (-m "not slow") leaves them out for the edit-test loop.
SLOW_FIXTURES = {"default_folder", "student", "tiny_folder", "openai_server", "pty_run"}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
