"""Fuzzed inputs: whatever a user's file holds (empty, huge, binary, wrong types, wrong encodings),
reading it ends in a clean result or a one-line error naming the file — never a traceback, never
a hang. Property-based (hypothesis) over prompt files, eval files, principles files, run configs
and teacher replies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distill.interface import Completion, DistillError, Item, Principle

# FUZZ_EXAMPLES=1500 for a longer search than the suite's
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# JSON values of every kind, nested a little
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["question", "prompt", "answer", "answers", "aliases", "choices", "label", "messages",
                               "instruction", "input", "output", "reference", "context", "turns", "answerKey", "x"])
records = st.dictionaries(field_names, json_values, max_size=5)
lines = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(max_size=20).map(lambda t: t.encode("utf-16")),
)
files = st.lists(lines, max_size=6).map(lambda ls: b"\n".join(ls))


def one_line_about(err: Exception, path: Path) -> None:
    text = str(err)
    assert isinstance(err, DistillError), f"{type(err).__name__}: {text}"
    assert "\n" not in text.strip() or str(path) in text, text
    assert str(path) in text, text


def check_file(loader, path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        loader(path)
    except DistillError as e:
        one_line_about(e, path)


@FUZZ
@given(data=files)
def test_prompt_files(tmp_path, data):
    from distill.data.prompts import load_prompts

    check_file(load_prompts, tmp_path / "prompts.jsonl", data)


@FUZZ
@given(data=files)
def test_eval_files(tmp_path, data):
    from distill.data.evalsets import load_eval_set

    check_file(load_eval_set, tmp_path / "eval.jsonl", data)


@FUZZ
@given(data=files)
def test_instruction_files(tmp_path, data):
    from distill.data.instructions import load_instructions

    check_file(load_instructions, tmp_path / "replay.jsonl", data)


yaml_docs = st.one_of(
    st.binary(max_size=60),
    json_values.map(lambda v: json.dumps(v).encode()),  # JSON is YAML
    st.dictionaries(st.sampled_from(["stages", "name", "principles", "critique", "revision", "rounds", "train", "eval",
                                     "teacher", "answer", "sft", "objective", "limit"]), json_values, max_size=4)
    .map(lambda d: json.dumps(d).encode()),
)


@FUZZ
@given(data=yaml_docs)
def test_principles_files(tmp_path, data):
    from distill.data.principles import load_principles

    check_file(load_principles, tmp_path / "principles.yaml", data)


@FUZZ
@given(data=yaml_docs)
def test_run_configs(tmp_path, data):
    from distill.config import RunConfig

    check_file(RunConfig.load, tmp_path / "run.yaml", data)


def test_huge_lines_and_a_ten_megabyte_prompt(tmp_path):
    from distill.data.prompts import load_prompts

    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"prompt": "word " * 2_000_000}) + "\n" + "[" * 100_000 + "\n")
    with pytest.raises(DistillError) as e:  # the second line nests too deeply for any JSON parser
        load_prompts(path)
    one_line_about(e.value, path)
    path.write_text(json.dumps({"prompt": "word " * 2_000_000}) + "\n")
    [item] = load_prompts(path)
    assert len(item.prompt) > 9_000_000


@FUZZ
@given(reply=st.text(max_size=300) | st.text(alphabet="VERDICT:FAULTNO \n*_-", max_size=60))
def test_teacher_replies_of_any_shape(reply):
    from teachers import Teacher, parse_verdict

    class Echo(Teacher):
        def complete(self, chats, config):
            return [Completion(text=reply) for _ in chats]

    principle = Principle("p", "Is it wrong?", "Fix it.")
    [crit] = Echo().critique([Item("q", "a")], principle)
    assert crit.text == reply and crit.verdict == parse_verdict(reply)
    assert crit.verdict in ("fault", "no_fault", "unparseable")
    [rev] = Echo().revise([Item("q", "a")], [crit], principle)
    assert rev.text == reply
