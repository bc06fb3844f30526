"""One round's training in its own process(es): ``python -m distill.train.worker JOB.json``, started
by the loop through ``train.launcher`` (``torchrun --nproc_per_node N``, ``accelerate launch
--config_file fsdp.yaml``, ...). TRL distributes the training; the main process alone merges the
adapter and writes the round's ``adapter/`` and ``model/``.

The job file (written by the loop) names the model to start from, the output folder, the training
config and one JSONL file of rows per training step (``rows``: step -> file).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from distill.errors import RunFailed
from distill.store.atomic import is_complete, write_json
from distill.store.jsonl import read_jsonl, write_jsonl


def launch(n: int, data, model: str, round_dir: Path, precision: str) -> None:
    """Train round ``n`` (:class:`distill.train.objective.RoundData`) from ``model`` under
    ``data.config.launcher``: the data and a job file go to ``round_dir/train/``, the workers'
    output to ``worker.log`` there; raises :class:`RunFailed` unless ``model/`` came out complete."""
    train_dir = Path(round_dir) / "train"
    train_dir.mkdir(parents=True, exist_ok=True)

    files = {}
    for step, rows in data.rows.items():
        files[step] = str(train_dir / f"{step}.jsonl")
        write_jsonl(files[step], rows.to_list() if hasattr(rows, "to_list") else rows)
    job = {"model": model, "out_dir": str(round_dir), "config": data.config.to_dict(), "precision": precision,
           "rows": files}
    write_json(train_dir / "job.json", job)
    command = [*shlex.split(data.config.launcher), "-m", "distill.train.worker", str(train_dir / "job.json")]
    root = str(Path(__file__).resolve().parents[1])  # the workers import this same distill
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    log_path = train_dir / "worker.log"
    with open(log_path, "ab") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    if status != 0 or not is_complete(Path(round_dir) / "model"):
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise RunFailed(f"round {n}: training under {data.config.launcher!r} failed (exit {status}): "
                             f"{' | '.join(tail)} (full log: {log_path})")


def main(argv: list[str] | None = None) -> int:
    from distill.model.resolve import load_model
    from distill.schema import from_dict
    from distill.train.config import TrainConfig
    from distill.train.lora import train_lora

    job = json.loads(Path((argv or sys.argv[1:])[0]).read_text(encoding="utf-8"))
    config = from_dict(TrainConfig, {**job["config"], "launcher": None}, "train job")
    model, tokenizer = load_model(job["model"], device="cpu" if config.setting("use_cpu") else None)
    rows = {step: [row for _, row in read_jsonl(path)] for step, path in job["rows"].items()}
    result = train_lora(model, tokenizer, rows, Path(job["out_dir"]), config, quiet=True, precision=job.get("precision"))
    if result is not None:  # the main process
        print(json.dumps({"model_dir": str(result.model_dir), "steps": result.steps, "train_loss": result.metrics["train_loss"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
