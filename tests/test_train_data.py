"""Training data under data/train/: reproducible from its script, large enough, correct, and apart from the eval sets."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from distill.data.dedupe import NearDuplicateIndex

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "data/train"
FILES = ("facts.jsonl", "arithmetic.jsonl", "yesno.jsonl")
MIN_COUNTS = {"facts.jsonl": 250, "arithmetic.jsonl": 350, "yesno.jsonl": 250}
EQUATION = re.compile(r"(\d+) ([-+*/]) (\d+) = (\d+)")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _train_questions() -> list[str]:
    return [row["question"] for name in FILES for row in _rows(TRAIN / name)]


def test_generator_reproduces_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_train_data", ROOT / "scripts/make_train_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--out-dir", str(tmp_path)])
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (TRAIN / name).read_bytes(), name


@pytest.mark.parametrize("name", FILES)
def test_counts(name):
    assert len(_rows(TRAIN / name)) >= MIN_COUNTS[name]


def test_no_exact_or_near_duplicates_of_eval_questions_or_prompts():
    index = NearDuplicateIndex(0.7)
    taken = set()
    for path in sorted((ROOT / "data/eval").glob("*.jsonl")):
        for row in _rows(path):
            index.add(row["question"])
            taken.add(_normalise(row["question"]))
    taken.update(_normalise(row["prompt"]) for row in _rows(ROOT / "data/prompts.jsonl"))
    assert len(index) >= 300  # all five eval files were read
    exact = [q for q in _train_questions() if _normalise(q) in taken]
    near = [(q, match, round(score, 3)) for q in _train_questions()
            for dup, match, score in [index.is_duplicate(q)] if dup]
    assert not exact
    assert not near


def test_no_repeats_within_or_across_training_files():
    keys = [_normalise(q) for q in _train_questions()]
    assert len(keys) == len(set(keys))


def test_facts_have_aliases():
    for row in _rows(TRAIN / "facts.jsonl"):
        assert row["answers"] and all(isinstance(a, str) and a.strip() for a in row["answers"]), row


def test_arithmetic_worked_solutions_compute():
    ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
    for row in _rows(TRAIN / "arithmetic.jsonl"):
        work, sep, final = row["answer"].rpartition("\n#### ")
        assert sep and final.isdigit(), row
        steps = work.split("; ")
        for step in steps:
            m = EQUATION.fullmatch(step)
            assert m, (step, row)
            a, op, b, c = int(m[1]), m[2], int(m[3]), int(m[4])
            assert (a == b * c) if op == "/" else ops[op](a, b) == c, (step, row)
        assert int(final) == int(EQUATION.fullmatch(steps[-1])[4]), row


def test_yesno_answers_are_booleans_and_balanced():
    answers = [row["answer"] for row in _rows(TRAIN / "yesno.jsonl")]
    assert all(isinstance(a, bool) for a in answers)
    assert 0.35 <= sum(answers) / len(answers) <= 0.65
