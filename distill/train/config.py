"""Settings of one round of training: the objective, the LoRA adapter, the objective's TRL sections
and options. Importable without torch or TRL (they load when the arguments are built).

In a run config::

    train:
      objective: NAME           # a built-in name (distill.train.objective.BUILT_IN) or module.path:NAME
      schedule: [NAME, NAME, NAME2]   # or: each round's objective in turn, the last repeating
      lora_r: 16
      SECTION: {learning_rate: 0.0002, max_steps: 20}   # any field of a step's TRL config
      OPTION: VALUE             # an option of the objective (its own typed section)

Every other key is the objective's (:mod:`distill.train.objective`): a TRL section one of its steps
reads — every key under it goes to the step's TRL config class as is, so TRL validates it, over the
project's defaults declared beside its trainer — or one of its options, which its own dataclass
validates (``docs/objectives.md`` lists each objective's). ``sections.<name>`` holds TRL sections too.
A config saved before objectives owned their options holds every built-in objective's options at
their defaults and their empty sections: those of other objectives are dropped as read; another
objective's option set to anything else is an error naming it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from distill.errors import ConfigError, DistillError
from distill.schema import build, convert, from_dict
from distill.train.objective import DEFAULT, Objective, built_in_sections, get, option_owners

if TYPE_CHECKING:
    from peft import LoraConfig

    from distill.train.objective import Step

LLAMA_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

# Set by the loop itself: the adapter and the merged model are saved by the toolkit, atomically.
FIXED: dict[str, Any] = {"save_strategy": "no"}


@dataclass(init=False)
class TrainConfig:
    """One round of LoRA fine-tuning: the objective, the adapter's shape, TRL's arguments for each of
    the objective's steps (``sections``: section name -> fields) and the objective's ``options`` (its
    own dataclass, None for an objective without options).

    Built from the ``train`` keys of a run config (:meth:`from_section`), or in code by the same keys:
    ``TrainConfig(objective=NAME, SECTION={...}, OPTION=VALUE)`` — a key that is neither one of the
    fields below nor the objective's is an error."""

    objective: str = DEFAULT  # a built-in name or module.path:NAME (distill.train.objective)
    # each round's objective in turn, the last repeating; [] trains every round by `objective`
    schedule: list[str] = field(default_factory=list)
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(LLAMA_TARGET_MODULES))  # every LLaMA projection
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # TRL config fields by section
    options: Any = None  # the objective's options (its `options` dataclass)
    scheduled: dict[str, Any] = field(default_factory=dict)  # the other scheduled objectives' options, by name
    # CPU threads while training (restored afterwards); None keeps torch's setting. On a CPU shared
    # with other busy processes one thread avoids waiting for a descheduled second one.
    num_threads: int | None = None
    # None: train in the loop's own process. A command prefix such as "torchrun --nproc_per_node 2"
    # or "accelerate launch --config_file fsdp.yaml": the round trains under it (distill.train.worker).
    launcher: str | None = None

    def __init__(self, **keys: Any) -> None:
        """Any ``train`` key of a run config: the fields below, the objective's TRL sections and options."""
        own = {f.name: f for f in dataclasses.fields(self)}
        named = "objective" in keys
        for name, f in own.items():
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
            setattr(self, name, keys.pop(name) if name in keys else default)
        self.schedule = list(self.schedule)
        if self.schedule:
            if named and self.objective != self.schedule[0]:
                raise ValueError(f"objective {self.objective!r} is not the first of schedule {self.schedule}: "
                                 "give one of them")
            self.objective = self.schedule[0]
        specs = self.scheduled_specs
        sections, options = _split(specs, keys, lambda key: f"train.{key}")
        self.sections = {**{name: {} for spec in specs for name in spec.sections}, **self.sections, **sections}
        self.options = _options(specs[0], self.options, _own(specs[0], options))
        self.scheduled = {spec.name: _options(spec, self.scheduled.get(spec.name), _own(spec, options))
                          for spec in specs[1:]}
        self._check()

    def _check(self) -> None:
        if self.lora_r < 1 or self.lora_alpha <= 0 or not 0 <= self.lora_dropout < 1:
            raise ValueError("lora_r must be >= 1, lora_alpha > 0 and lora_dropout in [0, 1)")
        for name, given in self.sections.items():
            fixed = sorted(set(given) & set(FIXED))
            if fixed:
                raise ValueError(f"train.{name}: {', '.join(fixed)} is set by the toolkit and cannot be changed")

    @classmethod
    def from_section(cls, data: dict, source: str = "<config>", prefix: str = "train.") -> "TrainConfig":
        """From a run config's ``train`` keys (:func:`distill.schema.from_dict` calls it): the own keys
        type-checked, the objective's TRL sections and options told apart, its options built and
        validated by their dataclass; every mistake one :class:`ConfigError` naming ``source`` and the key."""
        schedule = convert(list[str], data.get("schedule") or [], f"{source}: key {prefix}schedule", source, prefix)
        objective = convert(str, data.get("objective", schedule[0] if schedule else DEFAULT),
                            f"{source}: key {prefix}objective", source, prefix)
        try:
            specs = [get(name) for name in dict.fromkeys([objective, *schedule])]
        except ValueError as e:
            raise ConfigError(f"{source}: section {prefix.rstrip('.')}: {e}") from None
        own_names = {f.name for f in dataclasses.fields(cls)}
        own = {k: v for k, v in data.items() if k in own_names}
        sections, options = _split(specs, {k: v for k, v in data.items() if k not in own_names},
                                   lambda key: f"{source}: key {prefix}{key}")
        for key in ("sections", "options", "scheduled"):  # as dataclasses.asdict writes them (a critic build's config)
            own[key] = convert(dict, own.get(key) or {}, f"{source}: key {prefix}{key}", source, prefix)
        if specs[0].options is not None:
            own["options"] = from_dict(specs[0].options, {**own["options"], **_own(specs[0], options)}, source, prefix)
        own["scheduled"] = {spec.name: from_dict(spec.options, {**own["scheduled"].get(spec.name, {}),
                                                                **_own(spec, options)}, source, prefix)
                            for spec in specs[1:] if spec.options is not None}
        return build(cls, {**own, "sections": {**own["sections"], **sections}}, source, prefix)

    def to_dict(self) -> dict:
        """The ``train`` keys as a run config writes them: the own fields, the objective's TRL sections
        and options beside them, other sections given under ``sections``."""
        specs = self.scheduled_specs
        named = {name for spec in specs for name in spec.sections}
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "sections":
                out.update({name: self.section(name) for name in named})
                others = {k: v for k, v in self.sections.items() if k not in named and v}
                if others:
                    out["sections"] = others
            elif f.name == "options":
                for options in [*self.scheduled.values(), self.options]:  # the first objective's win a shared key
                    out.update(dataclasses.asdict(options) if options is not None else {})
            elif f.name == "schedule":
                if self.schedule:
                    out["schedule"] = list(self.schedule)
            elif f.name != "scheduled":
                out[f.name] = getattr(self, f.name)
        return out

    @property
    def scheduled_specs(self) -> list[Objective]:
        """The objectives this config trains by, each once, in the order they first train."""
        return [get(name) for name in dict.fromkeys([self.objective, *self.schedule])]

    def for_round(self, n: int) -> "TrainConfig":
        """The plain config round ``n`` (1, 2, ...) trains by: the schedule's ``n``-th objective (its
        last for later rounds) with its options; this config itself without a schedule."""
        if not self.schedule:
            return self
        name = self.schedule[min(n, len(self.schedule)) - 1]
        options = self.options if name == self.objective else self.scheduled.get(name)
        return dataclasses.replace(self, objective=name, schedule=[], options=options, scheduled={})

    @property
    def needs(self) -> frozenset[str]:
        """What the objective needs from the loop under this config (:data:`distill.train.objective.NEEDS`)."""
        return self.objective_spec.needs_of(self)

    @property
    def steps(self) -> tuple[str, ...]:
        """The training steps of :attr:`objective`, in order."""
        return self.objective_spec.step_names

    @property
    def objective_spec(self) -> Objective:
        """The :class:`~distill.train.objective.Objective` that :attr:`objective` names."""
        return get(self.objective)

    def section(self, name: str) -> dict[str, Any]:
        """The config's fields for TRL config section ``name`` ({} when it gives none)."""
        return self.sections.get(name, {})

    @property
    def report_to(self) -> list[str]:
        """The trackers training reports to (TRL's ``report_to``, from the first section that sets it);
        the loop's round metrics go there too."""
        value = next((s["report_to"] for s in self.sections.values() if s.get("report_to")), "none")
        return [value] if isinstance(value, str) else list(value)

    def setting(self, name: str) -> Any:
        """The value a field of the objective's first step's TRL config will have: the config's, else
        the project default (or the machine's: ``use_cpu``)."""
        step = self.objective_spec.steps[0]
        return self.section(step.section).get(name, {**step.defaults, **_hardware_defaults()}.get(name))

    def args(self, step: "Step", output_dir: str | Path, precision: str | None = None, **overrides: Any) -> Any:
        """TRL's config for training ``step`` (its ``trl_config`` class): the step's defaults < the run's
        ``precision`` (bf16 autocast or not) < the config's section for the step < ``overrides``."""
        import trl

        return _trl_args(getattr(trl, step.trl_config), step.section, step.defaults, self.section(step.section),
                         output_dir, overrides, precision)

    def validate(self) -> None:
        """Raise :class:`ConfigError` now if TRL or peft would refuse these settings."""
        import tempfile

        for config in self.round_configs():
            objective = config.objective_spec
            with tempfile.TemporaryDirectory(prefix="distill-check-") as tmp:
                for step in objective.steps:
                    config.args(step, tmp)
            if objective.check is not None:
                try:
                    objective.check(config, None, None)
                except DistillError:
                    raise  # already a one-line error of its own kind (a user's reward that cannot be imported)
                except ValueError as e:
                    raise ConfigError(f"train.{e}") from None
        try:
            self.lora_config()
        except (TypeError, ValueError) as e:
            raise ConfigError(f"train: peft refuses the LoRA settings: {str(e).splitlines()[0]}") from None

    def round_configs(self) -> list["TrainConfig"]:
        """The plain config of each objective the run trains by (:meth:`for_round`), each once."""
        if not self.schedule:
            return [self]
        return [self.for_round(self.schedule.index(spec.name) + 1) for spec in self.scheduled_specs]

    def lora_config(self) -> "LoraConfig":
        """The peft configuration of this round's adapter."""
        from peft import LoraConfig

        return LoraConfig(r=self.lora_r, lora_alpha=self.lora_alpha, lora_dropout=self.lora_dropout,
                          target_modules=list(self.target_modules), bias="none", task_type="CAUSAL_LM")


