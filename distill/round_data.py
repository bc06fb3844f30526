"""What one round trains on, by ``train.objective``: the loop and bench/objectives.py build it here."""

from __future__ import annotations

from dataclasses import dataclass, replace

from distill.data import mix
from distill.pairs import dpo_rows
from distill.records import Sample
from distill.train_config import TrainConfig


@dataclass
class RoundData:
    """The training config actually used (None: nothing to train), its data, and why it differs
    from what was asked, if it does (e.g. no preference pairs, so DPO is skipped)."""

    config: TrainConfig | None
    sft: list | object | None = None  # conversational prompt/completion rows or a Dataset
    preferences: list[dict] | None = None  # prompt/chosen/rejected rows
    note: str | None = None

    @property
    def examples(self) -> int:
        return len(self.sft or []) + len(self.preferences or [])


def round_data(kept: list[Sample], pairs: list[dict], replay, replay_share: float, seed: int,
               config: TrainConfig) -> RoundData:
    """The data of a round from its kept records and preference pairs, with ``replay`` (a Dataset
    of original instruction data, or None) at ``replay_share`` of the mix."""
    note = None
    if config.uses_dpo and not pairs:
        note = "no preference pairs (no kept revision of a faulty answer): DPO skipped"
        config = replace(config, objective="sft") if config.uses_sft else None
    if config is None or not kept:
        return RoundData(None, note=note or "no pair was kept")
    rows = [{"prompt": [{"role": "user", "content": s.prompt}],
             "completion": [{"role": "assistant", "content": s.target}]} for s in kept]
    # mix() counts replay examples per pair; the config speaks of the replay share of the mix.
    ratio = replay_share / (1 - replay_share)
    data = RoundData(config, note=note)
    if config.uses_sft:
        data.sft = rows if replay is None else mix(rows, replay, ratio, seed=seed)
    if config.uses_dpo:  # after SFT the verified answers are learned already; DPO alone imitates them too
        verified = [r for r, s in zip(rows, kept) if s.verdict != "fault"] if config.objective == "dpo" else []
        data.preferences = dpo_rows(pairs, verified, replay, ratio, seed)
    return data
