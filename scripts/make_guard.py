"""Generate data/guard/: small general-capability multiple-choice sets, unlike the training data and
the eval sets (no arithmetic word problems, no capitals or symbols, no yes/no), that guard against
training garbling the rest of the model (``guard_sets`` in a run config; lm-evaluation-harness task
files beside them).

* ``spelling.jsonl``: which of four spellings is right (a common word and three near misses);
* ``sequences.jsonl``: what comes next (or before) in a well-known order (weekdays, months, the
  alphabet, seasons, counting words, ordinals).

Deterministic (fixed seed), so re-running reproduces the committed files byte for byte:

    python scripts/make_guard.py [--out data/guard] [--seed 11]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

WORDS = ["necessary", "separate", "definitely", "beginning", "believe", "calendar", "character", "committee",
         "difference", "embarrass", "environment", "February", "foreign", "government", "grammar", "guarantee",
         "happened", "immediately", "independent", "knowledge", "library", "medicine", "neighbour", "occasion",
         "occurred", "opinion", "parallel", "particular", "possession", "probably", "receive", "recommend",
         "restaurant", "rhythm", "schedule", "secretary", "sentence", "similar", "successful", "surprise",
         "temperature", "tomorrow", "tongue", "truly", "until", "usually", "vacuum", "Wednesday", "weird", "written",
         "address", "answer", "business", "century", "cousin", "doctor", "exercise", "island", "minute", "village"]
SEQUENCES = {
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "month": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"],
    "letter of the alphabet": list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "colour of the rainbow": ["red", "orange", "yellow", "green", "blue", "indigo", "violet"],
    "counting word": ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"],
    "ordinal": ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"],
}
VOWELS = "aeiou"


def misspellings(word: str, rng: random.Random) -> list[str]:
    """Three near misses of ``word``: a doubled letter undoubled (or a single one doubled), two
    neighbouring letters swapped, a vowel changed."""
    out: list[str] = []
    tries = 0
    while len(out) < 3 and tries < 200:
        tries += 1
        kind = rng.randrange(3)
        i = rng.randrange(1, len(word) - 1)
        if kind == 0:
            doubled = [k for k in range(len(word) - 1) if word[k] == word[k + 1]]
            cand = word[:doubled[0]] + word[doubled[0] + 1:] if doubled and rng.random() < 0.7 else word[:i] + word[i] + word[i:]
        elif kind == 1:
            cand = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        else:
            vowels = [k for k, ch in enumerate(word) if ch in VOWELS]
            if not vowels:
                continue
            k = rng.choice(vowels)
            cand = word[:k] + rng.choice([v for v in VOWELS if v != word[k]]) + word[k + 1:]
        if cand != word and cand not in out and cand.lower() != word.lower():
            out.append(cand)
    return out


def spelling(rng: random.Random) -> list[dict]:
    rows = []
    for word in WORDS:
        choices = [word, *misspellings(word, rng)]
        rng.shuffle(choices)
        rows.append({"question": "Which word is spelled correctly?", "choices": choices, "answer": choices.index(word)})
    return rows


def sequences(rng: random.Random) -> list[dict]:
    rows = []
    for kind, seq in SEQUENCES.items():
        for i in range(len(seq) - 1):
            after = rng.random() < 0.5 or i == 0
            item, want = (seq[i], seq[i + 1]) if after else (seq[i + 1], seq[i])
            others = [w for w in seq if w not in (item, want)]
            choices = [want, *rng.sample(others, 3)]
            rng.shuffle(choices)
            word = "after" if after else "before"
            rows.append({"question": f"Which {kind} comes right {word} {item}?", "choices": choices,
                         "answer": choices.index(want)})
    rng.shuffle(rows)
    return rows[:60]


TASK = """# lm-evaluation-harness task for data/guard/{name}.jsonl (written for this project; see scripts/make_guard.py).
# distill resolves data_files against this folder; the harness's own command line needs an absolute path there.
task: guard_{name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {name}.jsonl
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{question}}}}"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{answer}}}}"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data" / "guard"))
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    for name, rows in (("spelling", spelling(rng)), ("sequences", sequences(rng))):
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        (out / f"{name}.yaml").write_text(TASK.format(name=name), encoding="utf-8")
        print(f"wrote {out / name}.jsonl ({len(rows)} items) and its task file")


if __name__ == "__main__":
    main()
