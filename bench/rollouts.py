"""What an RL run's rollouts say, read from ``round-NN/train/rollouts.jsonl``: per round, how often the
policy answered "yes" to a yes/no prompt (a constant answer is paid on half the questions), the most
common answer per format, and how many rewarded short answers hedge across candidates (the lenient
check pays "Africa or South America"; the strict one, which the reference reward now uses, does not).

    .venv/bin/python bench/rollouts.py RUN_DIR [RUN_DIR ...]

Each answer is counted once (the rows of the first reward in the log). Prints one table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from distill.data.questions import Question
from distill.checks.reference import answer_collapse, answer_key, hedged
from distill.store.jsonl import read_records


def round_stats(round_dir: Path) -> dict | None:
    """The counts of one round's rollouts, or None without a rollout log."""
    rows = read_records(round_dir / "train" / "rollouts.jsonl", repair=False)
    if not rows:
        return None
    first = rows[0]["reward"]
    rows = [r for r in rows if r["reward"] == first]
    questions = {q["prompt"]: Question.from_json(q)
                 for q in json.loads((round_dir / "prompts.json").read_text(encoding="utf-8"))}

    def question(prompt: str) -> Question | None:  # the log has the prompt as asked: the question + a suffix
        return next((q for text, q in questions.items() if prompt.startswith(text)), None)

    yesno = [answer_key("yesno", r["completion"]) for r in rows if r.get("format") == "yesno"]
    short = [(r, question(r["prompt"])) for r in rows if r.get("format") == "short" and r.get("value")]
    hedges = [r for r, q in short if hedged(r["completion"], q.gold if q is not None else None)]
    return {"rollouts": len(rows), "yesno": len(yesno), "yes": yesno.count("yes"),
            "short_rewarded": len(short), "hedged": len(hedges), "answers": answer_collapse(rows),
            "example": hedges[0]["completion"][:100] if hedges else ""}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    args = ap.parse_args()
    print("| run | round | rollouts | yes/no answered 'yes' | rewarded short answers that hedge | most common answer "
          "per format | a rewarded hedge |")
    print("|---|---|---|---|---|---|---|")
    for run in args.runs:
        for round_dir in sorted(run.glob("round-*")):
            s = round_stats(round_dir)
            if s is None:
                continue
            top = "; ".join(f"{f}: {a['top']!r} {a['share']:.0%}" for f, a in s["answers"].items())
            print(f"| {run.name} | {int(round_dir.name.split('-')[1])} | {s['rollouts']} | {s['yes']} of {s['yesno']} "
                  f"({s['yes'] / max(s['yesno'], 1):.0%}) | {s['hedged']} of {s['short_rewarded']} | {top} | "
                  f"{s['example']!r} |")


if __name__ == "__main__":
    main()
