"""Settings of one round of training: the objective, the LoRA adapter, and TRL's own arguments over
this project's defaults. Importable without torch or TRL (they load when the arguments are built).

In a run config::

    train:
      objective: sft            # sft | dpo | sft_then_dpo | grpo
      lora_r: 16
      sft: {learning_rate: 0.0002, num_train_epochs: 2, max_steps: 20}   # any SFTConfig field
      dpo: {beta: 0.1, loss_type: [apo_zero, sft]}                       # any DPOConfig field
      grpo: {num_generations: 8, learning_rate: 0.00005}                 # any GRPOConfig field
      reward: reference         # grpo's reward(s): reference | verifier | judge | module.path:function

Every key under ``sft`` / ``dpo`` / ``grpo`` goes to TRL's ``SFTConfig`` / ``DPOConfig`` /
``GRPOConfig`` as is, so TRL validates it; the project's defaults (:data:`SFT_DEFAULTS`,
:data:`DPO_DEFAULTS`, :data:`GRPO_DEFAULTS`) are stated here once and apply where the config says nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from distill.errors import ConfigError

if TYPE_CHECKING:
    from peft import LoraConfig

LLAMA_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

# This project's defaults for TRL's SFTConfig (TRL's own defaults suit a GPU and a larger model).
SFT_DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-4,  # LoRA, not full fine-tuning
    "num_train_epochs": 2.0,
    # Micro-batches of 2 with 4 accumulation steps: 8 examples per step, less padding and smaller
    # logits than 8 x 1, faster on CPU at half the memory (bench/run.py, section train).
    "per_device_train_batch_size": 2,
    "per_device_eval_batch_size": 2,
    "gradient_accumulation_steps": 4,
    "max_length": 512,  # prompt + answer tokens; longer examples are truncated (no padding to it)
    "lr_scheduler_type": "linear",
    "logging_steps": 1,  # every step, so the loss history is complete
    "seed": 0,
    "activation_checkpointing": False,  # costs time; only worth it when memory is short
    "completion_only_loss": True,  # loss on the answer tokens only (prompt tokens are labelled -100)
    "packing": False,
    "padding_free": False,  # correct padding-free batches need flash attention, which CPUs lack
    "report_to": "none",
    "dataloader_num_workers": 0,
}
# This project's defaults for TRL's DPOConfig. The combined loss keeps an SFT term: rows to be
# imitated (replay data, verified answers) enter with chosen == rejected, so their preference
# term is zero and they add only that term (distill.curate.pairs.preference_mix).
DPO_DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5,
    "num_train_epochs": 1.0,
    "beta": 0.1,
    "loss_type": ["sigmoid", "sft"],
    "loss_weights": [1.0, 1.0],
    "per_device_train_batch_size": 2,
    "per_device_eval_batch_size": 2,
    "gradient_accumulation_steps": 4,
    "max_length": 512,
    "lr_scheduler_type": "linear",
    "logging_steps": 1,
    "seed": 0,
    "report_to": "none",
    "dataloader_num_workers": 0,
}
# This project's defaults for TRL's GRPOConfig, for a small student on a CPU: groups of 8 answers per
# prompt (fewer groups have no spread in reward), 2 prompts per optimizer step, answers as long as the
# loop's own, no KL term (beta 0: the replay step guards the rest of the model; set beta to add one),
# dropout off so the sampled answers are the policy the loss scores.
GRPO_DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-4,  # the SFT rate: LoRA wants a far higher rate than full fine-tuning, in RL too
    "num_train_epochs": 1.0,
    "num_generations": 8,
    "per_device_train_batch_size": 8,  # counted in completions: one prompt's group per micro-batch
    "gradient_accumulation_steps": 2,
    "max_completion_length": 64,
    "temperature": 1.0,
    "beta": 0.0,
    "disable_dropout": True,
    # the prompts' order is distill.curate.rows.rl_rows's: yes/no prompts in yes-no pairs within a step
    "shuffle_dataset": False,
    "activation_checkpointing": False,
    "lr_scheduler_type": "linear",
    "logging_steps": 1,
    "seed": 0,
    "report_to": "none",
    "dataloader_num_workers": 0,
}
# Set by the loop itself: the adapter and the merged model are saved by the toolkit, atomically.
SFT_FIXED: dict[str, Any] = {"save_strategy": "no"}
# What each objective runs, in order: one TRL trainer per step (distill.train.lora.TRAINERS), one
# adapter trained through all of them, each step's rows built by distill.curate.rows. "replay" is an
# SFT step on original instruction data only (how the grpo objective keeps the replay share), run
# when the round has replay rows.
STEPS: dict[str, tuple[str, ...]] = {"sft": ("sft",), "dpo": ("dpo",), "sft_then_dpo": ("sft", "dpo"),
                                     "grpo": ("grpo", "replay")}
OPTIONAL_STEPS = ("replay",)
OBJECTIVES = tuple(STEPS)
# step -> TRL's config class for it, this project's defaults over TRL's, and the config section over those
TRL_CONFIGS: dict[str, tuple[str, dict[str, Any], str]] = {
    "sft": ("SFTConfig", SFT_DEFAULTS, "sft"), "dpo": ("DPOConfig", DPO_DEFAULTS, "dpo"),
    "grpo": ("GRPOConfig", GRPO_DEFAULTS, "grpo"), "replay": ("SFTConfig", SFT_DEFAULTS, "sft"),
}


@dataclass
class TrainConfig:
    """One round of LoRA fine-tuning: the objective, the adapter's shape, and TRL's arguments.

    ``objective``: ``sft`` trains on the kept targets (revisions, verified answers) mixed with
    replay data; ``dpo`` trains on the round's preference pairs (revision over answer) with
    TRL's DPOTrainer, the base model with adapters disabled as its reference; ``sft_then_dpo``
    does the SFT round, then DPO with the SFT'd adapter frozen as the reference; ``grpo`` samples
    answers to the round's prompts and reinforces those that ``reward`` scores above their group
    (TRL's GRPOTrainer), then trains on replay data at the replay share."""

    objective: Literal["sft", "dpo", "sft_then_dpo", "grpo"] = "sft"
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(LLAMA_TARGET_MODULES))  # every LLaMA projection
    sft: dict[str, Any] = field(default_factory=dict)  # SFTConfig fields over SFT_DEFAULTS
    dpo: dict[str, Any] = field(default_factory=dict)  # DPOConfig fields over DPO_DEFAULTS
    grpo: dict[str, Any] = field(default_factory=dict)  # GRPOConfig fields over GRPO_DEFAULTS
    # grpo's reward: reference | verifier | judge | module.path:function, a list of them, or {name: weight}
    reward: str | list[str] | dict[str, float] = "reference"
    # CPU threads while training (restored afterwards); None keeps torch's setting. On a CPU shared
    # with other busy processes one thread avoids waiting for a descheduled second one.
    num_threads: int | None = None
    # None: train in the loop's own process. A command prefix such as "torchrun --nproc_per_node 2"
    # or "accelerate launch --config_file fsdp.yaml": the round trains under it (distill.train.worker).
    launcher: str | None = None

    def __post_init__(self) -> None:
        if self.lora_r < 1 or self.lora_alpha <= 0 or not 0 <= self.lora_dropout < 1:
            raise ValueError("lora_r must be >= 1, lora_alpha > 0 and lora_dropout in [0, 1)")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        for name in ("sft", "dpo", "grpo"):
            fixed = sorted(set(getattr(self, name)) & set(SFT_FIXED))
            if fixed:
                raise ValueError(f"train.{name}: {', '.join(fixed)} is set by the toolkit and cannot be changed")
        from distill.train.rewards import parse_spec  # no torch: the reward names are checked with the config

        parse_spec(self.reward)

    @property
    def steps(self) -> tuple[str, ...]:
        """The training steps of :attr:`objective`, in order (:data:`STEPS`)."""
        return STEPS[self.objective]

    @property
    def prompts_per_step(self) -> int:
        """Prompts per GRPO generation batch (one process): completions per micro-batch times
        micro-batches per generation, over the group size."""
        g = {**GRPO_DEFAULTS, **self.grpo}
        per_gen = g.get("steps_per_generation") or g["gradient_accumulation_steps"]
        return max(1, g["per_device_train_batch_size"] * per_gen // g["num_generations"])

    @property
    def report_to(self) -> list[str]:
        """The trackers training reports to (TRL's ``report_to``); the loop's round metrics go there too."""
        value = next((getattr(self, s)["report_to"] for s in ("sft", "dpo", "grpo") if getattr(self, s).get("report_to")),
                     SFT_DEFAULTS["report_to"])
        return [value] if isinstance(value, str) else list(value)

    def setting(self, name: str) -> Any:
        """The value an SFTConfig field will have: the config's, else the project default."""
        return self.sft.get(name, {**SFT_DEFAULTS, **_hardware_defaults()}.get(name))

    def args(self, step: str, output_dir: str | Path, precision: str | None = None, **overrides: Any) -> Any:
        """TRL's config for training ``step`` (``SFTConfig`` for ``sft``, ...): the project's defaults <
        the run's ``precision`` (bf16 autocast or not) < the config's section for the step < ``overrides``."""
        import trl

        class_name, defaults, section = TRL_CONFIGS[step]
        return _trl_args(getattr(trl, class_name), section, defaults, getattr(self, section), output_dir, overrides,
                         precision)

    def validate(self) -> None:
        """Raise :class:`ConfigError` now if TRL or peft would refuse these settings."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="distill-check-") as tmp:
            for step in self.steps:
                self.args(step, tmp)
        if "grpo" in self.steps:
            from distill.train.rewards import load_user_reward, parse_spec

            for name in parse_spec(self.reward):
                if ":" in name:
                    load_user_reward(name)  # a missing module or function fails now, before any generation
            if "judge" in parse_spec(self.reward) and self.launcher:
                raise ConfigError("train.reward: judge needs the run's teacher, which lives in the loop's process; "
                                  "it cannot be used with train.launcher")
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
