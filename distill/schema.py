"""Typed configs from plain (YAML-shaped) data: a nested dataclass built from a mapping, each key
checked against the class's fields and each value against its type, every mistake one
:class:`~distill.errors.ConfigError` naming the source and the key (``runs/x/config.yaml: key
train.lora_r: expected int, got 'a'``).

A section whose keys depend on its content (the ``train`` section: its objective's TRL sections and
options) reads itself: a dataclass with a ``from_section(data, source, prefix)`` classmethod is
built by it. Imports nothing of the toolkit but the errors, so every layer can read its own config.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from distill.errors import ConfigError


def load_yaml(path: str | os.PathLike) -> dict:
    """A YAML config file's top-level mapping; a missing or malformed file is a :class:`ConfigError`."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
    return data


def plain(value: Any) -> Any:
    """``value`` with tuples as lists, all the way down: what YAML writes back as it was read."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def from_dict(cls: type, data: dict, source: str = "<config>", prefix: str = "") -> Any:
    """Build a (nested) dataclass from plain data, checking keys and simple types (a class with a
    ``from_section`` classmethod builds itself)."""
    reader = getattr(cls, "from_section", None)
    return reader(data, source, prefix) if reader is not None else build(cls, data, source, prefix)


def build(cls: type, data: dict, source: str = "<config>", prefix: str = "") -> Any:
    """``cls(**data)`` with every key one of its fields and every value converted to the field's type;
    a value ``cls`` refuses (its ``__post_init__`` raising ``ValueError``) is an error naming the section."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    kwargs = {}
    for key, value in data.items():
        where = f"{source}: key {prefix}{key}"
        if key not in names:
            raise ConfigError(f"{where}: unknown key (known: {', '.join(sorted(names))})")
        kwargs[key] = convert(hints[key], value, where, source, f"{prefix}{key}.")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{source}: section {prefix.rstrip('.') or 'top level'}: {e}") from None


def convert(hint: Any, value: Any, where: str, source: str, prefix: str) -> Any:
    """``value`` as type ``hint`` (a nested dataclass built from its mapping), or a ConfigError at ``where``."""
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return from_dict(hint, value, source, prefix)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return convert(arg, value, where, source, prefix)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: expected one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if args and args[0] is str and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return origin(value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return value
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(hint, type) and (not isinstance(value, hint) or (hint is int and isinstance(value, bool))):
        raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value
