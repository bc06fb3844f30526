"""Principles and stages: the critique and revision requests the teacher works from.

They live in a YAML data file (``data/principles.yaml`` by default)::

    stages:
      - name: contradictions
        principles:
          - name: self-consistency
            critique: "Does any sentence contradict an earlier one? ..."
            revision: "Rewrite the answer so that it says one consistent thing ..."

The file is validated on load; every error names the file, the stage, the principle and
the field at fault.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from distill.core import Principle
from distill.data.paths import DATA_DIR
from distill.errors import DataError

DEFAULT_PRINCIPLES = DATA_DIR / "principles.yaml"


@dataclass(frozen=True)
class Stage:
    """A set of principles worked on together until the teacher stops finding faults."""

    name: str
    principles: tuple[Principle, ...] = field(default_factory=tuple)


def default_principles_path() -> Path:
    """``DISTILL_PRINCIPLES`` if set, else the project's ``data/principles.yaml``."""
    env = os.environ.get("DISTILL_PRINCIPLES")
    return Path(env) if env else DEFAULT_PRINCIPLES


def _text(value: object, where: str, fieldname: str) -> str:
    if not isinstance(value, str) or not value.strip():
        got = "missing" if value is None else f"{type(value).__name__} {value!r}"[:80]
        raise DataError(f"{where}, field {fieldname!r}: must be a non-empty string (got {got})")
    return value.strip()


def parse_principles(data: object, source: str = "<data>") -> list[Stage]:
    """Validate already-parsed YAML data and build the stages (see module docstring)."""
    if not isinstance(data, dict) or "stages" not in data:
        raise DataError(f"{source}: top level must be a mapping with a 'stages' list")
    raw_stages = data["stages"]
    if not isinstance(raw_stages, list) or not raw_stages:
        raise DataError(f"{source}, field 'stages': must be a non-empty list of stages")
    stages: list[Stage] = []
    seen_stages: set[str] = set()
    for si, raw_stage in enumerate(raw_stages, 1):
        where = f"{source}, stage #{si}"
        if not isinstance(raw_stage, dict):
            raise DataError(f"{where}: must be a mapping with 'name' and 'principles'")
        name = _text(raw_stage.get("name"), where, "name")
        where = f"{source}, stage {name!r}"
        if name in seen_stages:
            raise DataError(f"{where}, field 'name': duplicate stage name")
        seen_stages.add(name)
        unknown = set(raw_stage) - {"name", "principles"}
        if unknown:
            raise DataError(f"{where}: unknown field(s) {sorted(unknown)}")
        raw_principles = raw_stage.get("principles")
        if not isinstance(raw_principles, list) or not raw_principles:
            raise DataError(f"{where}, field 'principles': must be a non-empty list")
        principles: list[Principle] = []
        seen: set[str] = set()
        for pi, raw in enumerate(raw_principles, 1):
            pwhere = f"{where}, principle #{pi}"
            if not isinstance(raw, dict):
                raise DataError(f"{pwhere}: must be a mapping with 'name', 'critique' and 'revision'")
            pname = _text(raw.get("name"), pwhere, "name")
            pwhere = f"{where}, principle {pname!r}"
            if pname in seen:
                raise DataError(f"{pwhere}, field 'name': duplicate principle name in this stage")
            seen.add(pname)
            unknown = set(raw) - {"name", "critique", "revision"}
            if unknown:
                raise DataError(f"{pwhere}: unknown field(s) {sorted(unknown)}")
            principles.append(
                Principle(
                    name=pname,
                    critique=_text(raw.get("critique"), pwhere, "critique"),
                    revision=_text(raw.get("revision"), pwhere, "revision"),
                )
            )
        stages.append(Stage(name=name, principles=tuple(principles)))
    return stages


def load_principles(path: str | os.PathLike | None = None) -> list[Stage]:
    """Load and validate a principles file; ``None`` means :func:`default_principles_path`."""
    p = Path(path) if path is not None else default_principles_path()
    if not p.is_file():
        raise DataError(f"{p}: principles file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise DataError(f"{p}: not UTF-8 text (byte {e.start + 1}); save the file as UTF-8") from None
    except yaml.YAMLError as e:
        raise DataError(f"{p}: not valid YAML: {' '.join(str(e).split())}") from None
    return parse_principles(data, str(p))

