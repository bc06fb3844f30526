"""Instruction data: every supported file format and row format, named errors, mixing, shipped replay data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasets import Dataset

from distill.curate.rows import mix, prompt_key
from distill.data.instructions import load_instructions
from distill.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


def _write_jsonl(path: Path, rows: list, blank_after: int | None = None) -> Path:
    lines = [json.dumps(r) for r in rows]
    if blank_after is not None:
        lines.insert(blank_after, "")
    path.write_text("\n".join(lines) + "\n")
    return path


def _user(text):
    return [{"role": "user", "content": text}]


def _assistant(text):
    return [{"role": "assistant", "content": text}]


def test_messages_jsonl(tmp_path):
    rows = [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]},
        {"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Name a colour."},
            {"role": "assistant", "content": "Red."},
            {"role": "user", "content": "Another."},
            {"role": "assistant", "content": "Blue."},
        ]},
    ]
    ds = load_instructions(_write_jsonl(tmp_path / "chat.jsonl", rows))
    assert ds.column_names == ["prompt", "completion"]
    assert ds[0]["prompt"] == _user("Hi") and ds[0]["completion"] == _assistant("Hello!")
    # Multi-turn: earlier turns are the prompt, only the last answer is the completion.
    assert [m["content"] for m in ds[1]["prompt"]] == ["Be brief.", "Name a colour.", "Red.", "Another."]
    assert ds[1]["completion"] == _assistant("Blue.")


def test_prompt_completion_strings_csv(tmp_path):
    path = tmp_path / "pc.csv"
    Dataset.from_list([{"prompt": "Say hi", "completion": "Hi!"}, {"prompt": "Count to 2", "completion": "1, 2"}]).to_csv(path, index=False)
    ds = load_instructions(path)
    assert ds[1]["prompt"] == _user("Count to 2") and ds[1]["completion"] == _assistant("1, 2")


def test_prompt_completion_messages_json(tmp_path):
    path = tmp_path / "pc.json"
    path.write_text(json.dumps([{"prompt": _user("Q1"), "completion": _assistant("A1")},
                                {"prompt": _user("Q2"), "completion": _assistant("A2")}]))
    ds = load_instructions(path)
    assert len(ds) == 2 and ds[0]["prompt"] == _user("Q1") and ds[1]["completion"] == _assistant("A2")


def test_alpaca_parquet(tmp_path):
    path = tmp_path / "alpaca.parquet"
    Dataset.from_list([
        {"instruction": "Translate to French.", "input": "Good night.", "output": "Bonne nuit."},
        {"instruction": "Say something kind.", "input": "", "output": "You did well."},
    ]).to_parquet(path)
    ds = load_instructions(path)
    assert ds[0]["prompt"] == _user("Translate to French.\n\nGood night.")
    assert ds[1]["prompt"] == _user("Say something kind.")  # empty input adds nothing
    assert ds[1]["completion"] == _assistant("You did well.")


def test_missing_field_names_file_line_and_field(tmp_path):
    rows = [{"instruction": "a", "output": "b"}, {"instruction": "c", "output": "d"}, {"instruction": "e"}]
    path = _write_jsonl(tmp_path / "bad.jsonl", rows, blank_after=1)  # a blank line shifts row 3 to line 4
    with pytest.raises(DataError) as err:
        load_instructions(path)
    msg = str(err.value)
    assert str(path) in msg and "line 4" in msg and "'output'" in msg


def test_missing_completion_in_csv_names_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("prompt,completion\nQ1,A1\nQ2,\n")
    with pytest.raises(DataError, match=r"bad\.csv, row 2: missing field 'completion'"):
        load_instructions(path)


def test_unknown_format_and_bad_messages(tmp_path):
    with pytest.raises(DataError, match=r"row 1: missing field 'messages'.*'question'"):
        load_instructions(_write_jsonl(tmp_path / "q.jsonl", [{"question": "x", "answer": "y"}]))
    no_answer = [{"messages": [{"role": "user", "content": "Hi"}]}]
    with pytest.raises(DataError, match=r"line 1: field 'messages' must end with an assistant message"):
        load_instructions(_write_jsonl(tmp_path / "m.jsonl", no_answer))
    bad_role = [{"messages": [{"role": "robot", "content": "Hi"}, {"role": "assistant", "content": "x"}]}]
    with pytest.raises(DataError, match=r"message 1 has unknown role 'robot'"):
        load_instructions(_write_jsonl(tmp_path / "r.jsonl", bad_role))


def test_invalid_json_line_and_unsupported_source(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c", \n')
    with pytest.raises(DataError, match=r"broken\.jsonl, line 2: not valid JSON"):
        load_instructions(path)
    txt = tmp_path / "data.txt"
    txt.write_text("hello")
    with pytest.raises(DataError, match="unsupported file type"):
        load_instructions(txt)
    with pytest.raises(DataError, match="no such file"):
        load_instructions(tmp_path / "missing.jsonl")


def test_hub_id_offline_is_a_clear_error():
    # conftest sets HF_HUB_OFFLINE=1, so the hub counts as unreachable.
    with pytest.raises(DataError, match="offline"):
        load_instructions("someorg/some-dataset")


def _pc(n, prefix):
    return [{"prompt": f"{prefix} question {i}", "completion": f"{prefix} answer {i}"} for i in range(n)]


def test_mix_ratio_is_replay_per_pair():
    pairs, replay = _pc(10, "pair"), _pc(50, "replay")
    for ratio, expected in ((0, 0), (0.5, 5), (2, 20), (10, 50)):  # capped at what is available
        ds = mix(pairs, replay, ratio=ratio, seed=0)
        assert ds["origin"].count("pair") == 10 and ds["origin"].count("replay") == expected
    with pytest.raises(ValueError, match="ratio"):
        mix(pairs, replay, ratio=-1, seed=0)


def test_mix_is_deterministic_under_seed():
    pairs, replay = _pc(10, "pair"), _pc(50, "replay")
    a, b, c = (mix(pairs, replay, ratio=2, seed=s).to_list() for s in (7, 7, 8))
    assert a == b
    assert a != c


def test_mix_removes_duplicate_prompts_pairs_win():
    pairs = [
        {"prompt": "Name a fruit.", "completion": "Apple."},
        {"prompt": "  name a   FRUIT. ", "completion": "Pear."},  # same prompt modulo case and spaces
        {"prompt": "Name a tree.", "completion": "Oak."},
    ]
    replay = [
        {"prompt": "Name a tree.", "completion": "Birch."},  # loses to the corrected pair
        {"prompt": "Name a bird.", "completion": "Robin."},
        {"prompt": "Name a bird.", "completion": "Crow."},
    ]
    ds = mix(pairs, replay, ratio=5, seed=0)
    got = {(r["prompt"][0]["content"].strip().lower(), r["completion"][0]["content"], r["origin"]) for r in ds}
    assert got == {("name a fruit.", "Apple.", "pair"), ("name a tree.", "Oak.", "pair"), ("name a bird.", "Robin.", "replay")}


def test_shipped_replay_data():
    train = load_instructions(ROOT / "data" / "replay.jsonl")
    held = load_instructions(ROOT / "data" / "replay_heldout.jsonl")
    assert len(train) >= 300 and 30 <= len(held) <= 60
    train_keys = [prompt_key(p) for p in train["prompt"]]
    held_keys = {prompt_key(p) for p in held["prompt"]}
    assert len(set(train_keys)) == len(train_keys), "duplicate prompts in replay.jsonl"
    assert not held_keys & set(train_keys), "held-out prompts leak into replay.jsonl"
    # Short answers keep training cheap: most are a few sentences at most.
    words = sorted(len(c[0]["content"].split()) for c in train["completion"])
    assert words[len(words) // 2] <= 20 and words[-1] <= 80
    # Replay must not contain the gold eval questions (they would leak the answers into training).
    eval_questions = {
        prompt_key(_user(json.loads(line)["question"]))
        for f in (ROOT / "data" / "eval").glob("*.jsonl")
        for line in f.read_text().splitlines()
        if line.strip() and "question" in json.loads(line)
    }
    assert not eval_questions & (set(train_keys) | held_keys)


def test_shipped_guards():
    """Every guard loads as multiple choice with four distinct choices, the answer positions spread
    (no position a shortcut), its harness task names its file, and none repeats an eval question
    (the guards share the eval's templates, "What is the capital of ...?", not its facts)."""
    from collections import Counter

    from distill.data.evalsets import default_eval_paths, default_guard_paths, load_eval_set

    guards = {p.stem: load_eval_set(p) for p in default_guard_paths()}
    assert {"spelling", "sequences", "misconceptions"} <= set(guards)
    assert len(guards["misconceptions"].items) >= 200
    asked = {prompt_key(_user(it.prompt)) for p in default_eval_paths() for it in load_eval_set(p).items}
    for name, guard in guards.items():
        assert guard.format == "mc", name
        questions = [(it.prompt, tuple(it.choices)) for it in guard.items]
        assert len(set(questions)) == len(questions), f"{name}: a repeated item"
        assert all(len(set(it.choices)) == len(it.choices) == 4 for it in guard.items), name
        positions = Counter(it.gold for it in guard.items)
        assert max(positions.values()) <= 0.4 * len(guard.items), f"{name}: answers bunched at {positions}"
        assert f"test: {name}.jsonl" in (ROOT / "data" / "guard" / f"{name}.yaml").read_text()
        assert not {prompt_key(_user(it.prompt)) for it in guard.items} & asked, f"{name} repeats an eval question"
    # A guard measures what training does not touch: no shipped training prompt near-duplicates it
    # (the loop would also drop such a prompt from its pool, as it drops near-duplicates of eval questions).
    from distill.data.dedupe import NearDuplicateIndex
    from distill.data.prompts import load_prompts

    index = NearDuplicateIndex()
    for guard in guards.values():
        for it in guard.items:
            index.add(it.question)
    pools = sorted((ROOT / "data" / "train").glob("*.jsonl")) + [ROOT / "data" / "prompts.jsonl"]
    near = [q.prompt for path in pools for q in load_prompts(path) if index.is_duplicate(q.prompt)[0]]
    assert not near, f"training prompts near-duplicate a guard question: {near[:3]}"
