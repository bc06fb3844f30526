"""``distill export``: a run's kept training data as a Hugging Face dataset, usable as is by
``trl sft`` (``--kind sft``: conversational prompt/completion) and ``trl dpo`` (``--kind dpo``:
conversational prompt/chosen/rejected), with a short dataset card.

The folder holds ``save_to_disk`` output (load it with ``datasets.load_from_disk``), the same rows
as ``data.jsonl``, and ``README.md``: source run, teacher, principles, counts and the filters.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from distill.curate.pairs import read_pairs
from distill.curate.rows import sft_rows
from distill.errors import ConfigError, DataError
from distill.store.folder import RunFolder
from distill.store.jsonl import write_jsonl

KINDS = ("sft", "dpo")


def export_rows(run_dir: str | Path, kind: str) -> tuple[list[dict], dict]:
    """The run's kept rows of ``kind`` and what the card says about them."""
    folder = RunFolder(run_dir)
    manifest = folder.manifest()
    if manifest is None or not folder.config_path.exists():
        raise DataError(f"{folder.path}: not a run folder with a manifest (nothing has been run there)")
    rounds = [n for n in folder.rounds() if n > 0 and folder.samples_path(n).exists()]
    rows: list[dict] = []
    drops: Counter = Counter()
    for n in rounds:
        samples = folder.samples(n)
        drops.update(s.drop_reason for s in samples if not s.kept)
        if kind == "sft":
            kept = [s for s in samples if s.kept]
            rows += [{**row, "round": n, "index": s.index, "checked": s.check is not None}
                     for row, s in zip(sft_rows(kept), kept)]
        elif folder.pairs_path(n).exists():
            rows += read_pairs(folder.pairs_path(n))
    import yaml

    config = yaml.safe_load(folder.config_path.read_text(encoding="utf-8")) or {}
    about = {"run": str(folder.path), "teacher": config.get("teacher"), "student": config.get("student"),
             "principles": config.get("principles") or "data/principles.yaml (default)", "rounds": rounds,
             "rows": len(rows), "checked": sum(bool(r.get("checked")) for r in rows), "dropped": dict(drops),
             "filters": config.get("filters", {}), "status": manifest.status}
    return rows, about


def card(kind: str, about: dict) -> str:
    """The dataset card (README.md) of an export."""
    fmt = ("conversational prompt/completion (TRL SFT)" if kind == "sft"
           else "conversational prompt/chosen/rejected (TRL DPO): the teacher's revision over the student's answer")
    drops = "\n".join(f"  - {reason}: {n}" for reason, n in sorted(about["dropped"].items(), key=lambda kv: -kv[1]))
    return f"""---
tags: [selfdistill, {kind}]
---
# {kind.upper()} data from a selfdistill run

- Source run: `{about['run']}` (status {about['status']}, rounds {about['rounds']})
- Student: `{about['student']}`; teacher: `{about['teacher']}`
- Principles: `{about['principles']}`
- Format: {fmt}
- Rows: {about['rows']}, of which {about['checked']} checked against a reference answer or a verifier
- Filters: `{json.dumps(about['filters'])}`
- Records the filters dropped, by reason:
{drops or '  - none'}

Load with `datasets.load_from_disk(FOLDER)`, or use `data.jsonl`.
"""


def export(run_dir: str | Path, kind: str, out: str | Path) -> Path:
    """Write the run's ``kind`` data to ``out`` (a new or empty folder); returns ``out``."""
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    rows, about = export_rows(run_dir, kind)
    if not rows:
        raise ConfigError(f"{run_dir}: no kept {kind} rows to export")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out}: exists and is not empty; choose a new folder")
    from datasets import Dataset

    columns = ("prompt", "completion") if kind == "sft" else ("prompt", "chosen", "rejected")
    rows = [{k: r[k] for k in columns} for r in rows]  # TRL's columns only, so `trl sft` / `trl dpo` take it as is
    Dataset.from_list(rows).save_to_disk(str(out))
    write_jsonl(out / "data.jsonl", rows)
    (out / "README.md").write_text(card(kind, about), encoding="utf-8")
    return out
