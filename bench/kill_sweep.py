"""Kill-point sweep: SIGKILL a small real run at every phase boundary and inside every phase, resume
it, and compare what it ends with against an uninterrupted run of the same seed.

    .venv/bin/python bench/kill_sweep.py               # every kill point, 3 trials each
    .venv/bin/python bench/kill_sweep.py --trials 1 --points critique,train_step

Kill points are named places in the code (``distill/killpoints.py``); trial n kills at the n-th
passing of its point, so trials land at different moments (a later chunk, step or round). The run:
a tiny randomly initialised LLaMA with the real tokenizer, a deterministic teacher that finds a fault
in every answer (``tests/fakes.py``), 2 rounds of 4 prompts, real LoRA training and evaluation.
Compared after the resume: every record of every round (minus timings), each round's prompts and
preference pairs, the final status, and the metric history. Prints the figures as a table and writes
``bench/results/kill_sweep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
POINTS = ["answer", "critique", "revise", "append", "train_step", "folder_written", "evaluate",
          "replace:prompts.json", "replace:pairs.jsonl", "replace:eval.json", "replace:manifest.json"]


def tiny_student(folder: Path) -> Path:
    """A tiny randomly initialised LLaMA with the embedded model's tokenizer (seconds per run, not minutes)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from distill.model.resolve import DEFAULT_STUDENT, resolve_folder

    tok = AutoTokenizer.from_pretrained(resolve_folder(DEFAULT_STUDENT))
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=True)
    LlamaForCausalLM(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def write_config(folder: Path, student: Path, **extra) -> Path:
    heldout = folder / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:4]))
    cfg = {"run_dir": str(folder / "run"), "student": str(student), "teacher": "fakes:FixerTeacher", "rounds": 2,
           "max_rounds_per_stage": 1, "prompts_per_round": 4, "chunk_size": 2, "approval_items": 2,
           "replay_heldout": str(heldout), "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")],
           "answer": {"max_new_tokens": 8}, "critique": {"max_new_tokens": 8}, "revision": {"max_new_tokens": 8},
           "eval": {"limit": 2, "max_new_tokens": 8}, "train": {"sft": {"max_steps": 3}}, **extra}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run_cli(cfg: Path, kill_at: str | None = None) -> int:
    """``distill run`` in a child process; its exit status (-9 when it killed itself)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    env.pop("DISTILL_KILL_AT", None)
    if kill_at:
        env["DISTILL_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "distill.ui.cli", "run", str(cfg), "--quiet"], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=900).returncode


def snapshot(run_dir: Path) -> dict:
    """What a finished run ended with, timings left out."""
    from distill.store.jsonl import read_records

    out: dict = {"rounds": {}}
    for round_dir in sorted(run_dir.glob("round-*")):
        n = int(round_dir.name.split("-")[1])
        records = read_records(round_dir / "samples.jsonl")
        out["rounds"][n] = {
            "records": [{k: v for k, v in r.items() if k not in ("time", "seconds")} for r in records],
            "prompts": json.loads((round_dir / "prompts.json").read_text()) if (round_dir / "prompts.json").exists() else None,
            "pairs": (round_dir / "pairs.jsonl").read_text() if (round_dir / "pairs.jsonl").exists() else None,
        }
    manifest = json.loads((run_dir / "manifest.json").read_text())
    out["status"] = manifest["status"]
    out["history"] = [{k: m.get(k) for k in ("round", "gold_correct", "gold_n", "approval_rate", "heldout_loss")}
                      for m in manifest["history"]]
    out["summaries"] = [{k: r.get(k) for k in ("kept", "pairs", "train_loss", "objective")} for r in manifest["rounds"]]
    return out


def compare(got: dict, want: dict) -> dict:
    """Records lost and duplicated, and whether everything else matches."""
    def keys(snap: dict) -> list[tuple[int, int]]:
        return [(n, r["index"]) for n, rnd in snap["rounds"].items() for r in rnd["records"]]

    have, expected = keys(got), set(keys(want))
    return {"lost": len(expected - set(have)), "duplicated": len(have) - len(set(have)), "same": got == want}


def sweep(points: list[str], trials: int | list[int], workdir: Path, student: Path, **extra) -> list[dict]:
    """Kill at each point ``trials`` times (or at the listed passings of it), resume, compare with a
    reference run (``extra``: config fields)."""
    (workdir / "reference").mkdir(parents=True)
    ref_cfg = write_config(workdir / "reference", student, **extra)
    if run_cli(ref_cfg) != 0:
        raise SystemExit("the uninterrupted reference run failed")
    reference = snapshot(workdir / "reference" / "run")
    rows = []
    for point in points:
        for trial in range(1, trials + 1) if isinstance(trials, int) else trials:
            folder = workdir / f"{point.replace(':', '_')}-{trial}"
            folder.mkdir()
            cfg = write_config(folder, student, **extra)
            killed = run_cli(cfg, f"{point}:{trial}") == -9
            resumed = run_cli(cfg)
            row = {"point": point, "trial": trial, "killed": killed, "resume_status": resumed}
            if resumed == 0:
                row.update(compare(snapshot(folder / "run"), reference))
            else:
                row.update(lost=None, duplicated=None, same=False)
            row["failed_resume"] = resumed != 0 or not row["same"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| kill point | trials | killed there | records lost | records duplicated | failed resumes |",
             "|---|---|---|---|---|---|"]
    for point in dict.fromkeys(r["point"] for r in rows):
        rs = [r for r in rows if r["point"] == point]
        lines.append(f"| `{point}` | {len(rs)} | {sum(r['killed'] for r in rs)} | {sum(r['lost'] or 0 for r in rs)} "
                     f"| {sum(r['duplicated'] or 0 for r in rs)} | {sum(r['failed_resume'] for r in rs)} |")
    lines.append(f"| all | {len(rows)} | {sum(r['killed'] for r in rows)} | {sum(r['lost'] or 0 for r in rows)} "
                 f"| {sum(r['duplicated'] or 0 for r in rows)} | {sum(r['failed_resume'] for r in rows)} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", default=",".join(POINTS), help="comma-separated kill points")
    ap.add_argument("--trials", type=int, default=3, help="kills per point (the 1st, 2nd, ... passing)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory(prefix="kill-sweep-") as tmp:
        student = tiny_student(Path(tmp) / "tiny")
        rows = sweep(args.points.split(","), args.trials, Path(tmp), student)
    out = ROOT / "bench" / "results" / "kill_sweep.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print(table(rows))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
