"""Round 0 scored once: the gold evaluation of an untouched model, and its held-out loss, depend only on
the model's weights, the eval files, the held-out data, the evaluation settings, the precision and
how answers are generated — so a run that matches an earlier one on all of them reuses its result
instead of recomputing it (the teacher comparison scored the identical round 0 three times).

The key is a content hash of all of those (the weights' bytes, not their path); the entry is one
JSON file in the model cache (``$DISTILL_CACHE/round0/``), written atomically, so a killed write
never leaves a half entry. The judge's approval is not cached: it depends on the run's teacher.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from distill.store.atomic import write_json
from distill.store.folder import read_json

VERSION = 2  # bumped when what an entry holds, or how it is computed, changes
_WEIGHTS = ("*.safetensors", "*.bin", "*.json", "*.model", "*.txt")


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_digest(folder: str | Path) -> str:
    """SHA-256 over a model folder's weights, config and tokenizer files (names and bytes); the
    toolkit's own completion marker and model card are left out: they do not change the model."""
    folder = Path(folder)
    h = hashlib.sha256()
    files = sorted({p for pattern in _WEIGHTS for p in folder.glob(pattern)} - set(folder.glob("distill-complete.json")))
    for p in files:
        h.update(p.name.encode())
        h.update(file_digest(p).encode())
    return h.hexdigest()


def round0_key(model_folder: str | Path, eval_files: Sequence[str], heldout_file: str | None, eval_config: Any,
               precision: str, served: bool) -> str:
    """The cache key of round 0's gold evaluation and held-out loss (see the module docstring)."""
    parts = {
        "version": VERSION,
        "model": model_digest(model_folder),
        "eval": [file_digest(p) for p in eval_files],
        "heldout": file_digest(heldout_file) if heldout_file else None,
        "settings": asdict(eval_config),
        "precision": precision,
        "served": served,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def path_for(cache_root: Path, key: str) -> Path:
    return Path(cache_root) / "round0" / f"{key}.json"


FIELDS = ("eval", "guard", "lm_eval", "heldout_loss")


def load(cache_root: Path, key: str) -> dict | None:
    """A cached round 0 (:data:`FIELDS`: the gold evaluation, the guards', the harness's scores and
    the held-out loss) or None; an unreadable or incomplete entry is a miss."""
    data = read_json(path_for(cache_root, key), strict=False)
    return data if isinstance(data, dict) and all(k in data for k in FIELDS) else None


def save(cache_root: Path, key: str, entry: dict) -> None:
    path = path_for(cache_root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {k: entry[k] for k in FIELDS})
