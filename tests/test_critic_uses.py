"""Each use of a trained critic runs through the real thing: best of N (the evaluation and `distill
eval --best-of`), the self-bootstrap with the critic judging (the loop), GRPO rewarded by its
confidence with the reference check logged beside it (please_the_judge.py --critic), and the
train-the-critic recipe that builds, measures and uses it, resumed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from test_loop import ROOT, write_config

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
BUDGET = {"chunk_size": 2, "approval_items": 2, "answer": {"max_new_tokens": 8}, "critique": {"max_new_tokens": 8},
          "revision": {"max_new_tokens": 8}, "eval": {"max_new_tokens": 8}, "replay_heldout": None,
          "train": {"sft": {"max_steps": 1}, "grpo": {"max_steps": 1, "max_completion_length": 8}}}


def head(src, dst, n: int) -> str:
    dst.write_text("".join(src.read_text().splitlines(keepends=True)[:n]))
    return str(dst)


@pytest.mark.slow
def test_best_of_n_picks_what_its_critic_prefers(tmp_path, student):
    """With a critic that knows the answers, best of N is right exactly when any of the N is; the pick
    is compared with greedy, paired, on the same items."""
    from distill.data.evalsets import load_eval_set
    from distill.data.principles import load_principles
    from distill.eval.best_of import best_of_n
    from distill.eval.gold import EvalConfig
    from fakes import GoldJudgeTeacher

    facts = head(ROOT / "data" / "eval" / "facts.jsonl", tmp_path / "facts.jsonl", 8)
    oracle = GoldJudgeTeacher(facts)
    out = best_of_n(student, [load_eval_set(facts)], EvalConfig(max_new_tokens=16), oracle,
                    load_principles()[0].principles[0], n=3, temperature=1.0)
    rows = out["sets"]["facts"]["items"]
    assert len(rows) == 8 and all(len(r["answers"]) == 3 for r in rows)
    assert all(r["correct"][r["pick"]] == any(r["correct"]) for r in rows)
    assert out["overall"]["best of n"]["accuracy"] == out["overall"]["any of n"]["accuracy"]
    vs = out["paired"]["vs greedy"]
    greedy = [r["greedy_correct"] for r in rows]
    best = [r["correct"][r["pick"]] for r in rows]
    assert (vs["newly_right"], vs["newly_wrong"]) == (sum(b and not g for g, b in zip(greedy, best)),
                                                      sum(g and not b for g, b in zip(greedy, best)))


@pytest.mark.slow
def test_distill_eval_best_of_runs_from_the_command_line(tmp_path, tiny_folder):
    facts = head(ROOT / "data" / "eval" / "facts.jsonl", tmp_path / "facts.jsonl", 3)
    out = tmp_path / "eval.json"
    cmd = [sys.executable, "-m", "distill.ui.cli", "eval", str(tiny_folder), "--data", facts, "--best-of", "2",
           "--critic", f"critic:{tiny_folder}", "--max-new-tokens", "6", "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())["best_of"]
    assert result["n"] == 2 and result["critic"] == f"critic:{tiny_folder}"
    assert all(0 <= f <= 1 for r in result["sets"]["facts"]["items"] for f in r["faults"])
    assert "Best of 2" in done.stdout
    bad = subprocess.run(cmd[:7] + ["--best-of", "1", "--critic", "self"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env=ENV)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "--best-of N needs N >= 2" in bad.stderr


@pytest.mark.slow
def test_the_self_bootstrap_with_a_trained_critic_judging(tmp_path, default_folder):
    """teacher critic:MODEL: its verdicts (read from its logits) decide which answers the student
    corrects; each round measures it as the run's judge (AUROC, its name) and the student beside it."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run
    from distill.store.jsonl import read_records

    yesno = head(ROOT / "data" / "eval" / "yesno.jsonl", tmp_path / "yesno.jsonl", 10)
    prompts = head(ROOT / "data" / "prompts.jsonl", tmp_path / "prompts.jsonl", 2)
    cfg = write_config(tmp_path, str(default_folder), teacher=f"critic:{default_folder}", prompts=prompts, rounds=1,
                       prompts_per_round=2, approval_items=10, eval_sets=[yesno], guard_sets=[],
                       eval={"limit": 10, "max_new_tokens": 12}, train={"sft": {"max_steps": 1}})
    manifest = run(RunConfig.load(cfg))
    records = read_records(tmp_path / "run" / "round-01" / "samples.jsonl")
    assert len(records) == 2
    for r in records:
        assert r["critique"] in ("VERDICT: FAULT", "VERDICT: NO FAULT") and r["verdict_source"] == "likelihood"
        assert (r["revision"] is not None) == (r["verdict"] == "fault")
    for m in manifest.history:
        items = m["sets"]["yesno"]["items"]
        if "0" in items and "1" in items:
            assert m["judge"]["source"] == f"critic:{default_folder}" and 0 <= m["judge"]["auroc"] <= 1
            assert m["student_judge"]["source"] == "self"  # the student measured as judge beside the critic
    report = (tmp_path / "run" / "report.md").read_text()
    assert "Can the judge tell right from wrong?" in report and "AUROC" in report


