"""Self-Instruct: seed files, parsing, each filter with its reason, resumable output, a real run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fakes import ScriptedTeacher

from distill.data.dedupe import rouge_l
from distill.data.prompts import load_prompts
from distill.curate.self_instruct import (
    InstructionFilter,
    SelfInstructConfig,
    build_prompt,
    generate_instructions,
    load_seed_tasks,
    parse_instructions,
    self_instruct,
)
from distill.errors import DataError
from distill.store.jsonl import read_records

ROOT = Path(__file__).resolve().parents[1]

SEED_TASKS = [
    {"instruction": "Give three tips for staying healthy.", "instances": [{"input": "", "output": "Eat well, sleep, move."}],
     "is_classification": False},
    {"instruction": "Classify the sentiment of the sentence as positive or negative.",
     "instances": [{"input": "I loved the film.", "output": "positive"}], "is_classification": True},
    {"instruction": "Translate the sentence into French.", "instances": [{"input": "Good morning.", "output": "Bonjour."}],
     "is_classification": False},
    {"instruction": "Write a short poem about the sea.", "instances": [{"input": "", "output": "Waves..."}],
     "is_classification": False},
    {"instruction": "Explain why the sky is blue in simple words.", "instances": [{"input": "", "output": "Light scatters."}],
     "is_classification": False},
    {"instruction": "Summarize the paragraph in one sentence.", "instances": [{"input": "A long text.", "output": "Short."}],
     "is_classification": False},
    {"instruction": "Suggest a name for a new coffee shop.", "instances": [{"input": "", "output": "Bean There."}],
     "is_classification": False},
    {"instruction": "List the prime numbers below twenty.", "instances": [{"input": "", "output": "2, 3, 5, 7, 11, 13, 17, 19"}],
     "is_classification": False},
]


@pytest.fixture
def seed_file(tmp_path) -> Path:
    path = tmp_path / "seed_tasks.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in SEED_TASKS))
    return path


# -- seed files ---------------------------------------------------------------------------------

def test_seed_formats(seed_file, tmp_path):
    tasks = load_seed_tasks(seed_file)
    assert [t.instruction for t in tasks] == [t["instruction"] for t in SEED_TASKS]
    assert tasks[1].is_classification and not tasks[0].is_classification
    assert tasks[2].instances == [{"input": "Good morning.", "output": "Bonjour."}]
    txt = tmp_path / "prompts.txt"
    txt.write_text("Name a colour.\n\n  Write a haiku about rain.  \n")
    assert [t.instruction for t in load_seed_tasks(txt)] == ["Name a colour.", "Write a haiku about rain."]
    plain = tmp_path / "prompts.jsonl"
    plain.write_text('{"prompt": "Name a colour."}\n')
    assert load_seed_tasks(plain)[0].instruction == "Name a colour."


@pytest.mark.parametrize("line, field", [
    ('{"instances": [], "is_classification": false}', "'instruction'"),
    ('{"instruction": "", "instances": []}', "'instruction'"),
    ('{"instruction": "Do it.", "instances": "none"}', "'instances'"),
    ('{"instruction": "Do it.", "instances": [{"input": 3, "output": "x"}]}', "'instances[0].input'"),
    ('{"instruction": "Do it.",', "not valid JSON"),
])
def test_bad_seed_row_names_file_line_and_field(tmp_path, line, field):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(SEED_TASKS[0]) + "\n" + line + "\n")
    with pytest.raises(DataError) as e:
        load_seed_tasks(path)
    assert str(path) in str(e.value) and "line 2" in str(e.value) and field in str(e.value)


def test_missing_or_empty_seed_file(tmp_path):
    with pytest.raises(DataError, match="no such seed file"):
        load_seed_tasks(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DataError, match="no seed tasks"):
        load_seed_tasks(tmp_path / "empty.jsonl")


# -- prompt and parsing -------------------------------------------------------------------------

def test_prompt_is_a_numbered_list_ending_with_the_next_number():
    prompt = build_prompt(["Do A now.", "Do\nB   now."])
    assert prompt.splitlines()[-3:] == ["1. Do A now.", "2. Do B now.", "3."]


def test_parse_takes_first_line_and_numbered_lines_only():
    text = ("Here are some new tasks:\n9. Write a limerick about a cat.\nThe cat sat on a mat and...\n"
            "10) Task 10: Name two rivers in Africa.\n- not a task, a bullet of an answer\n"
            "\"11. Describe a sunset.\"\n12. Count the")
    assert parse_instructions(text, "length") == [
        ("Write a limerick about a cat.", False),
        ("Name two rivers in Africa.", False),
        ("Describe a sunset.", False),  # quoted whole, then numbered
        ("Count the", True),  # the last line of a cut-off completion
    ]
    assert parse_instructions("Write a limerick.\nIt goes like this", "length") == [("Write a limerick.", False)]
    # markdown bold around a numbered task; lettered lines are answer options, never new tasks
    assert parse_instructions("**Task 1: Share a tip for travelling light.**\na. Pack less\nb) Roll clothes") == [
        ("Share a tip for travelling light.", False)]
    assert parse_instructions("a. Yes, I can.") == [("Yes, I can.", False)]
    assert parse_instructions("Here you go:\n\n") == []


# -- filters ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, reason", [
    ("Give three tips for staying healthy.", "exact duplicate"),
    ("give  three tips for STAYING healthy.", "exact duplicate"),
    ("(2) Write a story about a dragon.", "starts with punctuation"),
    ("\u00c9crivez un po\u00e8me sur la mer.", "starts with a non-ASCII character"),
    ("Sure, here is a list of tasks for you.", "reads as a reply"),
    ("Write haiku.", "too short"),
    ("Describe " + "a very long thing " * 40, "too long"),
    ("Describe the image of a cat on a sofa.", "needs more than text (keyword 'image')"),
    ("Browse the news and report the top story.", "needs more than text (keyword 'browse')"),
    ("Open the website and summarize its front page.", "needs more than text (keyword 'website')"),
    ("Plot the price of gold over ten years.", "needs more than text (keyword 'plot')"),
    ("Give three tips for staying healthy and happy.", "near duplicate (ROUGE-L"),
])
def test_each_filter_records_its_reason(text, reason):
    filt = InstructionFilter(SelfInstructConfig(), [t["instruction"] for t in SEED_TASKS])
    res = filt.check(text)
    assert not res.kept and res.reason.startswith(reason)
    if reason.startswith("near duplicate"):
        assert res.closest == "Give three tips for staying healthy."
        assert res.rouge_l == pytest.approx(rouge_l(res.closest, text)) and res.rouge_l >= 0.7


def test_filter_keeps_a_new_task_and_then_treats_it_as_pool():
    filt = InstructionFilter(SelfInstructConfig(), [t["instruction"] for t in SEED_TASKS])
    new = "Write a recipe for a vegetarian lasagna."
    res = filt.check(new)
    assert res.kept and res.rouge_l < 0.7
    assert filt.check("Map the graphics").reason.startswith("needs more than text")  # "map" is a word, not "graphics"
    assert not filt.check("Mapping graphics cards to their prices is hard.").reason  # no blocked whole word
    filt.add(new)
    assert filt.check("Write a recipe for a vegetarian lasagna dish.").reason.startswith("near duplicate")


# -- the run: records, resume, target -----------------------------------------------------------

SCRIPT = [
    "Write a recipe for a vegetarian lasagna.\n10. Describe the picture below.",
    "Sure! Here you go:\n\n",
    "9. Give three tips for staying healthy.\n10. Name the capital city of Peru.",
    "Explain how a bicycle gear works to a child.\n10. Compose a limerick about a sleepy owl...",
    "Write a recipe for a vegetarian lasagna.",
    "List four board games that adults enjoy playing.",
    "Invent a riddle whose answer is the moon.",
    "Describe a typical morning at a busy train station.",
]


def test_records_reasons_raw_and_loop_reads_only_kept(seed_file, tmp_path):
    out = tmp_path / "si.jsonl"
    teacher = ScriptedTeacher(SCRIPT)
    cfg = SelfInstructConfig(num_instructions=4, batch_size=3, seed_examples=6, generated_examples=2)
    summary = generate_instructions(load_seed_tasks(seed_file), teacher, out, cfg)
    recs = read_records(out)
    by_text = {r["instruction"]: r for r in recs}
    assert by_text["Describe the picture below."]["reason"] == "needs more than text (keyword 'picture')"
    assert by_text["Give three tips for staying healthy."]["reason"] == "exact duplicate"
    assert by_text["Compose a limerick about a sleepy owl..."]["reason"] == "cut off at the token limit"
    assert [r["reason"] for r in recs if r["request"] == 1] == ["no instruction parsed"]
    assert [r["reason"] for r in recs if r["request"] == 4] == ["exact duplicate"]  # its own earlier output
    # the raw completion sits beside every instruction parsed from it
    assert all(r["raw"] == SCRIPT[r["request"]] for r in recs)
    kept = [r["instruction"] for r in recs if r["kept"]]
    assert kept == ["Write a recipe for a vegetarian lasagna.", "Name the capital city of Peru.",
                    "Explain how a bicycle gear works to a child.", "List four board games that adults enjoy playing."]
    assert summary.kept == 4 and summary.reached_target and summary.requests == 6
    assert summary.dropped == len(recs) - 4
    # each request shows 8 numbered examples and ends with "9."; generated ones join once there are some
    assert all(re.search(r"\n8\. .+\n9\.$", p) for p in teacher.prompts)
    assert "Write a recipe for a vegetarian lasagna." in teacher.prompts[3]
    # the loop's prompt reader sees exactly the kept instructions
    assert [p.prompt for p in load_prompts(out)] == kept


def test_resume_continues_without_duplicates_and_stops_at_target(seed_file, tmp_path):
    out = tmp_path / "si.jsonl"
    tasks = load_seed_tasks(seed_file)
    cfg = SelfInstructConfig(num_instructions=2, batch_size=2)
    first = generate_instructions(tasks, ScriptedTeacher(SCRIPT), out, cfg)
    # the target is reached in request 2; request 3 of the same batch is left unjudged and unrecorded
    assert first.kept == 2 and first.requests == 3
    assert max(r["request"] for r in read_records(out)) == 2
    before = out.read_text()
    # the target is already reached: a re-run asks nothing and writes nothing
    idle = ScriptedTeacher(SCRIPT)
    assert generate_instructions(tasks, idle, out, cfg).kept == 2 and idle.prompts == [] and out.read_text() == before
    # a torn last line (a kill mid-write) is cut, and a larger target continues from the next request
    with open(out, "a") as f:
        f.write('{"instruction": "half a rec')
    more = ScriptedTeacher(SCRIPT[first.requests:])  # the script continues where the first run stopped
    second = generate_instructions(tasks, more, out, SelfInstructConfig(num_instructions=5, batch_size=2))
    recs = read_records(out)
    assert out.read_text().startswith(before)
    assert second.kept == 5 and second.reached_target
    requests = [r["request"] for r in recs]
    assert requests == sorted(requests) and set(requests) == set(range(second.requests))
    assert all(r["raw"] == SCRIPT[r["request"]] for r in recs)
    kept = [r["instruction"] for r in recs if r["kept"]]
    assert len(kept) == len(set(kept)) == 5
    # the script's repeat of the first run's output is caught across runs
    assert any(r["reason"] == "exact duplicate" and r["instruction"] == "Write a recipe for a vegetarian lasagna."
               for r in recs[before.count("\n"):])


def test_request_limit_stops_a_teacher_that_never_helps(seed_file, tmp_path):
    out = tmp_path / "si.jsonl"
    teacher = ScriptedTeacher(["Sure! Here you go:"])
    s = generate_instructions(load_seed_tasks(seed_file), teacher, out,
                              SelfInstructConfig(num_instructions=3, batch_size=4, max_requests=6))
    assert s.kept == 0 and not s.reached_target and s.requests == 6 and len(teacher.prompts) == 6
    assert s.reasons == {"no instruction parsed": 6}


# -- the real default student -------------------------------------------------------------------

def test_default_student_writes_new_filtered_instructions(student, seed_file, tmp_path):
    out = tmp_path / "si.jsonl"
    cfg = SelfInstructConfig(num_instructions=3, batch_size=4, max_new_tokens=48, max_requests=8, seed=0)
    s = self_instruct(seed_file, out, cfg, teacher="self", student=student)
    recs = read_records(out)
    assert s.kept + s.dropped == len(recs) and s.requests <= 8
    assert s.kept >= 1, [(r["instruction"], r["reason"]) for r in recs]
    seeds = [t["instruction"] for t in SEED_TASKS]
    for r in recs:
        assert r["teacher"] == "self" and isinstance(r["raw"], str) and r["finish_reason"] in ("stop", "length")
        assert r["kept"] == (r["reason"] is None)
        if r["kept"]:  # a kept instruction really passed: new, and no near-duplicate of any seed task
            assert r["instruction"] not in seeds
            assert max(rouge_l(seed, r["instruction"]) for seed in seeds) < 0.7
            assert r["instruction"] in r["raw"]
    assert [p.prompt for p in load_prompts(out)] == [r["instruction"] for r in recs if r["kept"]]


def test_recipe_reports_a_bad_seed_file_without_loading_a_model(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("recipe_self_instruct", ROOT / "recipes" / "self_instruct.py")
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    bad = tmp_path / "seed.jsonl"
    bad.write_text('{"name": "no_instruction", "instances": []}\n')
    assert recipe.main(["--seed-file", str(bad), "--out", str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 1: missing field 'instruction'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.jsonl").exists()
