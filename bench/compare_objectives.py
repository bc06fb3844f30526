"""SFT, DPO, or both? The same round's records (kept targets and preference pairs), the same
starting student and seed, trained with each objective, against plain TRL ``DPOTrainer`` with its
own defaults on the same pairs; each result scored on every eval item with 95% intervals.

    .venv/bin/python bench/compare_objectives.py --run bench/results/teachers/base-grounded-self [--round 1]

The run folder is any finished run (a grounded one has checked pairs); its starting student, scored
here in the chosen precision ("untouched"), is the row the others are compared with. Each
objective trains in its own process (so peak memory is its own).
Prints a markdown table for the README and writes ``bench/results/objectives.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

# run as a script, so its own folder is on sys.path: the teacher comparison's table cells
from compare_teachers import cell

ROOT = Path(__file__).resolve().parents[1]
# "untouched" scores the starting student in this script's precision: the row the others are compared with
OBJECTIVES = ["untouched", "sft", "dpo", "sft_then_dpo", "trl-dpo-defaults"]


def one(run_dir: Path, round_number: int, objective: str, precision: str) -> dict:
    """Train ``objective`` from the run's starting student on round ``round_number``'s data; score it."""
    import yaml
    from round import high_water_mb  # bench/round.py's peak-memory reader; it imports torch, so here

    from distill.config import RunConfig
    from distill.curate.pairs import read_pairs
    from distill.train.objective import RoundInputs, round_data
    from distill.data.evalsets import load_eval_set
    from distill.data.instructions import load_instructions
    from distill.eval.gold import evaluate
    from distill.eval.heldout import answer_loss
    from distill.eval.metrics import round_metrics
    from distill.model.resolve import load_model
    from distill.model.student import Student
    from distill.store.folder import RunFolder
    from distill.train.lora import train_lora

    folder = RunFolder(run_dir)
    cfg = RunConfig.from_data(yaml.safe_load(folder.config_path.read_text()), str(folder.config_path))
    kept = [s for s in folder.samples(round_number) if s.kept]
    pairs = read_pairs(folder.pairs_path(round_number))
    replay = load_instructions(cfg.replay) if cfg.replay else None
    model, tok = load_model(cfg.student)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="objective-") as tmp:
        if objective == "untouched":
            trained, examples = model, 0
        elif objective == "trl-dpo-defaults":  # TRL's DPOTrainer as it comes (bf16 off: a CPU), same LoRA, same pairs
            from datasets import Dataset
            from trl import DPOConfig, DPOTrainer

            args = DPOConfig(output_dir=tmp, bf16=False, report_to="none", save_strategy="no", disable_tqdm=True,
                             use_cpu=True)
            ds = Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs])
            trainer = DPOTrainer(model=model, args=args, train_dataset=ds, processing_class=tok,
                                 peft_config=cfg.train.lora_config())
            trainer.train()
            trained = trainer.model.merge_and_unload().eval()
            examples = len(ds)
        else:
            data = round_data(RoundInputs(kept=kept, pairs=pairs, replay=replay, replay_share=cfg.replay_share,
                                          seed=cfg.seed + round_number, config=replace(cfg.train, objective=objective)))
            result = train_lora(model, tok, data.rows, Path(tmp), data.config, quiet=True, precision=precision)
            trained, examples = result.model, data.examples
    seconds = time.perf_counter() - t0
    peak = high_water_mb()
    student = Student(f"{objective}", model=trained, tokenizer=tok, precision=precision)
    heldout = list(load_instructions(cfg.replay_heldout)) if cfg.replay_heldout else []
    result = evaluate(student, [load_eval_set(p) for p in cfg.eval_sets], cfg.eval)
    metrics = round_metrics(1, result, heldout_loss=(lambda: answer_loss(trained, tok, heldout)) if heldout else None)
    return {"objective": objective, "examples": examples, "pairs": len(pairs), "train_seconds": seconds,
            "peak_rss_mb": peak, "metrics": metrics}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / "bench" / "results" / "teachers" / "base-grounded-self")
    ap.add_argument("--round", type=int, default=1)
    ap.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    ap.add_argument("--objectives", default=",".join(OBJECTIVES))
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: one objective, in this process
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.run, args.round, args.one, args.precision)))
        return
    rows = []
    for objective in args.objectives.split(","):
        out = subprocess.run([sys.executable, __file__, "--run", str(args.run), "--round", str(args.round),
                              "--precision", args.precision, "--one", objective],
                             cwd=ROOT, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"{objective} failed:\n{out.stderr[-3000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"{objective}: done in {rows[-1]['train_seconds']:.0f}s", flush=True)
    sets = sorted(rows[0]["metrics"]["sets"])
    head = ["objective", "all sets"] + sets + ["held-out loss", "mean answer tokens", "train examples", "train s",
                                               "peak RSS MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        m = r["metrics"]
        lines.append("| " + " | ".join([
            r["objective"], cell({"accuracy": m["gold_accuracy"], "ci95": m["gold_ci95"]}),
            *[cell(m["sets"][s]) for s in sets],
            "-" if m.get("heldout_loss") is None else f"{m['heldout_loss']:.3f}", f"{m['mean_answer_tokens']:.1f}",
            str(r["examples"]), f"{r['train_seconds']:.0f}", "-" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}",
        ]) + " |")
    print("\n".join(lines))
    out = ROOT / "bench" / "results" / "objectives.json"
    out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
