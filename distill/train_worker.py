"""One round's training in its own process(es): ``python -m distill.train_worker JOB.json``, started
by the loop through ``train.launcher`` (``torchrun --nproc_per_node N``, ``accelerate launch
--config_file fsdp.yaml``, ...). TRL distributes the training; the main process alone merges the
adapter and writes the round's ``adapter/`` and ``model/``.

The job file (written by the loop) names the model to start from, the output folder, the training
config and the data files: ``sft`` (prompt/completion JSONL) and/or ``preferences``
(prompt/chosen/rejected JSONL).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def read_rows(path: str | None) -> list[dict] | None:
    if path is None:
        return None
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    from distill.config import from_dict
    from distill.models import load_model
    from distill.train import train_lora
    from distill.train_config import TrainConfig

    job = json.loads(Path((argv or sys.argv[1:])[0]).read_text(encoding="utf-8"))
    config = from_dict(TrainConfig, {**job["config"], "launcher": None}, "train job")
    model, tokenizer = load_model(job["model"], device="cpu" if config.setting("use_cpu") else None)
    result = train_lora(model, tokenizer, read_rows(job.get("sft")), Path(job["out_dir"]), config, quiet=True,
                        preferences=read_rows(job.get("preferences")), precision=job.get("precision"))
    if result is not None:  # the main process
        print(json.dumps({"model_dir": str(result.model_dir), "steps": result.steps, "train_loss": result.metrics["train_loss"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
