"""lm-evaluation-harness tasks every round and forgetting guards: a real loop round scores a local
task on the real student (eval.json, report, model card), a guard broken on purpose stops the run,
the toolkit's scores are the harness's own command line's, and bad task input is one line before
any generation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from distill.errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[1]
SPELLING = ROOT / "data" / "guard" / "spelling.jsonl"


def guard_words(n: int) -> list[dict]:
    return [json.loads(line) for line in SPELLING.read_text().splitlines()[:n]]


def test_a_guard_broken_on_purpose_stops_the_run_and_lm_eval_scores_every_round(tmp_path, default_folder, monkeypatch):
    """Training data built to break spelling (the guard's own questions answered with misspellings):
    the gold guard and the lm-eval guard task both fall beyond noise, and the monitor stops the run
    as forgetting; the harness's scores are in eval.json, the report and the model card."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    # each question names its words, so the 16 prompts are distinct (the mix de-duplicates by prompt)
    items = [{**r, "question": f"Which of these is spelled correctly: {', '.join(r['choices'])}?"}
             for r in guard_words(16)]
    guard = tmp_path / "spelling16.jsonl"
    guard.write_text("".join(json.dumps(r) + "\n" for r in items))
    wrong = tmp_path / "misspell.jsonl"  # the breaking set: every guard question answered with a misspelling
    wrong.write_text("".join(json.dumps({"prompt": r["question"], "completion": r["choices"][r["answer"] - 1]}) + "\n"
                             for r in items))  # one misspelling per word, all 16 in the mix (replay share 0.9)
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "guard_spelling16.yaml").write_text(
        (ROOT / "data" / "guard" / "spelling.yaml").read_text().replace("guard_spelling", "guard_spelling16")
        .replace("spelling.jsonl", str(guard)))
    cfg = RunConfig.from_data({
        "run_dir": str(tmp_path / "run"), "student": str(default_folder), "teacher": "fakes:FixerTeacher",
        "rounds": 1, "prompts_per_round": 2, "approval_items": 1, "replay": str(wrong), "replay_share": 0.9,
        "replay_heldout": None, "guard_sets": [str(guard)],  # no held-out loss: the guard alone must catch it
        "eval_sets": [str(ROOT / "data" / "eval" / "yesno.jsonl")],
        "answer": {"max_new_tokens": 8}, "critique": {"max_new_tokens": 8}, "revision": {"max_new_tokens": 8},
        "eval": {"limit": 16, "max_new_tokens": 4,
                 "lm_eval": {"tasks": ["guard_spelling16"], "include_path": str(tasks), "guard": ["guard_spelling16"]}},
        "train": {"sft": {"max_steps": 12, "learning_rate": 2e-3, "per_device_train_batch_size": 4,
                          "gradient_accumulation_steps": 1}}})
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    manifest = run(cfg)
    before, after = manifest.history[0], manifest.history[1]
    print(f"\nguard spelling: {before['guard']['spelling16']['accuracy']:.2f} -> {after['guard']['spelling16']['accuracy']:.2f}; "
          f"lm-eval: {before['lm_eval']['guard_spelling16']['value']:.2f} -> {after['lm_eval']['guard_spelling16']['value']:.2f}")
    assert (manifest.status, manifest.decision["kind"]) == ("stopped", "forgetting")
    assert "guard" in manifest.reason and "fell beyond noise" in manifest.reason and manifest.best_round == 0
    assert len(manifest.rounds) == 1  # stopped after the round that broke it
    scores = json.loads((Path(cfg.run_dir) / "round-01" / "eval.json").read_text())["metrics"]["lm_eval"]
    assert set(scores) == {"guard_spelling16"} and scores["guard_spelling16"]["n"] == 16
    assert "lm-eval guard_spelling16" in (Path(cfg.run_dir) / "report.md").read_text()
    assert "lm-eval guard_spelling16" in (Path(cfg.run_dir) / "round-01" / "model" / "README.md").read_text()


def test_the_toolkits_scores_are_the_harness_command_lines(tmp_path, default_folder):
    from distill.eval.harness import LmEvalConfig, evaluate_tasks
    from distill.model.resolve import load_model

    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "guard_spelling.yaml").write_text(
        (ROOT / "data" / "guard" / "spelling.yaml").read_text().replace("spelling.jsonl", str(SPELLING)))
    model, tok = load_model(default_folder)
    ours = evaluate_tasks(model, tok, LmEvalConfig(tasks=["guard_spelling"], include_path=str(tasks), limit=10))
    out = subprocess.run([sys.executable, "-m", "lm_eval", "run", "--model", "hf", "--model_args",
                          f"pretrained={default_folder}", "--tasks", "guard_spelling", "--include_path", str(tasks),
                          "--limit", "10", "--apply_chat_template", "--batch_size", "8", "--device", "cpu",
                          "--output_path", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=900, env={"HF_HUB_OFFLINE": "1",
                                                                           "HF_DATASETS_OFFLINE": "1", "PATH": ""})
    assert out.returncode == 0, out.stderr[-2000:]
    [result_file] = list((tmp_path / "out").rglob("results_*.json"))
    theirs = json.loads(result_file.read_text())["results"]["guard_spelling"]
    assert ours["guard_spelling"]["value"] == pytest.approx(theirs["acc,none"])
    assert ours["guard_spelling"]["stderr"] == pytest.approx(theirs["acc_stderr,none"])


def test_bad_tasks_are_one_line_errors_before_any_generation(tmp_path, monkeypatch):
    from distill.eval.harness import LmEvalConfig, check

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match=r"eval.lm_eval.tasks: 'no_such_task' is no task the harness knows"):
        check(LmEvalConfig(tasks=["no_such_task"], include_path=str(ROOT / "data" / "guard")))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.yaml").write_text("task: bad\ndataset_path: json\n  indented: [wrong\n")
    with pytest.raises(DataError, match=r"bad.yaml: not a valid task file"):
        check(LmEvalConfig(tasks=["bad"], include_path=str(broken)))
    missing = tmp_path / "missing"
    missing.mkdir()
    (missing / "gone.yaml").write_text(yaml.safe_dump({"task": "gone", "dataset_path": "json", "dataset_kwargs": {
        "data_files": {"test": "gone.jsonl"}}, "test_split": "test", "output_type": "multiple_choice"}))
    with pytest.raises(DataError, match=r"task 'gone' \(.*gone.yaml\): data file .*gone.jsonl does not exist"):
        check(LmEvalConfig(tasks=["gone"], include_path=str(missing)))
    with pytest.raises(ValueError, match="guard names nope, which is not among its tasks"):
        LmEvalConfig(tasks=["guard_spelling"], guard=["nope"])
    monkeypatch.setitem(sys.modules, "lm_eval", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r'needs lm-evaluation-harness, which is not installed: pip install -e "\.\[lmeval\]"'):
        check(LmEvalConfig())
