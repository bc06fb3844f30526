"""Settings of one round of training: the objective, the LoRA adapter, and TRL's own arguments over
this project's defaults. Importable without torch or TRL (they load when the arguments are built).

In a run config::

    train:
      objective: sft            # sft | dpo | sft_then_dpo | grpo | distill | module.path:NAME
      lora_r: 16
      sft: {learning_rate: 0.0002, num_train_epochs: 2, max_steps: 20}   # any SFTConfig field
      dpo: {beta: 0.1, loss_type: [apo_zero, sft]}                       # any DPOConfig field
      grpo: {num_generations: 8, learning_rate: 0.00005}                 # any GRPOConfig field
      reward: reference         # grpo's reward(s): reference | verifier | judge | module.path:function
      distill: {beta: 1.0}      # any DistillationConfig field (the distill objective)
      distill_teacher: context  # distill's teacher: context | model:SPEC

Every key under ``sft`` / ``dpo`` / ``grpo`` / ``distill`` (or ``sections.<name>`` for a plug-in objective's own
step) goes to the step's TRL config class as is, so TRL validates it; the project's defaults for each
step are declared beside its trainer (:data:`distill.train.sft.SFT_DEFAULTS`,
:data:`distill.train.dpo.DPO_DEFAULTS`, :data:`distill.train.grpo.GRPO_DEFAULTS`,
:data:`distill.train.onpolicy.DISTILL_DEFAULTS`) and apply where
the config says nothing. What an objective is: :mod:`distill.train.objective`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distill.errors import ConfigError, DistillError

if TYPE_CHECKING:
    from peft import LoraConfig

    from distill.train.objective import Objective, Step

LLAMA_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

# the TRL config sections that are fields of TrainConfig (a plug-in objective's own are under `sections`)
BUILT_IN_SECTIONS = ("sft", "dpo", "grpo", "distill")

# Set by the loop itself: the adapter and the merged model are saved by the toolkit, atomically.
SFT_FIXED: dict[str, Any] = {"save_strategy": "no"}

@dataclass
class TrainConfig:
    """One round of LoRA fine-tuning: the objective, the adapter's shape, and TRL's arguments.

    ``objective`` (:mod:`distill.train.objective`): ``sft`` trains on the kept targets (revisions,
    verified answers) mixed with replay data; ``dpo`` trains on the round's preference pairs
    (revision over answer) with TRL's DPOTrainer, the base model with adapters disabled as its
    reference; ``sft_then_dpo`` does the SFT round, then DPO with the SFT'd adapter frozen as the
    reference; ``grpo`` samples answers to the round's prompts and reinforces those that ``reward``
    scores above their group (TRL's GRPOTrainer), then trains on replay data at the replay share;
    ``distill`` samples answers to the round's prompts and moves every token of them toward the
    distribution of ``distill_teacher`` (TRL's DistillationTrainer, :mod:`distill.train.onpolicy`),
    then trains on replay data; ``module.path:NAME`` is an objective of your own."""

    objective: str = "sft"  # a built-in name or module.path:NAME (distill.train.objective)
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(LLAMA_TARGET_MODULES))  # every LLaMA projection
    sft: dict[str, Any] = field(default_factory=dict)  # SFTConfig fields over SFT_DEFAULTS
    dpo: dict[str, Any] = field(default_factory=dict)  # DPOConfig fields over DPO_DEFAULTS
    grpo: dict[str, Any] = field(default_factory=dict)  # GRPOConfig fields over GRPO_DEFAULTS
    distill: dict[str, Any] = field(default_factory=dict)  # DistillationConfig fields over DISTILL_DEFAULTS
    # the TRL config fields of plug-in objectives' own steps, by their section name
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    # grpo's reward: reference | verifier | judge | module.path:function, a list of them, or {name: weight}
    reward: str | list[str] | dict[str, float] = "reference"
    # distill's teacher: "context" (the round-start weights reading what distill_context names beside the
    # prompt) or "model:SPEC" (a model with the student's tokenizer) (distill.train.onpolicy)
    distill_teacher: str = "context"
    # what the context teacher reads: the prompt's reference and/or the round's kept target ("target":
    # the collect phase critiques and revises, as for sft)
    distill_context: list[str] = field(default_factory=lambda: ["reference", "target"])
    # An objective that trains on prompts (grpo): candidate prompts drawn per prompt trained on, and
    # answers sampled to each candidate and checked, to train on those whose answers differ
    # (distill.curate.screen). 1 and 1 (the default): no screen, the round's prompts as drawn; 2 and 4
    # did not lower the share of groups without signal (README "Online reinforcement").
    screen_candidates: float = 1.0
    screen_samples: int = 1
    # The share of the round's SFT rows (before replay) that teach the critic from the check: critiques
    # of checked answers and corrections of wrong ones (distill.curate.critic); 0: none
    critic_share: float = 0.0
    # CPU threads while training (restored afterwards); None keeps torch's setting. On a CPU shared
    # with other busy processes one thread avoids waiting for a descheduled second one.
    num_threads: int | None = None
    # None: train in the loop's own process. A command prefix such as "torchrun --nproc_per_node 2"
    # or "accelerate launch --config_file fsdp.yaml": the round trains under it (distill.train.worker).
    launcher: str | None = None

    def __post_init__(self) -> None:
        if self.lora_r < 1 or self.lora_alpha <= 0 or not 0 <= self.lora_dropout < 1:
            raise ValueError("lora_r must be >= 1, lora_alpha > 0 and lora_dropout in [0, 1)")
        if not 0 <= self.critic_share < 1:
            raise ValueError(f"critic_share must be in [0, 1), got {self.critic_share}")
        if self.critic_share and "sft" not in self.objective_spec.step_names:
            raise ValueError(f"critic_share trains the critic in an sft step; objective {self.objective!r} has none")
        if self.screen_candidates < 1 or self.screen_samples < 1:
            raise ValueError("screen_candidates and screen_samples must be >= 1 (1 and 1: no screening)")
        from distill.train.objective import get  # no torch: the objective's table and module are light

        get(self.objective)
        for name in (*BUILT_IN_SECTIONS, *self.sections):
            fixed = sorted(set(self.section(name)) & set(SFT_FIXED))
            if fixed:
                raise ValueError(f"train.{name}: {', '.join(fixed)} is set by the toolkit and cannot be changed")
        from distill.train.rewards import parse_spec  # no torch: the reward names are checked with the config

        parse_spec(self.reward)

    @property
    def needs(self) -> frozenset[str]:
        """What the objective needs from the loop under this config (:data:`distill.train.objective.NEEDS`)."""
        return self.objective_spec.needs_of(self)

    @property
    def steps(self) -> tuple[str, ...]:
        """The training steps of :attr:`objective`, in order."""
        return self.objective_spec.step_names

    @property
    def objective_spec(self) -> "Objective":
        """The :class:`~distill.train.objective.Objective` that :attr:`objective` names."""
        from distill.train.objective import get

        return get(self.objective)

    def section(self, name: str) -> dict[str, Any]:
        """The config's fields for TRL config section ``name`` (``sft``, ``dpo``, ``grpo``, ``distill`` or a plug-in's)."""
        return getattr(self, name) if name in BUILT_IN_SECTIONS else self.sections.get(name, {})

    @property
    def report_to(self) -> list[str]:
        """The trackers training reports to (TRL's ``report_to``); the loop's round metrics go there too."""
        value = next((getattr(self, s)["report_to"] for s in BUILT_IN_SECTIONS if getattr(self, s).get("report_to")),
                     "none")
        return [value] if isinstance(value, str) else list(value)

    def setting(self, name: str) -> Any:
        """The value an SFTConfig field will have: the config's, else the project default."""
        from distill.train.objective import get

        return self.sft.get(name, {**get("sft").step("sft").defaults, **_hardware_defaults()}.get(name))

    def args(self, step: "Step", output_dir: str | Path, precision: str | None = None, **overrides: Any) -> Any:
        """TRL's config for training ``step`` (its ``trl_config`` class): the step's defaults < the run's
        ``precision`` (bf16 autocast or not) < the config's section for the step < ``overrides``."""
        import trl

        return _trl_args(getattr(trl, step.trl_config), step.section, step.defaults, self.section(step.section),
                         output_dir, overrides, precision)

    def validate(self) -> None:
        """Raise :class:`ConfigError` now if TRL or peft would refuse these settings."""
        import tempfile

        objective = self.objective_spec
        with tempfile.TemporaryDirectory(prefix="distill-check-") as tmp:
            for step in objective.steps:
                self.args(step, tmp)
        if objective.check is not None:
            try:
                objective.check(self, None, None)
            except DistillError:
                raise  # already a one-line error of its own kind (a user's reward that cannot be imported)
            except ValueError as e:
                raise ConfigError(f"train.{e}") from None
        try:
            self.lora_config()
        except (TypeError, ValueError) as e:
            raise ConfigError(f"train: peft refuses the LoRA settings: {str(e).splitlines()[0]}") from None

    def lora_config(self) -> "LoraConfig":
        """The peft configuration of this round's adapter."""
        from peft import LoraConfig

        return LoraConfig(r=self.lora_r, lora_alpha=self.lora_alpha, lora_dropout=self.lora_dropout,
                          target_modules=list(self.target_modules), bias="none", task_type="CAUSAL_LM")


def _trl_args(cls: type, section: str, defaults: dict, given: dict, output_dir: str | Path, overrides: dict,
              precision: str | None = None) -> Any:
    """``cls(**kwargs)`` from defaults < machine < precision < config section < overrides; a refusal
    names ``train.<section>``."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(f"train.{section}: {', '.join(unknown)}: not a field of TRL's {cls.__name__}")
    chosen = {} if precision is None else {"bf16": precision == "bf16"}  # autocast; weights stay fp32
    kwargs = {**defaults, **_hardware_defaults(), **chosen, **given, **overrides, **SFT_FIXED,
              "output_dir": str(output_dir)}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"train.{section}: TRL refuses these settings: {str(e).splitlines()[0]}") from None


def _hardware_defaults() -> dict[str, Any]:
    """Defaults that depend on the machine. bf16 autocast is much slower than fp32 on CPUs without
    native bf16, so it is chosen only on a GPU that has it (``train.sft: {bf16: true}`` forces it);
    pinned memory only helps copies to a GPU; without a GPU, training (one process or several) is on the CPU."""
    import torch

    gpu = torch.cuda.is_available()
    # use_cpu: on a machine without a GPU, a launched multi-process run trains on the CPU (gloo)
    return {"bf16": gpu and torch.cuda.is_bf16_supported(), "dataloader_pin_memory": gpu, "use_cpu": not gpu}
