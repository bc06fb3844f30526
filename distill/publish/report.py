"""The run report: ``report.md`` with the round table, the monitor's decision and samples,
plus PNG plots of the metrics over rounds in ``plots/``.

Inputs are plain data, so the loop can call it from whatever it keeps in the run folder:

* ``history``: one metric dict per round, as made by :func:`distill.eval.metrics.round_metrics`
  (keys used: round, gold_accuracy, gold_ci95, sets, approval_rate, heldout_loss,
  distinct_2, mean_answer_tokens; missing or None values are shown as "-").
* ``decision``: a :class:`distill.loop.monitor.Decision` or its dict form (action, kind, reason, best_round).
* ``samples_by_round``: ``{round: [Sample or its JSON dict, ...]}`` (the loop's records). Up to
  ``max_samples`` per round are shown, kept pairs first, then other revised ones, then the
  rest, each group in file order.
* ``rounds``: the manifest's :class:`~distill.store.records.RoundSummary` per trained round (kept
  targets, checks, drop reasons), optional.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from distill.eval.verdict import MonitorConfig, biased_line, biased_sets, per_set, pooled, possible_gain  # noqa: E402
from distill.store.records import RoundSummary, Sample  # noqa: E402
from distill.text import cell, clip  # noqa: E402
from distill.train.objective import DEFAULT, Objective, get  # noqa: E402

BEST_RULE = ("A trained round is recommended only when it beats round 0 beyond noise: better on all eval items "
             "pooled (exact McNemar test on the items that changed, 5%; yes/no sets in yes-no pairs, so a flipped "
             "default answer is no change), worse beyond noise on no set (Holm-corrected over the sets) and no "
             "guard, and held-out loss not past the forgetting threshold. Good rounds whose difference is inside "
             "the noise of a paired test are tied; the later one is kept (monitor.tie_break).")


@dataclass
class ReportConfig:
    """What the report shows."""

    max_samples: int = 5  # before -> critique -> after samples per round
    max_chars: int = 600  # per sample field, so one rambling answer cannot swamp the page
    title: str = "Self-correction distillation run"


# per-set lines; red (approval), black (overall) and grey (interval) are kept for the headline series
_SET_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan"]


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in (text.splitlines() or [""]))


def _series(history: Sequence[Mapping], key: str) -> tuple[list[int], list[float]]:
    pts = [(m["round"], m[key]) for m in history if m.get(key) is not None]
    return [p[0] for p in pts], [float(p[1]) for p in pts]


def pick_samples(samples: Sequence[Sample], k: int) -> list[Sample]:
    """Up to ``k`` samples: kept pairs first (they are what was trained on), then revised, then the rest."""
    def rank(s: Sample) -> int:
        return 0 if s.kept else 1 if s.revision else 2

    return sorted(samples, key=rank)[:k]  # sorted is stable: file order within a group


def write_plots(history: Sequence[Mapping], plots_dir: str | os.PathLike, best_round: int | None = None) -> list[Path]:
    """PNG plots of the metrics over rounds (the best round marked); plots with no data are skipped."""
    plots_dir = Path(plots_dir)
    plots_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig, name: str) -> None:
        path = plots_dir / name
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    # gold accuracy (overall with its 95% band, and per set) against judge approval
    rounds, acc = _series(history, "gold_accuracy")
    if rounds:
        fig, ax = plt.subplots(figsize=(8.5, 4))
        ax.plot(rounds, acc, "o-", color="black", label="gold accuracy (all sets)")
        cis = [m.get("gold_ci95") for m in history if m.get("gold_accuracy") is not None]
        if all(cis):
            ax.fill_between(rounds, [c[0] for c in cis], [c[1] for c in cis], color="grey", alpha=0.25, label="95% interval")
        names = sorted({name for m in history for name in (m.get("sets") or {})})
        for i, name in enumerate(names):
            pts = [(m["round"], m["sets"][name]["accuracy"]) for m in history if name in (m.get("sets") or {})]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], ".--", alpha=0.7, label=name,
                    color=_SET_COLOURS[i % len(_SET_COLOURS)])
        r_app, app = _series(history, "approval_rate")
        if r_app:
            ax.plot(r_app, app, "s-", color="tab:red", label="judge approval")
        if best_round is not None:
            ax.axvline(best_round, color="tab:blue", linestyle=":", label=f"best round ({best_round})")
        ax.set(xlabel="round", ylabel="rate", ylim=(0, 1), title="Gold accuracy vs judge approval")
        ax.set_xticks(sorted({m["round"] for m in history}))
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: never hides a line
        save(fig, "accuracy.png")

    rounds, loss = _series(history, "heldout_loss")
    if rounds:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(rounds, loss, "o-", color="tab:purple")
        ax.set(xlabel="round", ylabel="loss", title="Held-out loss on original data (forgetting)")
        ax.set_xticks(rounds)
        save(fig, "heldout_loss.png")

    r_d, dist = _series(history, "distinct_2")
    r_l, length = _series(history, "mean_answer_tokens")
    if r_d or r_l:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        if r_d:
            ax.plot(r_d, dist, "o-", color="tab:green", label="distinct-2")
            ax.set_ylabel("distinct-2")
        ax2 = ax.twinx()
        if r_l:
            ax2.plot(r_l, length, "s--", color="tab:orange", label="mean answer tokens")
            ax2.set_ylabel("mean answer tokens")
        ax.set(xlabel="round", title="Diversity and length drift")
        ax.set_xticks(sorted(set(r_d) | set(r_l)))
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize=7, loc="best")  # one legend for both y axes
        save(fig, "diversity_length.png")
    return written


REVIEW_CHECKS = {"leak": ("leaked", "leaked instruction text or markup"), "critique": ("repeats the critique", "critique talk"),
                 "working": ("working:", "false working"), "trim": (None, "side claims around the checked answer")}


def review_section(samples_by_round: Mapping[int, Sequence[Sample]], examples: int = 2) -> list[str]:
    """What the target review did per round (:mod:`distill.curate.targets`): per check, targets
    dropped and cleaned, with examples, and the kept targets' mean length."""
    lines = ["## Target review", "",
             "The reference check decides on the final answer only; the target review looks at the rest of what "
             "is trained on.", "",
             "| round | check | dropped | cleaned | kept targets | mean words per kept target |", "|---|---|---|---|---|---|"]
    shown: list[str] = []
    for rnd in sorted(samples_by_round):
        records = [x if isinstance(x, Sample) else Sample.from_json({"round": rnd, "index": i, **x})
                   for i, x in enumerate(samples_by_round[rnd])]
        kept = [s for s in records if s.kept and s.target]
        mean = sum(len(s.target.split()) for s in kept) / len(kept) if kept else 0.0
        for key, (prefix, label) in REVIEW_CHECKS.items():
            dropped = [s for s in records if prefix and (s.drop_reason or "").startswith(prefix)]
            cleaned = [s for s in records if key in (s.cleaned or {})]
            lines.append(f"| {rnd} | {label} | {len(dropped)} | {len(cleaned)} | {len(kept)} | {mean:.1f} |")
            for s in dropped[:examples]:
                shown.append(f"- round {rnd}, {label}, dropped ({clip(s.drop_reason, 120)}): "
                             f"{clip(s.revision if s.verdict == 'fault' else s.answer, 200)!r}")
            for s in cleaned[:examples]:
                shown.append(f"- round {rnd}, {label}, cleaned ({clip(s.cleaned[key], 160)}): trained on "
                             f"{clip(s.target, 160)!r}")
    return lines + [""] + shown + [""]