def _split(objectives: list[Objective], keys: dict[str, Any],
           where: Callable[[str], str]) -> tuple[dict[str, dict], dict[str, Any]]:
    """The ``train`` keys that are not TrainConfig's own, as (TRL sections, options of the
    ``objectives`` trained by). A built-in objective's TRL section is kept (an empty one dropped);
    another built-in objective's option at its default is dropped (a config saved before objectives
    owned their options holds them all); anything else is an error ``where(key)`` names."""
    sections: dict[str, dict] = {}
    options: dict[str, Any] = {}
    own_sections = {name for o in objectives for name in o.sections}
    defaults = {k: v for o in objectives for k, v in o.defaults().items()}
    names = " or ".join(repr(o.name) for o in objectives)
    for key, value in keys.items():
        if key in own_sections or key in built_in_sections():
            if not isinstance(value, dict):
                raise ConfigError(f"{where(key)}: expected a mapping, got {value!r}")
            if value or key in own_sections:
                sections[key] = value
        elif key in defaults:
            options[key] = value
        elif found := option_owners(key):
            if any(value != default for default in found.values()):
                raise ConfigError(f"{where(key)}: an option of objective {', '.join(found)}, not of {names}")
        else:
            known = sorted({f.name for f in dataclasses.fields(TrainConfig) if f.name != "scheduled"}
                           | own_sections | set(defaults))
            raise ConfigError(f"{where(key)}: unknown key (known: {', '.join(known)})")
    return sections, options


