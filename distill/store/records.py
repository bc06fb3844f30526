"""The run folder's records, typed: one :class:`Sample` per prompt per round, one :class:`RoundSummary`
per trained round, and the :class:`Manifest`.

Both are plain dataclasses with ``to_json`` / ``from_json``. Reading is lenient in the way a
resumed or inspected run needs: keys this version does not know are kept in ``extra`` and
written back unchanged, and keys an older version did not write get their defaults, so old run
folders still read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

T = TypeVar("T", bound="_Record")

FINAL = ("converged", "stopped", "finished")


class _Record:
    """``to_json`` / ``from_json`` for a dataclass with an ``extra`` dict of unknown keys."""

    extra: dict

    def to_json(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}  # type: ignore[arg-type]
        return {**out, **self.extra}

    @classmethod
    def from_json(cls: type[T], data: dict) -> T:
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}  # type: ignore[arg-type]
        known = {k: v for k, v in data.items() if k in names}
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})  # type: ignore[call-arg]


@dataclass
class Sample(_Record):
    """One prompt of one round: the answer, the critique, the revision, and what became of them.

    Every record is kept, dropped ones too: they are the evidence. ``reference`` is what the
    critic was shown (None: critiqued without one). ``check`` names what decided the verdict
    when it was not only the teacher's word (``"reference"``: the answer checked against the
    prompt's reference by the evaluation's rules; ``"verifier"``: a programmatic checker), and
    ``answer_passed`` / ``revision_passed`` hold its results. ``target`` is the text trained on
    when the sample is kept: the revision, or the answer itself when a check verified it, after
    the target review; ``cleaned`` says what that review cut from it and why."""

    round: int
    index: int
    prompt: str
    answer: str
    stage: str = ""
    principle: str = ""
    reference: str | None = None
    answer_finish: str | None = None
    critique: str = ""
    verdict: str = "unparseable"
    verdict_source: str = "text"
    revision: str | None = None
    revision_finish: str | None = None
    error: str | None = None
    teacher: str = ""
    check: str | None = None
    answer_passed: bool | None = None
    revision_passed: bool | None = None
    candidates: list[str] = field(default_factory=list)  # every sampled answer when num_samples > 1
    kept: bool = False
    drop_reason: str | None = None
    target: str | None = None
    cleaned: dict = field(default_factory=dict)  # check -> what it cut from the target (distill.curate.targets)
    usage: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    time: float = 0.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> "Sample":
        sample = super().from_json(data)
        if sample.kept and sample.target is None:  # written before targets were recorded
            sample.target = sample.revision
        return sample


@dataclass
class RoundSummary(_Record):
    """One trained round's counts, built once (:meth:`of`, then :meth:`trained`) and read by the
    monitor, the report, the model card, the trackers and the displays.

    From its records: prompts, faults (and their share among judged prompts), unparseable verdicts,
    kept targets (of them verified answers), answers a check saw (and passed), prompts without a
    reference under a grounded teacher, drop reasons, preference pairs. From its training: the
    model folder, the objective, the last training loss, what the objective adds (``train_metrics``:
    read from its training log and folder, and how its rows were chosen; :mod:`distill.train.objective`),
    and a note when training was skipped."""

    round: int
    stage: str = ""
    prompts: int = 0
    faults: int = 0
    fault_rate: float | None = None
    # the share of those verdicts that were the teacher's own reading, not a reference or verifier check
    opinion_share: float | None = None
    unparseable: int = 0
    kept: int = 0
    kept_verified: int = 0
    checked: int = 0
    answers_passed: int = 0
    ungrounded: int | None = None
    dropped: dict = field(default_factory=dict)
    pairs: int = 0
    model: str | None = None
    objective: str | None = None
    train_loss: float | None = None
    train_note: str | None = None
    # what the objective adds beyond the loss: from its training log and folder, and how its rows were chosen
    train_metrics: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    # the summary keys shown beside a round's metrics in tables (the rounds table, the round-end line)
    SHOWN: ClassVar[tuple[str, ...]] = ("stage", "fault_rate", "kept", "train_loss")

    @classmethod
    def of(cls, n: int, stage: str, samples: list[Sample], grounded: bool, pairs: int) -> "RoundSummary":
        """The counts of round ``n`` from its records; with a grounded teacher, how many prompts had
        no reference (critiqued without one)."""
        judged = [s for s in samples if s.verdict in ("fault", "no_fault")]
        faults = sum(s.verdict == "fault" for s in judged)
        checked = [s for s in samples if s.answer_passed is not None]
        return cls(
            round=n, stage=stage, prompts=len(samples), faults=faults,
            fault_rate=faults / len(judged) if judged else None,
            opinion_share=(sum(s.verdict_source not in ("reference", "verifier") for s in judged) / len(judged)
                           if judged else None),
            unparseable=sum(s.verdict == "unparseable" for s in samples),
            kept=sum(s.kept for s in samples),
            kept_verified=sum(s.kept and s.verdict == "no_fault" for s in samples),
            checked=len(checked), answers_passed=sum(bool(s.answer_passed) for s in checked),
            ungrounded=sum(s.reference is None for s in samples) if grounded else None,
            dropped={reason: sum(s.drop_reason == reason for s in samples)
                     for reason in sorted({s.drop_reason for s in samples if s.drop_reason})},
            pairs=pairs,
        )


@dataclass
class Manifest(_Record):
    """Where a run stands: status, stage, finished rounds, metric history, the monitor's decision.

    ``rounds`` holds one :class:`RoundSummary` per trained round; ``history`` one metric dict per
    evaluated round (:func:`distill.eval.metrics.round_metrics`), round 0 (the untouched student) first."""

    FINAL: ClassVar[tuple[str, ...]] = FINAL

    status: str = "running"
    stage_index: int = 0
    rounds_in_stage: int = 0
    rounds: list[RoundSummary] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    best_round: int = 0
    decision: dict | None = None
    replay_share: float | None = None
    precision: str | None = None  # what the run computes in ("fp32" / "bf16"), fixed at its start
    precision_reason: str | None = None
    report: str | None = None
    pushed: dict | None = None  # the last push to the Hub: round, repo_id, commit_url (distill.publish.hub)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        manifest = super().from_json(data)
        manifest.rounds = [r if isinstance(r, RoundSummary) else RoundSummary.from_json(r) for r in manifest.rounds]
        return manifest

    def to_json(self) -> dict:
        return {**super().to_json(), "rounds": [r.to_json() for r in self.rounds]}

    def table(self) -> list[dict]:
        """One row per evaluated round for tables: its metrics, and for a trained round the summary's
        :attr:`RoundSummary.SHOWN` keys beside them."""
        rows = []
        for m in self.history:
            n = m.get("round")
            summary = self.rounds[n - 1] if isinstance(n, int) and 0 < n <= len(self.rounds) else None
            rows.append({**m, **({k: getattr(summary, k) for k in RoundSummary.SHOWN} if summary else {})})
        return rows

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @property
    def reason(self) -> str:
        return (self.decision or {}).get("reason", "")

    @property
    def warnings(self) -> list[str]:
        return list((self.decision or {}).get("warnings") or [])


def samples_from_json(rows: list[dict]) -> list[Sample]:
    """Records as read from a ``samples.jsonl`` -> :class:`Sample` objects."""
    return [Sample.from_json(r) for r in rows]


__all__ = ["FINAL", "Manifest", "RoundSummary", "Sample", "samples_from_json"]
