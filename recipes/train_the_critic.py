"""Train a critic from the check, measure it where it was not trained, and use it.

1. RUN_DIR/critic: the student answers every prompt with a reference (default: data/train/) at
   several temperatures; the strict check labels each answer right or wrong; whole prompts are held
   out; the student learns to give the verdict for (question, answer) in the run's own critique
   chat, without the reference (LoRA, TRL), on the rest, balanced by label within each answer
   format (distill.critic). Measured on the held-out prompts' answers, beside the untouched student:
   J and AUROC, per format (RUN_DIR/critic/measure.json).
2. RUN_DIR/best-of: the untouched student answers each eval question --best-of times; the critic
   picks one; scored against greedy on the same items, paired (and the untouched student picking,
   for contrast).
3. RUN_DIR/self and RUN_DIR/self-critic: the self-bootstrap on prompts without references (default:
   data/prompts.jsonl) from the same round 0 and seed: the student judging itself, and the trained
   critic judging (teacher critic:RUN_DIR/critic/model) while the student corrects.

RUN_DIR/comparison.md gathers the tables. Running it again resumes every part; each part's folder
is locked while it runs. GRPO rewarded by the critic and the please-the-judge experiment:
recipes/please_the_judge.py --critic RUN_DIR/critic/model.
"""

from __future__ import annotations

import sys
from pathlib import Path

from distill.data.paths import DATA_DIR
from distill.ui.entry import guarded, make_display
from distill.ui.recipe import POWERED, build_config, parser

TRAIN_FILES = [str(p) for p in sorted((DATA_DIR / "train").glob("*.jsonl"))]


def main() -> int:
    ap = parser(__doc__, run_dir="runs/train-the-critic", teacher="self", prompts=str(DATA_DIR / "prompts.jsonl"),
                **{"rounds": 2, "prompts_per_round": 64, **POWERED})
    ap.add_argument("--critic-config", help="a YAML CriticConfig (distill.critic.build) for the critic's data and training; "
                                            "the flags here override it")
    ap.add_argument("--critic-prompts", action="append",
                    help="prompts with references the critic learns from; repeatable (default: data/train/*.jsonl)")
    ap.add_argument("--temperatures", type=lambda s: [float(t) for t in s.split(",")],
                    help="answers sampled per prompt, one at each temperature (default: 0,0.5,1,1)")
    ap.add_argument("--answer-run", action="append",
                    help="an earlier run folder whose recorded answers join the critic's data; repeatable")
    ap.add_argument("--best-of", type=int, default=4, help="answers per eval question the critic picks from (default: 4)")
    ap.add_argument("--parts", default="critic,best-of,self",
                    help="what to run, comma-separated: critic, best-of, self (default: all)")
    args = ap.parse_args()

    def go() -> int:
        from distill.critic.build import build_critic
        from distill.errors import ConfigError

        parts = {p.strip() for p in args.parts.split(",") if p.strip()}
        unknown = parts - {"critic", "best-of", "self"}
        if unknown:
            raise ConfigError(f"--parts: unknown part(s) {', '.join(sorted(unknown))}; the parts are critic, best-of, self")
        if args.best_of < 2:
            raise ConfigError(f"--best-of must be at least 2, got {args.best_of}")
        base = build_config(args)
        root = Path(base.run_dir)
        log = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
        critic = build_critic(critic_config(args, base, root / "critic"), log)
        lines = ["# Train the critic, then use it", "", *data_table(critic.data), "", *measure_table(critic.measure), ""]
        if "best-of" in parts:
            lines += ["", *best_of_tables(best_of(base, critic.model, root / "best-of", args.best_of, log)), ""]
        if "self" in parts:
            from distill.loop.bootstrap import run

            runs = {}
            for name, teacher in (("self", "self"), ("self-critic", f"critic:{critic.model}")):
                cfg = build_config(args, run_dir=str(root / name), teacher=teacher)
                log(f"== {name}: teacher {teacher} -> {cfg.run_dir}")
                runs[name] = run(cfg, make_display(quiet=args.quiet, plain=args.plain))
            lines += ["", *self_table(runs), ""]
        text = "\n".join(lines) + "\n"
        (root / "comparison.md").write_text(text, encoding="utf-8")
        if not args.quiet:
            print(text)
        return 0

    return guarded(Path(sys.argv[0]).name, go, debug=args.debug)


def critic_config(args, base, folder: Path):
    """The critic's config: its defaults < ``--critic-config`` < the run's student, precision, principles
    and seed < the critic flags given."""
    from distill.config import load_yaml
    from distill.critic.build import CriticConfig

    data = load_yaml(args.critic_config) if args.critic_config else {}
    data.update({"run_dir": str(folder), "student": base.student, "precision": base.precision,
                 "principles": base.principles, "seed": base.seed})
    given = {"prompts": args.critic_prompts, "temperatures": args.temperatures, "answer_runs": args.answer_run or None}
    data.update({k: v for k, v in given.items() if v is not None})
    return CriticConfig.from_data(data, args.critic_config or "<recipe flags>")


