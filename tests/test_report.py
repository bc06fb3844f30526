"""report.md and plots written from plain run data."""

from __future__ import annotations

import re

from distill.loop.monitor import Decision, Monitor
from distill.publish.report import ReportConfig, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def history() -> list[dict]:
    def m(r, acc, app, loss, d2, length):
        return dict(round=r, gold_accuracy=acc, gold_ci95=[acc - 0.05, acc + 0.05], gold_n=300,
                    sets={"facts": dict(accuracy=acc + 0.1, n=400), "arithmetic": dict(accuracy=acc - 0.1, n=400)},
                    approval_rate=app, heldout_loss=loss, distinct_2=d2, mean_answer_tokens=length)
    # round 1 beats round 0 beyond noise on both sets; round 2 then diverges
    return [m(0, 0.40, 0.50, 2.00, 0.80, 30.0), m(1, 0.50, 0.60, 2.05, 0.75, 35.0), m(2, 0.30, 0.85, 2.10, 0.60, 48.0)]


def samples(rnd: int, k: int) -> list[dict]:
    return [dict(prompt=f"prompt {rnd}.{i}", answer=f"before {rnd}.{i}", critique=f"critique {rnd}.{i}",
                 revision=f"after {rnd}.{i}\nsecond line") for i in range(1, k + 1)]


def test_report_has_table_decision_samples_and_plots(tmp_path):
    hist = history()
    decision = Monitor().decide(hist)
    assert decision.kind == "divergence"
    path = write_report(tmp_path / "run", hist, decision, {1: samples(1, 7), 2: samples(2, 2)})
    assert path == tmp_path / "run" / "report.md"
    text = path.read_text()

    assert "## Decision" in text and decision.reason in text and "Best round: **1**" in text
    assert "**stop** (divergence)" in text
    header = next(line for line in text.splitlines() if line.startswith("| round"))
    assert header.split(" | ")[3:5] == ["arithmetic", "facts"]  # per-set columns, sorted
    rounds_table = text.split("## Rounds", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in rounds_table.splitlines() if re.match(r"\| (\*\*)?\d", line)]
    assert len(rows) == 3
    assert rows[1].startswith("| **1** (best) | 50.0% | 45.0%-55.0% | 40.0% | 60.0% | 60.0% | 2.050 | 0.750 | 35.0 |")
    assert "beats round 0 beyond noise" in text and "No trained round beat" not in text

    # at most five samples per round, each before -> critique -> after, multi-line answers quoted
    assert "prompt 1.5" in text and "prompt 1.6" not in text and "prompt 2.2" in text
    assert text.index("before 1.1") < text.index("critique 1.1") < text.index("after 1.1")
    assert "> after 1.1\n> second line" in text

    plots = sorted((tmp_path / "run" / "plots").glob("*.png"))
    assert [p.name for p in plots] == ["accuracy.png", "diversity_length.png", "heldout_loss.png"]
    for p in plots:
        data = p.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000
        assert f"](plots/{p.name})" in text  # linked from the report


def test_report_with_missing_metrics_and_dict_decision(tmp_path):
    hist = [dict(round=0, gold_accuracy=0.4, gold_ci95=None, approval_rate=None, heldout_loss=None),
            dict(round=1, gold_accuracy=0.5, gold_ci95=None, approval_rate=None, heldout_loss=None)]
    decision = dict(action="continue", kind="ok", reason="no stopping rule fired", best_round=1,
                    warnings=["length drift: mean answer 30.0 -> 50.0 tokens since round 0"])
    text = write_report(tmp_path, hist, decision, {}).read_text()
    assert "- warning: length drift: mean answer 30.0 -> 50.0 tokens since round 0" in text
    assert "**continue** (ok): no stopping rule fired" in text
    assert "| **1** (best) | 50.0% | - | - | - | - | - |" in text
    assert "## Samples" not in text
    assert [p.name for p in (tmp_path / "plots").glob("*.png")] == ["accuracy.png"]  # nothing else to plot


def test_samples_prefer_kept_pairs_and_show_their_status(tmp_path):
    recs = [dict(prompt=f"p{i}", answer="a", critique="c", revision=None, verdict="no_fault", kept=False,
                 drop_reason="no fault found") for i in range(4)]
    recs += [dict(prompt="revised-dropped", answer="a", critique="c", revision="r", verdict="fault", kept=False,
                  drop_reason="too similar"),
             dict(prompt="kept-one", answer="a", critique="c", revision="r", verdict="fault", kept=True, drop_reason=None)]
    text = write_report(tmp_path, history()[:2], dict(action="continue", kind="ok", reason="x", best_round=1),
                        {1: recs}, ReportConfig(max_samples=3)).read_text()
    assert "**1. Prompt:** kept-one (verdict: fault; kept)" in text
    assert "No trained round beat" not in text  # the decision's best round is round 1
    assert "**2. Prompt:** revised-dropped (verdict: fault; dropped (too similar))" in text
    assert "**3. Prompt:** p0 (verdict: no_fault; dropped (no fault found))" in text
    assert "p1" not in text


def test_report_clips_long_fields_and_takes_a_dataclass_decision(tmp_path):
    long = "word " * 500
    text = write_report(tmp_path, history()[:1], Decision("continue", "baseline", "round 0 measured", 0),
                        {0: [dict(prompt="p", answer=long, critique=None, revision="r")]},
                        ReportConfig(max_chars=100, title="My run")).read_text()
    assert text.startswith("# My run")
    quoted = next(line for line in text.splitlines() if line.startswith("> word"))
    assert len(quoted) <= 102 and quoted.endswith("…")
