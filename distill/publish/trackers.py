"""Per-round metrics to the experiment tracker the user already watches.

The tracker is the one training reports to (``report_to`` in a step's TRL section, TRL's own
setting; ``none`` by default): TRL logs each round's training steps there, and :class:`RoundLog`
adds what only the loop knows, once per round: gold accuracy (overall and per set), the judge's
approval, held-out loss, kept pairs, answer length, and the monitor's decision. TensorBoard writes
to ``<run>/tensorboard``; trackio and Weights & Biases log to the project named by the run folder.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from distill.callbacks import LoopCallback

if TYPE_CHECKING:
    from distill.store.records import Manifest, RoundSummary

log = logging.getLogger(__name__)

SUPPORTED = ("tensorboard", "trackio", "wandb")


def scalars(metrics: dict, summary: "RoundSummary | None" = None) -> dict[str, float]:
    """The numbers of one round worth plotting, named ``group/metric``."""
    out = {}
    for key in ("gold_accuracy", "approval_rate", "heldout_loss", "distinct_2", "mean_answer_tokens", "leaked_answers"):
        if metrics.get(key) is not None:
            out[f"round/{key}"] = float(metrics[key])
    for key in ("judge", "student_judge"):
        for field in ("j", "approve_right", "approve_wrong", "balanced_accuracy"):
            if metrics.get(key):
                out[f"{key}/{field}"] = float(metrics[key][field])
    for name, s in (metrics.get("sets") or {}).items():
        out[f"gold/{name}"] = float(s["accuracy"])
    for name, s in (metrics.get("guard") or {}).items():
        out[f"guard/{name}"] = float(s["accuracy"])
    for name, s in (metrics.get("lm_eval") or {}).items():
        out[f"lm_eval/{name}"] = float(s["value"])
    for key in ("kept", "pairs", "fault_rate", "train_loss"):
        if summary is not None and getattr(summary, key) is not None:
            out[f"round/{key}"] = float(getattr(summary, key))
    for key, value in (summary.train_metrics if summary is not None else {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"train/{key}"] = float(value)
    return out


class RoundLog(LoopCallback):
    """Logs each round's metrics and decision to the trackers in ``report_to`` (a loop callback:
    at ``round_recorded``)."""

    def __init__(self, report_to: list[str], run_dir: Path) -> None:
        self.report_to = [r for r in report_to if r in SUPPORTED]
        for other in set(report_to) - set(SUPPORTED) - {"none", "all"}:
            log.warning("report_to %r: round metrics go to %s only", other, ", ".join(SUPPORTED))
        self.run_dir = Path(run_dir)
        self._tb = None

    def round_recorded(self, round_number: int, manifest: "Manifest") -> None:
        trained = round_number > 0
        self.log(round_number, manifest.history[round_number], manifest.rounds[round_number - 1] if trained else None,
                 manifest.decision if trained else None)

    def log(self, round_number: int, metrics: dict, summary: "RoundSummary | None", decision: dict | None) -> None:
        values = scalars(metrics, summary)
        reason = (decision or {}).get("reason", "")
        if "tensorboard" in self.report_to:
            if self._tb is None:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(log_dir=str(self.run_dir / "tensorboard"))
            for key, value in values.items():
                self._tb.add_scalar(key, value, round_number)
            if reason:
                self._tb.add_text("decision", reason, round_number)
            self._tb.flush()
        for name in ("trackio", "wandb"):
            if name in self.report_to:
                module = __import__(name)
                if getattr(module, "run", None) is None:
                    module.init(project=self.run_dir.name)
                module.log({**values, "round": round_number, "decision": reason})

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