def best_of(cfg, critic_model: Path, folder: Path, n: int, log) -> dict:
    """The untouched student's best of ``n`` on the eval, picked by the critic and by the student itself
    (its verdict read at once), each written once to ``folder`` (locked while it runs)."""
    from distill.data.evalsets import load_eval_set
    from distill.data.principles import load_principles
    from distill.eval.best_of import best_of_n, draw
    from distill.eval.gold import evaluate
    from distill.model.student import Student
    from distill.store.atomic import write_json
    from distill.store.folder import RunFolder, read_json
    from teachers import load_teacher

    out = {}
    with RunFolder(folder).lock():
        pickers = {"critic": f"critic:{critic_model}", "untouched student": f"critic:{cfg.student}"}
        todo = {k: v for k, v in pickers.items() if read_json(folder / f"{k.replace(' ', '-')}.json") is None}
        if todo:
            student = Student(cfg.student, precision=cfg.precision)
            sets = [s for s in (load_eval_set(p) for p in cfg.eval_sets) if s.format != "mc"]
            greedy = evaluate(student, sets, cfg.eval)
            samples = draw(student, sets, cfg.eval, n, seed=cfg.seed)  # both pickers choose from the same answers
            principle = load_principles(cfg.principles)[0].principles[0]
            for name, spec in todo.items():
                log(f"best of {n}, picked by {name} ({spec})")
                result = best_of_n(student, sets, cfg.eval, load_teacher(spec, student=student), principle, n,
                                   seed=cfg.seed, greedy=greedy, samples=samples)
                write_json(folder / f"{name.replace(' ', '-')}.json", result)
        for name in pickers:
            out[name] = read_json(folder / f"{name.replace(' ', '-')}.json")
    return out


def data_table(counts: dict) -> list[str]:
    lines = ["## The critic's data (answers labelled by the strict check)", "",
             "| split | format | sampled right / wrong | unique right / wrong | trained on |", "|---|---|---|---|---|"]
    for split, formats in counts["sampled"].items():
        for fmt, c in formats.items():
            u = counts["unique"].get(split, {}).get(fmt, {"right": 0, "wrong": 0})
            t = counts["trained_on"].get(fmt) if split == "train" else None
            trained = f"{t['right'] + t['wrong']}" if t else "-"
            lines.append(f"| {split} | {fmt} | {c['right']} / {c['wrong']} | {u['right']} / {u['wrong']} | {trained} |")
    return lines


def measure_table(measure: dict) -> list[str]:
    from distill.critic.measure import line

    lines = [f"## Can it tell right from wrong? {measure['answers']} answers to held-out prompts", "",
             "| critic | all answers | " + " | ".join(next(iter(measure["ways"].values()))["formats"]) + " |",
             "|---|---|" + "---|" * len(next(iter(measure["ways"].values()))["formats"])]
    for name, m in measure["ways"].items():
        lines.append(f"| {name} | {line(m['all'])} | " + " | ".join(line(q) for q in m["formats"].values()) + " |")
    return lines


def best_of_tables(results: dict) -> list[str]:
    from distill.eval.best_of import WAYS, paired_text

    lines = []
    for name, r in results.items():
        lines += [f"## Best of {r['n']} at temperature {r['temperature']}, picked by the {name}", "",
                  "| set | " + " | ".join(WAYS) + " | pick vs greedy: newly right / wrong, change (95% CI), p |",
                  "|---|" + "---|" * (len(WAYS) + 1)]
        rows = [*r["per_set"].items(), ("all (pooled)", {**r["overall"], "paired": r["paired"]["vs greedy"]})]
        for set_name, s in rows:
            lines.append(f"| {set_name} | " + " | ".join(f"{s[w]['accuracy']:.1%}" for w in WAYS)
                         + f" | {paired_text(s['paired'])} |")
        lines.append("")
    return lines


def self_table(runs: dict) -> list[str]:
    from distill.eval.metrics import j_text
    from distill.eval.verdict import pooled
    from distill.publish.report import auroc_text

    lines = ["## Self-bootstrap without references: the student judging itself, and the trained critic judging", "",
             "| run | round | gold accuracy | paired vs round 0, pooled | judge | J (95% CI) | AUROC | faults found | kept |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, manifest in runs.items():
        for m in manifest.history:
            n = m["round"]
            q = m.get("judge")
            t = pooled(manifest.history[0], m) if n else None
            vs0 = "-" if t is None else f"{t.b} / {t.c}, {100 * t.diff:+.1f} ({100 * t.lo:+.1f} to {100 * t.hi:+.1f}), p {t.p:.2g}"
            summary = manifest.rounds[n - 1] if n else None
            lines.append(f"| {name} | {n} | {m['gold_accuracy']:.1%} | {vs0} | {(q or {}).get('source', '-')} | "
                         f"{'-' if q is None else j_text(q)} | {'-' if q is None else auroc_text(q)} | "
                         f"{'-' if summary is None or summary.fault_rate is None else f'{summary.fault_rate:.0%}'} | "
                         f"{'-' if summary is None else summary.kept} |")
    lines += [""] + [f"- {name}: **{m.status}**, best round {m.best_round}: {m.reason}" for name, m in runs.items()]
    return lines


if __name__ == "__main__":
    sys.exit(main())