def judge_section(history: Sequence[Mapping]) -> list[str]:
    """"Can the judge tell right from wrong?": each round's judge (and the student as judge, when
    the judge is another model) against the strict gold check of the eval answers it rated: J, and
    AUROC where the judge gives a confidence; which critic it was; per eval set."""
    rows = [(m["round"], who, m[key]) for m in history
            for key, who in (("judge", "the run's judge"), ("student_judge", "the student as judge")) if m.get(key)]
    if not rows:
        return []
    lines = ["## Can the judge tell right from wrong?", "",
             "Each round the judge rates the eval answers in `approval_items`, spread evenly, without the reference "
             "(as its approval is measured), and the gold check says which of them are right. J (Youden's) is its "
             "approval of right answers minus its approval of wrong ones: 0 for a verdict that says nothing about "
             "truth, 1 for one that approves exactly the right answers. AUROC ranks its confidence (its probability "
             "of a fault, read from a model's logits): 0.5 says nothing, 1 separates right from wrong perfectly.", "",
             "| round | judge | critic | answers rated (right / wrong) | approves right | approves wrong | J (95% CI) "
             "| AUROC (95% CI) | J per set | tells right from wrong |",
             "|" + "---|" * 10]
    from distill.eval.metrics import j_text

    for rnd, who, q in rows:
        per_set = "; ".join(f"{name} " + ("-" if v is None else f"{v['j']:+.2f}") for name, v in (q.get("sets") or {}).items())
        lines.append(f"| {rnd} | {who} | {q.get('source', '-')} | {q['right'] + q['wrong']} ({q['right']} / {q['wrong']}) | "
                     f"{q['approve_right']:.1%} | {q['approve_wrong']:.1%} | {j_text(q)} | {auroc_text(q)} | "
                     f"{per_set or '-'} | {'yes' if q['tells'] else 'no: not beyond noise'} |")
    lines += ["", "A judge that cannot tell right from wrong beyond noise makes its approval, its fault rate and "
              "\"no faults found\" meaningless: the monitor counts \"no faults found\" as converged only from a "
              "judge whose J is above zero beyond noise, and training on what a blind judge let through trains on its "
              "mistakes.", ""]
    return lines


