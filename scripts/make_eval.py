"""Generate data/eval/arithmetic.jsonl: small GSM8K-style word problems with computed answers.

Deterministic (fixed seed), so re-running reproduces the committed file byte for byte:

    python scripts/make_eval.py [--out data/eval/arithmetic.jsonl] [--n 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Milo", "Nora"]
THINGS = ["apples", "pencils", "stickers", "marbles", "books", "cookies", "stamps", "shells", "cards", "balloons"]


def problem(rng: random.Random) -> tuple[str, str, int]:
    """One (question, worked solution, answer) with small numbers; several templates."""
    name, other = rng.sample(NAMES, 2)
    thing = rng.choice(THINGS)
    kind = rng.randrange(6)
    if kind == 0:
        a, b = rng.randint(2, 20), rng.randint(2, 20)
        return (f"{name} has {a} {thing}. {other} gives {name} {b} more. How many {thing} does {name} have now?",
                f"{a} + {b} = {a + b}", a + b)
    if kind == 1:
        a = rng.randint(10, 30)
        b = rng.randint(1, a - 1)
        return (f"{name} had {a} {thing} and gave {b} of them to {other}. How many {thing} does {name} have left?",
                f"{a} - {b} = {a - b}", a - b)
    if kind == 2:
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        return (f"{name} buys {a} bags with {b} {thing} in each bag. How many {thing} does {name} have?",
                f"{a} * {b} = {a * b}", a * b)
    if kind == 3:
        b, q = rng.randint(2, 6), rng.randint(2, 9)
        a = b * q
        return (f"{name} shares {a} {thing} equally among {b} friends. How many {thing} does each friend get?",
                f"{a} / {b} = {q}", q)
    if kind == 4:
        price, count = rng.randint(2, 9), rng.randint(2, 6)
        return (f"One of the {thing} costs {price} dollars. How many dollars do {count} of them cost?",
                f"{price} * {count} = {price * count}", price * count)
    a, b, c = rng.randint(5, 15), rng.randint(2, 10), rng.randint(1, 5)
    return (f"{name} has {a} {thing}, finds {b} more, then loses {c}. How many {thing} does {name} have?",
            f"{a} + {b} = {a + b}; {a + b} - {c} = {a + b - c}", a + b - c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data/eval/arithmetic.jsonl")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seen: set[str] = set()
    rows = []
    while len(rows) < args.n:
        question, work, answer = problem(rng)
        if question in seen:
            continue
        seen.add(question)
        rows.append({"question": question, "answer": f"{work}\n#### {answer}"})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    print(f"wrote {len(rows)} problems to {args.out}")


if __name__ == "__main__":
    main()