def _own(objective: Objective, options: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``options`` that are ``objective``'s own."""
    defaults = objective.defaults()
    return {k: v for k, v in options.items() if k in defaults}


def _options(objective: Objective, given: Any, keys: dict[str, Any]) -> Any:
    """The objective's options object from ``given`` (its own object, a mapping, or None; another
    objective's options, left by ``dataclasses.replace`` of the objective, give way to the defaults)
    and the option keys given beside it."""
    if isinstance(given, dict):
        keys = {**given, **keys}
    elif objective.options is not None and isinstance(given, objective.options):
        if not keys:
            return given
        keys = {**dataclasses.asdict(given), **keys}
    if objective.options is None:
        if keys:
            raise ValueError(f"objective {objective.name!r} takes no options, got {', '.join(keys)}")
        return None
    return objective.options(**keys)


def _trl_args(cls: type, section: str, defaults: dict, given: dict, output_dir: str | Path, overrides: dict,
              precision: str | None = None) -> Any:
    """``cls(**kwargs)`` from defaults < machine < precision < config section < overrides; a refusal
    names ``train.<section>``."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(f"train.{section}: {', '.join(unknown)}: not a field of TRL's {cls.__name__}")
    chosen = {} if precision is None else {"bf16": precision == "bf16"}  # autocast; weights stay fp32
    kwargs = {**defaults, **_hardware_defaults(), **chosen, **given, **overrides, **FIXED,
              "output_dir": str(output_dir)}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"train.{section}: TRL refuses these settings: {str(e).splitlines()[0]}") from None


def _hardware_defaults() -> dict[str, Any]:
    """Defaults that depend on the machine. bf16 autocast is much slower than fp32 on CPUs without
    native bf16, so it is chosen only on a GPU that has it (``bf16: true`` in a step's section forces it);
    pinned memory only helps copies to a GPU; without a GPU, training (one process or several) is on the CPU."""
    import torch

    gpu = torch.cuda.is_available()
    # use_cpu: on a machine without a GPU, a launched multi-process run trains on the CPU (gloo)
    return {"bf16": gpu and torch.cuda.is_bf16_supported(), "dataloader_pin_memory": gpu, "use_cpu": not gpu}
