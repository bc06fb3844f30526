"""Gold-answer evaluation: scoring rules, file formats and errors, the real model on a few items, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from distill.checks import reference as scoring
from distill.data.evalsets import default_eval_paths, eval_questions, load_eval_set
from distill.data.questions import Question
from distill.errors import DataError
from distill.eval.gold import EvalConfig, choice_logprobs, evaluate
from distill.eval.metrics import distinct_n, round_metrics, wilson_interval

ROOT = Path(__file__).resolve().parents[1]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- scoring


def test_score_generated_each_format():
    short = Question("Capital of France?", format="short", gold=["Paris"])
    assert short.score("It's Paris.") == (True, None)
    gsm = Question("2+3?", format="gsm8k", gold=5.0)
    assert gsm.score("2 + 3 = 5. So the answer is 5.0") == (True, 5.0)
    assert gsm.score("The answer is 5, no wait, 6") == (False, 6.0)
    yn = Question("Is ice cold?", format="yesno", gold=True)
    assert yn.score("Yes, ice is cold.") == (True, True) and yn.check("Yes.")
    assert yn.score("Ice is cold.") == (False, None)
    with pytest.raises(ValueError, match="cannot be checked"):
        Question("Which?", format="mc", gold=0, choices=["a", "b"]).score("a")


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_distinct_n():
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)  # (a b), (b a), (a b)
    assert distinct_n(["one", ""], 2) == 0.0
    assert distinct_n(["x y", "X Y"], 2) == 0.5  # case-insensitive


# ----------------------------------------------------------------------------- files and formats


def test_format_detection_and_gold(tmp_path):
    short = load_eval_set(write_jsonl(tmp_path / "short.jsonl", [
        {"question": "Capital of France?", "answer": "Paris"},
        {"question": "Days in a week?", "aliases": ["7", "seven"]},
        {"question": "Who wrote Hamlet?", "answers": {"text": ["Shakespeare"], "answer_start": [0]}},
        {"question": "Legs of a dog?", "answer": 4},
    ]))
    assert short.format == "short" and short.name == "short"
    assert [i.gold for i in short.items] == [["Paris"], ["7", "seven"], ["Shakespeare"], ["4"]]
    assert short.items[1].line == 2

    gsm = load_eval_set(write_jsonl(tmp_path / "gsm.jsonl", [{"question": "2+2?", "answer": "2 + 2 = 4\n#### 4"},
                                                             {"question": "Big?", "answer": "#### 1,500"}]))
    assert gsm.format == "gsm8k" and [i.gold for i in gsm.items] == [4.0, 1500.0]

    mc = load_eval_set(write_jsonl(tmp_path / "mc.jsonl", [
        {"question": "Sky colour?", "choices": ["green", "blue"], "answer": 1},
        {"question": "Hot?", "choices": {"text": ["fire", "ice"], "label": ["A", "B"]}, "answerKey": "A"},
        {"question": "Wet?", "options": ["water", "sand", "dust"], "label": "0"},
    ]))
    assert mc.format == "mc" and [i.gold for i in mc.items] == [1, 0, 0]
    assert mc.items[1].choices == ["fire", "ice"] and mc.items[0].gold_text == "blue"

    yn = load_eval_set(write_jsonl(tmp_path / "yn.jsonl", [{"question": "Ice cold?", "answer": True},
                                                           {"question": "Fire cold?", "answer": False}]))
    assert yn.format == "yesno" and [i.gold_text for i in yn.items] == ["yes", "no"]

    # "yes"/"no" strings look like short answers; --format yesno reads them as booleans
    forced = load_eval_set(write_jsonl(tmp_path / "ynstr.jsonl", [{"question": "Ice cold?", "answer": "Yes"}]), format="yesno")
    assert forced.format == "yesno" and forced.items[0].gold is True
    assert load_eval_set(tmp_path / "ynstr.jsonl").format == "short"


def test_context_passages_are_asked_and_checked_for_leakage(tmp_path):
    path = write_jsonl(tmp_path / "boolq.jsonl", [
        {"question": "is the lake frozen", "passage": "In January the lake is covered in thick ice.", "answer": True}])
    es = load_eval_set(path)
    assert es.format == "yesno"
    assert es.items[0].prompt == "In January the lake is covered in thick ice.\n\nis the lake frozen"
    assert eval_questions([path]) == {"is lake frozen", "in january lake is covered in thick ice"}
    bad = write_jsonl(tmp_path / "badctx.jsonl", [{"question": "q", "context": ["x"], "answer": "b"}])
    with pytest.raises(DataError, match=r", line 1: field 'context'"):
        load_eval_set(bad)


@pytest.mark.parametrize(
    "rows, fmt, expected",
    [
        (['{"question": "a", "answer": "b"}', '{"question": "c", "answer": '], None, r", line 2: not valid JSON"),
        ([{"question": "a", "answer": "b"}, ["not", "an", "object"]], None, r", line 2: expected a JSON object"),
        ([{"question": "a"}], None, r", line 1: field 'answer': missing"),
        ([{"question": "a", "answer": True}, {"question": "b", "answer": ["x", 3]}], None, r", line 2: field 'answer' \(yesno format\)"),
        ([{"question": "a", "answer": "b"}, {"question": "c", "answer": [1, [2]]}], None, r", line 2: field 'answer' \(short format\).*list"),
        ([{"q": "a", "answer": "b"}], None, r", line 1: field 'question'"),
        ([{"question": "a", "answer": "b"}, {"question": "", "answer": "c"}], None, r", line 2: field 'question'.*non-empty"),
        ([{"question": "a", "choices": ["x", "y"], "answer": 2}], None, r", line 1: field 'answer' \(mc format\).*out of range"),
        ([{"question": "a", "choices": ["x"], "answer": 0}], None, r", line 1: field 'choices'.*at least two"),
        ([{"question": "a", "choices": ["x", "y"], "answerKey": "C"}], None, r", line 1: field 'answerKey'.*not one of"),
        ([{"question": "a", "answer": "#### 4"}, {"question": "b", "answer": "#### four"}], None, r", line 2: field 'answer' \(gsm8k format\).*no number"),
        ([{"question": "a", "answer": True}, {"question": "b", "answer": "maybe"}], None, r", line 2: field 'answer' \(yesno format\)"),
        ([{"question": "a", "answer": "Paris"}], "gsm8k", r", line 1: field 'answer' \(gsm8k format\)"),
        ([{"question": "a", "answer": "the"}], None, r", line 1: field 'answer'.*empty after normalisation"),
        ([{"question": "a", "answers": []}], None, r", line 1: field 'answers'"),
    ],
)
def test_bad_input_names_file_line_and_field(tmp_path, rows, fmt, expected):
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DataError, match=expected) as info:
        load_eval_set(path, format=fmt)
    assert str(path) in str(info.value)


def test_missing_empty_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="no such eval file"):
        load_eval_set(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(DataError, match="no records"):
        load_eval_set(tmp_path / "empty.jsonl")
    with pytest.raises(DataError, match="unknown format 'squad'"):
        load_eval_set(tmp_path / "empty.jsonl", format="squad")


def test_shipped_eval_sets_load_and_questions_are_unique():
    paths = default_eval_paths()
    sets = {p.stem: load_eval_set(p) for p in paths}
    assert {"facts", "arithmetic", "yesno", "contradictions", "choices"} <= set(sets)
    assert sets["choices"].format == "mc"
    assert sets["facts"].format == "short" and sets["arithmetic"].format == "gsm8k"
    assert sets["yesno"].format == "yesno" and sets["contradictions"].format == "yesno"
    total = sum(len(s.items) for s in sets.values())
    assert 250 <= total <= 600
    questions = eval_questions(paths)
    assert len(questions) == total  # no question appears twice across the sets
    assert scoring.normalize_answer("What is the capital of France?") in questions
    labels = [i.gold for i in sets["contradictions"].items]
    assert labels[:2] == [True, False] and sum(labels) == len(labels) // 2  # balanced, interleaved for --limit


def test_arithmetic_file_is_reproduced_by_its_generator(tmp_path):
    out = tmp_path / "arith.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_eval.py"), "--out", str(out)], check=True,
                   capture_output=True)
    assert out.read_bytes() == (ROOT / "data" / "eval" / "arithmetic.jsonl").read_bytes()
    for item in load_eval_set(out).items:  # the worked solution's last result is the gold number
        assert item.gold == float(int(item.gold)) and 0 <= item.gold <= 100


# ----------------------------------------------------------------------------- per-round metrics


def test_round_metrics_combines_approval_loss_and_diversity():
    items = [
        dict(question="Capital of France?", answer="Paris is the capital.", correct=True, tokens=5),
        dict(question="Capital of Japan?", answer="Paris is the capital.", correct=False, tokens=5),
        dict(question="Is ice cold?", answer="", correct=False, tokens=0),
    ]
    items.append(dict(question="Is it frozen?", context="The lake is ice.", answer="Yes", correct=True, tokens=1))
    mc_items = [dict(question="Sky?", answer="blue", correct=True)]
    result = {
        "sets": {
            "facts": dict(format="short", n=4, correct=2, accuracy=1 / 2, ci95=list(wilson_interval(2, 4)), items=items),
            "mc": dict(format="mc", n=1, correct=1, accuracy=1.0, ci95=list(wilson_interval(1, 1)), items=mc_items),
        },
        "overall": dict(n=5, correct=3, accuracy=0.6, ci95=list(wilson_interval(3, 5))),
    }
    seen = {}

    def approve(questions, answers):  # a judge that approves answers naming the asked-about place
        seen["questions"] = questions
        return [None if not a else q.split()[-1].rstrip("?") in a or a == "Yes" for q, a in zip(questions, answers)]

    m = round_metrics(0, result, approve=approve, heldout_loss=lambda: 2.5)
    # mc answers are not generated, so not judged; the judge sees a question's context before it
    assert seen["questions"] == [i["question"] for i in items[:3]] + ["The lake is ice.\n\nIs it frozen?"]
    assert m["round"] == 0 and m["gold_accuracy"] == 0.6 and m["gold_n"] == 5
    assert m["approval_rate"] == pytest.approx(1 / 3) and m["approval_n"] == 3 and m["approval_skipped"] == 1
    assert m["heldout_loss"] == 2.5
    # bigrams: (paris is) (is the) (the capital.) twice -> 3 unique of 6
    assert m["distinct_2"] == pytest.approx(0.5)
    assert m["mean_answer_tokens"] == pytest.approx(11 / 4)
    assert m["sets"]["mc"]["accuracy"] == 1.0
    json.dumps(m)
    bare = round_metrics(1, result)
    assert bare["approval_rate"] is None and bare["heldout_loss"] is None
    with pytest.raises(ValueError, match="2 verdicts for 4 answers"):
        round_metrics(1, result, approve=lambda q, a: [True, True])


# ----------------------------------------------------------------------------- the real model


@pytest.mark.slow
def test_multiple_choice_log_likelihood_with_real_model(student):
    import torch

    question, choices = "What color is the sky on a clear day?", ["blue", "a loud trumpet sound"]
    scores = choice_logprobs(student, question, choices)
    # the batched, padded scores equal an unpadded one-sequence computation
    prompt = student.encode(question)
    for choice, score in zip(choices, scores):
        cont = student.tokenizer(choice, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logits = student.model(input_ids=torch.tensor([prompt + cont])).logits[0]
        logp = torch.log_softmax(logits.float(), -1)
        direct = sum(logp[len(prompt) - 1 + k, t].item() for k, t in enumerate(cont))
        assert score == pytest.approx(direct, abs=1e-3)
    assert scores[0] > scores[1]
    normed = choice_logprobs(student, question, choices, normalize=True)
    n_tok = len(student.tokenizer(choices[1], add_special_tokens=False)["input_ids"])
    assert normed[1] == pytest.approx(scores[1] / n_tok, abs=1e-4)
    # after a prefill (how verdicts are read), against the same one-sequence computation
    prefill, conts = "Let me think. VERDICT:", [" FAULT", " NO FAULT", ""]
    scored = student.continuation_logprobs(question, conts, prefill=prefill)
    head = prompt + student.tokenizer(prefill, add_special_tokens=False)["input_ids"]
    for cont_text, score in zip(conts, scored):
        cont = student.tokenizer(cont_text, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(student.model(input_ids=torch.tensor([head + cont])).logits[0].float(), -1)
        assert score == pytest.approx(sum(logp[len(head) - 1 + k, t].item() for k, t in enumerate(cont)), abs=1e-3)


@pytest.mark.slow
def test_evaluate_each_format_with_real_model(student, tmp_path):
    sets = [
        load_eval_set(write_jsonl(tmp_path / "short.jsonl", [
            {"question": "What is the capital of France?", "answers": ["Paris"]},
            {"question": "What is the capital of Japan?", "answers": ["Tokyo"]}])),
        load_eval_set(write_jsonl(tmp_path / "gsm.jsonl", [{"question": "What is 2 + 3?", "answer": "#### 5"}])),
        load_eval_set(write_jsonl(tmp_path / "yn.jsonl", [{"question": "Is the Moon a planet?", "answer": False}])),
        load_eval_set(write_jsonl(tmp_path / "mc.jsonl", [
            {"question": "What color is grass?", "choices": ["a loud trumpet sound", "green"], "answer": 1},
            {"question": "What do bees make?", "choices": ["honey", "steel girders for bridges"], "answer": 0}])),
    ]
    done = []
    result = evaluate(student, sets, EvalConfig(max_new_tokens=10, batch_size=4), progress=lambda k, t: done.append((k, t)))
    json.dumps(result)
    assert sum(k for k, _ in done) == 6  # every item reported once
    assert sum(t for _, t in done) == sum(r.get("tokens", 0) for s in result["sets"].values() for r in s["items"])
    assert list(result["sets"]) == ["short", "gsm", "yn", "mc"]
    for name, s in result["sets"].items():
        assert s["n"] == len(s["items"]) and s["correct"] == sum(r["correct"] for r in s["items"])
        assert s["accuracy"] == pytest.approx(s["correct"] / s["n"])
        assert list(s["ci95"]) == pytest.approx(wilson_interval(s["correct"], s["n"]))
    short = result["sets"]["short"]["items"]
    assert "paris" in short[0]["answer"].lower() and short[0]["correct"] is True  # the model knows this one
    # each generated record's verdict is the documented rule applied to the text it holds
    for name, fmt in (("short", "short"), ("gsm", "gsm8k"), ("yn", "yesno")):
        for rec, item in zip(result["sets"][name]["items"], next(s for s in sets if s.name == name).items):
            assert item.format == fmt and rec["correct"] == item.check(rec["answer"])
            assert 0 < rec["tokens"] <= 10
    mc = result["sets"]["mc"]
    assert mc["correct"] == 2 and [r["answer"] for r in mc["items"]] == ["green", "honey"]
    assert result["overall"]["n"] == 6
    limited = evaluate(student, sets[3:], EvalConfig(limit=1))
    assert limited["sets"]["mc"]["n"] == 1
    with pytest.raises(ValueError, match="names must be unique"):
        evaluate(student, [sets[3], sets[3]])


@pytest.mark.slow
def test_cli_eval_on_a_tiny_file(default_folder, tmp_path, capsys):
    from distill.ui.cli import main

    data = write_jsonl(tmp_path / "tiny.jsonl", [
        {"question": "What is the capital of France?", "answers": ["Paris"]},
        {"question": "What is the capital of Italy?", "answers": ["Rome"]},
        {"question": "What is the capital of Spain?", "answers": ["Madrid"]},
    ])
    out = tmp_path / "res" / "eval.json"
    rc = main(["eval", str(default_folder), "--data", str(data), "--limit", "2", "--out", str(out),
               "--max-new-tokens", "10"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "tiny" in printed and "95% CI" in printed and str(out) in printed
    result = json.loads(out.read_text())
    assert result["model"] == str(default_folder)
    s = result["sets"]["tiny"]
    assert s["format"] == "short" and s["n"] == 2 and len(s["items"]) == 2
    assert f"{s['accuracy']:.1%}" in printed
    assert not math.isnan(result["overall"]["accuracy"])


def test_cli_eval_bad_file_exits_2_naming_the_line(tmp_path, capsys):
    from distill.ui.cli import main

    data = write_jsonl(tmp_path / "bad.jsonl", [{"question": "a", "answer": "#### 1"}, {"question": "b", "answer": "x"}])
    assert main(["eval", "unused-model", "--data", str(data), "--out", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert f"{data}, line 2: field 'answer' (gsm8k format)" in err
    assert not (tmp_path / "o.json").exists()
