"""Can the judge tell right from wrong? Its verdicts on the eval answers against the gold check:
the measure, the monitor's use of it, and a real loop with a judge that knows and one that does not."""

from __future__ import annotations

import json

import pytest

from test_loop import ROOT, write_config


def test_judge_quality_separates_a_judge_that_knows_from_one_that_approves_everything():
    from distill.eval.metrics import judge_quality

    correct = [True] * 30 + [False] * 30
    knows = judge_quality(correct, correct)
    assert knows["j"] == 1 and knows["balanced_accuracy"] == 1 and knows["tells"]
    assert knows["right"] == knows["wrong"] == 30 and knows["j_ci95"][0] > 0.8 and knows["j_ci95"][1] == pytest.approx(1)
    yes = judge_quality([True] * 60, correct)
    assert yes["j"] == 0 and yes["approve_right"] == yes["approve_wrong"] == 1 and not yes["tells"]
    assert yes["j_ci95"][0] < 0 < yes["j_ci95"][1]
    # the 135M student's numbers (26% of right answers approved, 32% of wrong): no information
    noise = judge_quality([True] * 26 + [False] * 74 + [True] * 32 + [False] * 68, [True] * 100 + [False] * 100)
    assert noise["j"] == pytest.approx(-0.06) and not noise["tells"]
    # a verdict that was not given (None) is left out; a judge rating only right answers has no J
    assert judge_quality([None, True, False], [False, True, False])["right"] == 1
    assert judge_quality([True, False], [True, True]) is None


def critic(j: float, tells: bool) -> dict:
    return dict(right=40, right_approved=20, wrong=40, wrong_approved=20, approve_right=0.5, approve_wrong=0.5 - j,
                j=j, j_ci95=[j - 0.2, j + 0.2], balanced_accuracy=(1 + j) / 2, tells=tells)


def history(judge: dict | None) -> list[dict]:
    return [{"round": 0, "gold_accuracy": 0.4, "gold_n": 100, "judge": judge},
            {"round": 1, "gold_accuracy": 0.4, "gold_n": 100, "judge": judge}]


def test_no_faults_found_by_a_judge_that_cannot_tell_is_not_convergence():
    from distill.loop.monitor import Monitor

    # the teacher found faults in 2% of prompts: converged, when its judge is worth something
    assert Monitor().decide(history(critic(0.6, True)), fault_rate=0.02).kind == "converged"
    # a judge measured as noise, whose own reading gave the verdicts: not converged, and said so
    blind = Monitor().decide(history(critic(0.0, False)), fault_rate=0.02, opinions=1.0)
    assert blind.kind != "converged" and blind.action == "continue"
    assert any("cannot tell right from wrong" in w and "not counted as converged" in w for w in blind.warnings)
    # the verdicts came from the reference check (a grounded teacher): the check is no opinion
    assert Monitor().decide(history(critic(0.0, False)), fault_rate=0.02, opinions=0.0).kind == "converged"
    # a judge that was not measured (no rated answer both right and wrong): its word is not evidence either
    unmeasured = Monitor().decide(history(None), fault_rate=0.02)
    assert unmeasured.kind != "converged" and any("not measured" in w for w in unmeasured.warnings)
    # the decision names the judge's J beside "converged"
    assert "J +0.60" in Monitor().decide(history(critic(0.6, True)), fault_rate=0.02).reason


@pytest.mark.slow
@pytest.mark.parametrize("oracle", [True, False], ids=["knows", "approves-all"])
def test_the_judge_is_measured_against_the_gold_check_through_a_real_loop(tmp_path, default_folder, oracle):
    """A custom teacher that judges with the gold check in hand has J = 1; one that approves every
    answer J = 0, named in the decision; the student, not the judge here, is measured as judge too."""
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    # yes/no questions: the untouched student gives one answer to all, so about half are right
    yesno = tmp_path / "yesno.jsonl"
    yesno.write_text("".join((ROOT / "data" / "eval" / "yesno.jsonl").read_text().splitlines(keepends=True)[:10]))
    cfg = write_config(tmp_path, str(default_folder), teacher="fakes:GoldJudgeTeacher",
                       teacher_kwargs={"eval_file": str(yesno), "oracle": oracle}, rounds=1, prompts_per_round=2,
                       chunk_size=2, approval_items=10, eval_sets=[str(yesno)], guard_sets=[],
                       eval={"limit": 10, "max_new_tokens": 16})
    manifest = run(RunConfig.load(cfg))
    assert manifest.status == "finished"
    run_dir = tmp_path / "run"
    for m in manifest.history:
        items = m["sets"]["yesno"]["items"]
        q = m["judge"]
        if "0" not in items or "1" not in items:  # the round answered all right or all wrong: no J
            assert q is None
            continue
        assert q["right"] == items.count("1") and q["wrong"] == items.count("0")
        if oracle:
            assert q["j"] == 1 and q["approve_right"] == 1 and q["approve_wrong"] == 0
        else:
            assert q["j"] == 0 and q["approve_right"] == q["approve_wrong"] == 1 and not q["tells"]
        assert m["student_judge"] is not None and m["student_judge"]["right"] + m["student_judge"]["wrong"] <= 10
    assert manifest.history[0]["judge"] is not None, "the untouched student should get some yes/no items right"
    report = (run_dir / "report.md").read_text()
    assert "## Can the judge tell right from wrong?" in report and "| 0 | the student as judge |" in report
    decision = report.split("## Rounds")[0]
    assert ("the judge cannot tell right from wrong" in decision) != oracle
    saved = json.loads((run_dir / "round-00" / "eval.json").read_text())["metrics"]
    assert saved["judge"] == manifest.history[0]["judge"]
    card = run_dir / "round-01" / "model" / "README.md"
    if card.exists():
        assert "judge" in card.read_text()