def auroc_text(quality: Mapping) -> str:
    """A judge's AUROC with its interval, or '-' when it gave no confidence."""
    if "auroc" not in quality:
        return "-"
    lo, hi = quality["auroc_ci95"]
    return f"{quality['auroc']:.2f} ({lo:.2f} to {hi:.2f})"


def guard_table(history: Sequence[Mapping]) -> list[str]:
    """Per round, the forgetting guards (gold sets unlike the training data) and the lm-evaluation-
    harness tasks, each score with its interval or standard error."""
    guard_names = sorted({k for m in history for k in (m.get("guard") or {})})
    task_names = sorted({k for m in history for k in (m.get("lm_eval") or {})})
    if not guard_names and not task_names:
        return []
    head = ["round"] + [f"guard {k}" for k in guard_names] + [f"lm-eval {k}" for k in task_names]
    lines = ["## Guards and lm-evaluation-harness tasks", "",
             "Gold sets unlike the training data (and lm-eval tasks marked `guard`): a drop beyond noise is "
             "forgetting.", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in history:
        cells = [str(m["round"])]
        for k in guard_names:
            g = (m.get("guard") or {}).get(k)
            cells.append("-" if not g else f"{100 * g['accuracy']:.1f} ({100 * g['ci95'][0]:.0f}-{100 * g['ci95'][1]:.0f})")
        for k in task_names:
            t = (m.get("lm_eval") or {}).get(k)
            se = f" ± {t['stderr']:.3f}" if t and t.get("stderr") is not None else ""
            cells.append("-" if not t else f"{t['metric']} {t['value']:.3f}{se}" + (" (guard)" if t.get("guard") else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def detectable_line(history: Sequence[Mapping]) -> str:
    """What the run's eval could and could not see: the smallest change the pooled test and each set
    could show (80% power, 5% level, a paired test with 30% of items changing)."""
    from distill.eval.stats import detectable_change

    sets = (history[0].get("sets") or {}) if history else {}
    sizes = {k: s.get("n") or 0 for k, s in sorted(sets.items()) if s.get("n")}
    if not sizes:
        return ""
    total = sum(sizes.values())
    return (f"This eval could detect a change of {100 * detectable_change(total):.0f} points over all {total} items "
            "pooled, and per set: " + ", ".join(f"{k} {100 * detectable_change(n):.0f} ({n} items)"
                                                 for k, n in sizes.items())
            + "; smaller changes can be real and unseen (80% power, 5% level).")


def paired_section(run_dir: Path, history: Sequence[Mapping], best: Any, examples: int = 3) -> list[str]:
    """Each trained round against round 0 on the same items (:mod:`distill.eval.stats`): all items
    pooled (the verdict) and per set, the newly right, the newly wrong (yes/no sets in yes-no pairs),
    the paired change with its 95% interval and the exact p, the strict check beside the lenient one;
    sets answered all the same way; and a few items the round got newly wrong."""
    base = history[0] if history else {}
    names = [k for k in sorted(base.get("sets") or {}) if (base["sets"][k] or {}).get("items")]
    if not names or len(history) < 2:
        return []
    lines = ["## Paired against round 0", "",
             "Every round answers the same eval items, so what changed is counted item by item; yes/no sets in "
             "yes-no pairs (a pair scores the mean of its two items: balanced accuracy). The pooled row is the "
             "verdict; the sets beside it say where the change is. Strict: the share right when an answer that "
             "names several candidates counts as wrong (what training rewards).", "",
             "| round | set | items | newly right | newly wrong | change (95% CI) | p (exact) | strict acc |",
             "|---|---|---|---|---|---|---|---|"]

    def row(rnd: int, name: str, t: Any, strict: Any = None) -> str:
        return (f"| {rnd} | {name} | {t.n} | {t.b} | {t.c} | {100 * t.diff:+.1f} ({100 * t.lo:+.1f} to "
                f"{100 * t.hi:+.1f}) | {t.p:.2g} | {cell(strict, pct=True)} |")

    for m in history[1:]:
        t = pooled(base, m)
        if t is not None:
            lines.append(row(m["round"], "**all (pooled)**", t))
        for k, t in sorted(per_set(base, m).items()):
            lines.append(row(m["round"], k + (" (pairs)" if base["sets"][k].get("golds") else ""), t,
                             m["sets"][k].get("strict_accuracy")))
    lines += ["", detectable_line(history), ""]
    config = MonitorConfig()
    flagged = [f"- round {m['round']}, {biased_line(k, a, share, n)}" for m in history
               for k, (a, share, n) in biased_sets(m, config).items()]
    if flagged:
        lines += ["Sets answered (nearly) all the same way:", "", *flagged, ""]
    shown = best if isinstance(best, int) and best > 0 else history[-1]["round"]
    wrong = []
    try:
        zero = json.loads((run_dir / "round-00" / "eval.json").read_text(encoding="utf-8"))["eval"]["sets"]
        cur = json.loads((run_dir / f"round-{shown:02d}" / "eval.json").read_text(encoding="utf-8"))["eval"]["sets"]
    except (OSError, ValueError, KeyError):
        return lines
    for k in names:
        for a, b in zip(zero.get(k, {}).get("items", []), cur.get(k, {}).get("items", [])):
            if a.get("correct") and not b.get("correct"):
                wrong.append(f"- {k}: *{clip(a.get('question'), 140)}* (gold: {clip(a.get('gold'), 40)}): round 0 "
                             f"{clip(a.get('answer'), 120)!r} -> round {shown} {clip(b.get('answer'), 120)!r}")
    if wrong:
        lines += [f"Items round {shown} got newly wrong (the first {min(examples, len(wrong))} of {len(wrong)}):", ""]
        lines += wrong[:examples] + [""]
    return lines


def objectives(rounds: Sequence[RoundSummary]) -> dict[str, Objective]:
    """The objectives that trained ``rounds``, by name, in the order they first did."""
    return {name: get(name) for name in dict.fromkeys(r.objective or DEFAULT for r in rounds)}


def training_section(rounds: Sequence[RoundSummary]) -> list[str]:
    """What each round trained on (with the columns its objective adds, where some round has them),
    the notes of rounds whose training was skipped or cut short, then each objective's own section
    over its rounds."""
    used = objectives(rounds)
    columns = [c for o in used.values() for c in o.columns if any(c.key in r.train_metrics for r in rounds)]
    columns = list({c.header: c for c in columns}.values())  # an objective sharing another's column shows it once
    lines = ["## Training data", "",
             "| round | stage | objective | prompts | faults | kept | kept as verified | preference pairs "
             "| answers checked (passed) | without reference | most common drop reasons |"
             + "".join(f" {c.header} |" for c in columns),
             "|" + "---|" * (11 + len(columns))]
    for r in rounds:
        drops = sorted(r.dropped.items(), key=lambda kv: -kv[1])[:3]
        lines.append("| " + " | ".join([
            str(r.round), r.stage or "-", r.objective or DEFAULT, str(r.prompts), str(r.faults), str(r.kept),
            str(r.kept_verified), str(r.pairs), f"{r.checked} ({r.answers_passed})" if r.checked else "-",
            "-" if r.ungrounded is None else str(r.ungrounded),
            "; ".join(f"{reason}: {n}" for reason, n in drops) or "-",
            *[c.cell(r.train_metrics) for c in columns],
        ]) + " |")
    lines.append("")
    lines += [f"- round {r.round}: {r.train_note}" for r in rounds if r.train_note]
    lines.append("")
    for name, objective in used.items():
        if objective.report is not None:
            lines += objective.report([r for r in rounds if (r.objective or DEFAULT) == name])
    return lines


def write_report(
    run_dir: str | os.PathLike,
    history: Sequence[Mapping],
    decision: Any,
    samples_by_round: Mapping[int, Sequence[Sample | Mapping]] | None = None,
    config: ReportConfig | None = None,
    rounds: Sequence[RoundSummary] | None = None,
) -> Path:
    """Write ``run_dir/report.md`` and ``run_dir/plots/*.png``; returns the report's path."""
    cfg = config or ReportConfig()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    dec = decision.to_dict() if hasattr(decision, "to_dict") else dict(decision or {})
    best = dec.get("best_round")
    plots = write_plots(history, run_dir / "plots", best_round=best if isinstance(best, int) else None)

    lines = [f"# {cfg.title}", ""]
    lines += ["## Decision", ""]
    if dec:
        lines.append(f"**{dec.get('action', '?')}** ({dec.get('kind', '?')}): {dec.get('reason', '')}")
        lines.append("")
        lines.append(f"Best round: **{dec.get('best_round', '-')}**")
        if best == 0 and len(history) > 1:
            lines.append("")
            gain = possible_gain(history, MonitorConfig())
            lines.append("No trained round beat the untouched student beyond noise: the model to use is round 0's "
                         "(the student as it was)." + (f" But {gain}." if gain else ""))
        lines.append("")
        lines.append(f"*{BEST_RULE}*")
        seen = detectable_line(history)
        if seen:
            lines += ["", seen]
        if dec.get("replay_share") is not None:
            lines.append(f"New replay share: {dec['replay_share']:.2f}")
        for warning in dec.get("warnings") or []:
            lines.append(f"\n- warning: {warning}")
    else:
        lines.append("No decision recorded.")
    lines.append("")

    set_names = sorted({name for m in history for name in (m.get("sets") or {})})
    lines += ["## Rounds", ""]
    header = ["round", "gold acc", "95% CI"] + set_names + ["approval", "held-out loss", "distinct-2", "mean tokens",
                                                            "leaked answers"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for m in history:
        ci = m.get("gold_ci95")
        row = [
            f"**{m['round']}** (best)" if m["round"] == best else str(m["round"]),
            cell(m.get("gold_accuracy"), pct=True),
            f"{ci[0]:.1%}-{ci[1]:.1%}" if ci else "-",
            *[cell((m.get("sets") or {}).get(n, {}).get("accuracy"), pct=True) for n in set_names],
            cell(m.get("approval_rate"), pct=True),
            cell(m.get("heldout_loss")),
            cell(m.get("distinct_2")),
            "-" if m.get("mean_answer_tokens") is None else f"{m['mean_answer_tokens']:.1f}",
            cell(m.get("leaked_answers"), pct=True),
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")

    if rounds:
        lines += training_section(rounds)

    lines += judge_section(history)
    lines += guard_table(history)
    lines += paired_section(run_dir, history, best)
    if samples_by_round:
        lines += review_section(samples_by_round)

    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{p.stem}](plots/{p.name})" for p in plots]
        lines.append("")

    if samples_by_round:
        lines += ["## Samples: before -> critique -> after", ""]
        for rnd in sorted(samples_by_round):
            records = [x if isinstance(x, Sample) else Sample.from_json({"round": rnd, "index": i, **x})
                       for i, x in enumerate(samples_by_round[rnd])]
            samples = pick_samples(records, cfg.max_samples)
            if not samples:
                continue
            lines += [f"### Round {rnd}", ""]
            for i, s in enumerate(samples, 1):
                status = [f"verdict: {s.verdict}"]
                if s.check:
                    status.append(f"decided by the {s.check} check: answer {'passed' if s.answer_passed else 'failed'}")
                status.append("kept" if s.kept else f"dropped ({s.drop_reason or 'no reason given'})")
                lines.append(f"**{i}. Prompt:** {clip(s.prompt, cfg.max_chars)} ({'; '.join(status)})")
                lines.append("")
                fields = [("Reference", s.reference)] if s.reference else []
                fields += [("Before", s.answer), ("Critique", s.critique), ("After", s.revision)]
                for label, text in fields:
                    lines.append(f"*{label}:*")
                    lines.append("")
                    lines.append(_quote(clip(text, cfg.max_chars)))
                    lines.append("")
    path = run_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