@pytest.mark.slow
def test_grpo_rewarded_by_the_critic_logs_the_reference_beside_it(tmp_path, tiny_folder):
    """please_the_judge.py --critic: GRPO rewarded by the critic's confidence (a number, not a vote),
    the reference check computed on the same rollouts at weight 0, on prompts with and without references."""
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("".join((ROOT / "data" / name).read_text().splitlines(keepends=True)[k]
                             for name in ("train/facts.jsonl", "prompts.jsonl") for k in (0, 1)))
    budget = tmp_path / "budget.yaml"
    budget.write_text(yaml.safe_dump(BUDGET))
    run_dir = tmp_path / "judge"
    cmd = [sys.executable, "recipes/please_the_judge.py", "--run-dir", str(run_dir), "--student", str(tiny_folder),
           "--critic", str(tiny_folder), "--arms", "critic", "--rounds", "1", "--prompts", "4", "--eval-limit", "2",
           "--prompt-file", str(mixed), "--config", str(budget), "--plain"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env=ENV)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rollouts = [json.loads(line) for line in (run_dir / "critic" / "round-01" / "train" / "rollouts.jsonl").open()]
    judged = [r["value"] for r in rollouts if r["reward"] == "judge"]
    truth = [r["value"] for r in rollouts if r["reward"] == "reference"]
    assert judged and all(0 < v < 1 for v in judged)  # 1 - P(FAULT): the critic's confidence
    assert len(truth) == len(judged) and {v is None for v in truth} == {True, False}  # logged where a reference exists
    assert yaml.safe_load((run_dir / "critic" / "config.yaml").read_text())["teacher"] == f"critic:{tiny_folder}"
    assert "| critic | 1 |" in (run_dir / "comparison.md").read_text()
    bad = subprocess.run(cmd[:6] + ["--arms", "critic"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=ENV)
    assert bad.returncode == 2 and "--arms critic needs --critic MODEL" in bad.stderr


@pytest.mark.slow
def test_the_train_the_critic_recipe_builds_measures_uses_and_resumes(tmp_path, tiny_folder):
    budget = tmp_path / "budget.yaml"
    budget.write_text(yaml.safe_dump(BUDGET))
    critic = tmp_path / "critic.yaml"
    critic.write_text(yaml.safe_dump({"temperatures": [0.0, 1.0], "max_new_tokens": 6, "chunk": 8,
                                      "measure_student": False, "train": {"sft": {"max_steps": 2}}}))
    facts = head(ROOT / "data" / "train" / "facts.jsonl", tmp_path / "facts.jsonl", 8)
    earlier = tmp_path / "earlier" / "round-01"  # right answers from an earlier run: the tiny model has none
    earlier.mkdir(parents=True)
    earlier.joinpath("samples.jsonl").write_text("".join(
        json.dumps({"prompt": r["question"], "answer": r["answers"][0]}) + "\n"
        for r in map(json.loads, open(facts))))
    run_dir = tmp_path / "run"
    cmd = [sys.executable, "recipes/train_the_critic.py", "--run-dir", str(run_dir), "--student", str(tiny_folder),
           "--critic-prompts", facts, "--answer-run", str(tmp_path / "earlier"), "--critic-config", str(critic),
           "--best-of", "2", "--rounds", "1",
           "--prompts", "2", "--eval-limit", "2", "--config", str(budget), "--plain"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env=ENV)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = (run_dir / "comparison.md").read_text()
    for part in ("The critic's data", "Can it tell right from wrong?", "Best of 2", "| self | 1 |", "| self-critic | 1 |"):
        assert part in table
    assert yaml.safe_load((run_dir / "self-critic" / "config.yaml").read_text())["teacher"] == \
        f"critic:{run_dir / 'critic' / 'model'}"
    assert json.loads((run_dir / "best-of" / "critic.json").read_text())["n"] == 2
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env=ENV)
    assert again.returncode == 0 and again.stdout.count("already finished") == 2 and "sampling" not in again.stdout
    bad = subprocess.run(cmd + ["--best-of", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=ENV)
    assert bad.returncode == 2 and "--best-of must be at least 2" in bad.stderr
