"""Which sampling settings make GRPO rollouts worth learning from: the round-0 student answers the GRPO
recipe's round-1 prompts (drawn as the loop draws them, asked as the evaluation asks them) eight times
each, at each setting, and the reference check scores every answer — no training, so the settings are
compared on the same policy.

    .venv/bin/python bench/rollout_settings.py                       # the default grid
    .venv/bin/python bench/rollout_settings.py --settings 1.0/1.0/64 0.7/0.95/128 --prompts 64

A setting is ``temperature/top_p/max_tokens``. Per setting and answer format: the share of groups whose
eight answers got more than one reward (a group without spread teaches nothing under a group baseline),
the share of answers cut off at the limit (no checkable result; masked out of the loss), the mean
reward, the share of yes/no answers that say "yes", the mean answer length, and the seconds spent
sampling. Prints one table and writes ``bench/results/rollout-settings-<time>.json``, with each prompt's
rewards in sampling order (so smaller groups, or a screen read from the first few answers, can be
read from a run with ``--generations 16``: docs/results.md, "The prompt screen").
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from distill.checks.reference import answer_key
from distill.core import SamplingConfig
from distill.data.paths import DATA_DIR
from distill.data.prompts import load_prompts, sample_round
from distill.eval.gold import EvalConfig
from distill.model.precision import choose
from distill.model.student import Student

ROOT = Path(__file__).resolve().parent.parent
GRID = ("1.0/1.0/64", "1.0/1.0/128", "0.8/1.0/128", "0.7/0.95/128", "0.6/0.95/128", "1.0/0.9/128")


def parse_setting(text: str) -> tuple[float, float, int]:
    t, p, n = text.split("/")
    return float(t), float(p), int(n)


def score(questions, groups, student) -> tuple[dict, list]:
    """Per format (and ``all``): groups, groups with spread, answers, cut off, mean reward, yes share;
    and each prompt's format and rewards, in sampling order."""
    acc: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    eos = student.eos_token_ids
    per_prompt = []
    for q, answers in zip(questions, groups):
        texts = [student.tokenizer.decode(a, skip_special_tokens=True) for a in answers]
        rewards = [float(q.check(t, strict=True)) for t in texts]
        per_prompt.append([q.format, rewards])
        for key in (q.format, "all"):
            s = acc[key]
            s["groups"] += 1
            s["spread"] += len(set(rewards)) > 1
            s["answers"] += len(answers)
            s["cut"] += sum(not a or a[-1] not in eos for a in answers)
            s["reward"] += sum(rewards)
            s["tokens"] += sum(len(a) for a in answers)
            if q.format == "yesno":
                keys = [answer_key("yesno", t) for t in texts]
                s["yes"] += keys.count("yes")
    return {f: {"groups": int(s["groups"]), "spread": s["spread"] / s["groups"], "cut_off": s["cut"] / s["answers"],
                "reward": s["reward"] / s["answers"], "length": s["tokens"] / s["answers"],
                **({"yes": s["yes"] / s["answers"]} if f == "yesno" else {})} for f, s in acc.items()}, per_prompt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", nargs="+", default=list(GRID), help="temperature/top_p/max_tokens each")
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--student", default=None, help="the student spec (default: the embedded default)")
    args = ap.parse_args()

    pool = [q for f in sorted((DATA_DIR / "train").glob("*.jsonl")) for q in load_prompts(f)]
    questions = [q for q in sample_round(pool, args.prompts, 1, args.seed, set(), True) if q.checkable]
    suffix = EvalConfig().prompt_suffix
    student = Student(**({"spec": args.student} if args.student else {}), precision=choose("auto").name)
    ids = [student.encode([{"role": "user", "content": q.prompt + suffix.get(q.format or "", "")}]) for q in questions]
    repeated = [p for p in ids for _ in range(args.generations)]
    rows = []
    for text in args.settings:
        t, p, n = parse_setting(text)
        t0 = time.perf_counter()
        sampling = SamplingConfig(max_new_tokens=n, temperature=t, top_p=p, seed=args.seed)
        out = student.generate_ids(repeated, sampling).ids
        seconds = time.perf_counter() - t0
        groups = [out[i:i + args.generations] for i in range(0, len(out), args.generations)]
        formats, rewards = score(questions, groups, student)
        rows.append({"setting": text, "seconds": seconds, "formats": formats,
                     # each prompt's rewards in sampling order: groups of fewer answers, or a screen on the
                     # first few, can be read from them afterwards
                     "rewards": rewards,
                     "examples": {q.format: student.tokenizer.decode(g[0], skip_special_tokens=True)[:160]
                                  for q, g in reversed(list(zip(questions, groups)))}})
        print(f"{text}: {seconds:.0f} s", flush=True)

    print(f"\n{len(questions)} prompts x {args.generations} answers, precision {student.precision}\n")
    print("| temperature / top-p / max tokens | format | groups with spread | cut off | mean reward | says yes "
          "| mean length | s sampling |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        for f, s in sorted(r["formats"].items(), key=lambda kv: kv[0] == "all"):
            print(f"| {r['setting']} | {f} | {s['spread']:.0%} | {s['cut_off']:.0%} | {s['reward']:.3f} | "
                  f"{format(s['yes'], '.0%') if 'yes' in s else '-'} | {s['length']:.0f} | "
                  f"{r['seconds']:.0f} |")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"rollout-settings-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"prompts": len(questions), "generations": args.generations, "rows": rows}, indent=1))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
