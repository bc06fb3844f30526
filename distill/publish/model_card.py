"""The README.md model card of a round's ``model/`` folder: what it is, how it was made, how it scores."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from distill.callbacks import LoopCallback
from distill.eval.verdict import judge_line
from distill.store.atomic import is_complete, write_text
from distill.train.objective import DEFAULT

if TYPE_CHECKING:
    from distill.config import RunConfig
    from distill.store.folder import RunFolder
    from distill.store.records import Manifest, RoundSummary


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def model_card(*, run_dir: Path, round_number: int, config: dict, summary: "RoundSummary", history: list[dict],
               decision: dict | None, best_round: int) -> str:
    """The card's markdown (Hugging Face front matter, then the story of this round)."""
    m, base = history[round_number], history[0]
    sets = sorted(m.get("sets") or {})
    rows = ["| set | round 0 | this round (95% CI) |", "|---|---|---|"]
    for name in sets:
        s, b = m["sets"][name], (base.get("sets") or {}).get(name, {})
        lo, hi = s.get("ci95", [None, None])
        rows.append(f"| {name} | {_pct(b.get('accuracy'))} | {_pct(s['accuracy'])} ({_pct(lo)}-{_pct(hi)}) |")
    lo, hi = m.get("gold_ci95") or [None, None]
    rows.append(f"| all | {_pct(base.get('gold_accuracy'))} | {_pct(m.get('gold_accuracy'))} ({_pct(lo)}-{_pct(hi)}) |")
    for name in sorted(m.get("guard") or {}):  # gold sets unlike the training data: forgetting shows here
        g, b = m["guard"][name], (base.get("guard") or {}).get(name, {})
        rows.append(f"| guard: {name} | {_pct(b.get('accuracy'))} | {_pct(g['accuracy'])} "
                    f"({_pct(g['ci95'][0])}-{_pct(g['ci95'][1])}) |")
    for name in sorted(m.get("lm_eval") or {}):
        t, b = m["lm_eval"][name], (base.get("lm_eval") or {}).get(name, {})
        se = f" ± {t['stderr']:.3f}" if t.get("stderr") is not None else ""
        rows.append(f"| lm-eval {name} ({t['metric']}) | {b.get('value', '-')} | {t['value']:.3f}{se} |")
    best = ("This is the run's best round." if best_round == round_number else
            f"The run recommends round {best_round}" + (" (the untouched student)." if best_round == 0 else "."))
    return f"""---
base_model: {config.get('student')}
library_name: transformers
tags: [selfdistill, lora, {summary.objective or DEFAULT}]
---
# {run_dir.name}, round {round_number}

A LoRA fine-tune (merged) of `{config.get('student')}` made by the selfdistill loop: the student answered
{summary.prompts} prompts, the teacher `{config.get('teacher')}` critiqued them under the
`{summary.stage or '?'}` stage of `{config.get('principles') or 'data/principles.yaml'}`, and the
student was trained ({summary.objective or DEFAULT}) on {summary.kept} kept records
({summary.kept_verified} verified answers, {summary.pairs} preference pairs) mixed
with original instruction data.

## Evaluation (gold answers, held-out questions)

{chr(10).join(rows)}

Judge approval {_pct(m.get('approval_rate'))} (round 0: {_pct(base.get('approval_rate'))}); held-out loss on
original data {m.get('heldout_loss') or '-'} (round 0: {base.get('heldout_loss') or '-'}).
{_judge(m)}

## The monitor's decision

{(decision or {}).get('reason', '-')}

{best}

## Reproduce

```bash
distill run {run_dir / 'config.yaml'}
```
"""


def _judge(m: dict) -> str:
    """Can this round's judge (and the student as judge) tell right from wrong? One line each."""
    out = []
    for key, who in (("judge", "The judge"), ("student_judge", "The student as judge")):
        if m.get(key):
            verdict = "tells right from wrong" if m[key]["tells"] else "cannot tell right from wrong beyond noise"
            out.append(f"{who} {verdict}: {judge_line(m[key])}.")
    return "\n".join(out)


def write_model_card(model_dir: Path, **fields) -> None:
    """Write (or rewrite) ``model_dir/README.md``."""
    write_text(Path(model_dir) / "README.md", model_card(**fields))


class ModelCards(LoopCallback):
    """Writes the card of each trained round's ``model/`` once the round is recorded (a loop callback)."""

    def __init__(self, folder: "RunFolder", config: "RunConfig") -> None:
        self.folder, self.config = folder, config

    def round_recorded(self, round_number: int, manifest: "Manifest") -> None:
        model = self.folder.round_dir(round_number) / "model"
        if round_number > 0 and is_complete(model):
            write_model_card(model, run_dir=self.folder.path, round_number=round_number, config=self.config.to_dict(),
                             summary=manifest.rounds[round_number - 1], history=manifest.history,
                             decision=manifest.decision, best_round=manifest.best_round)
