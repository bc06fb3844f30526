"""Principles file: the project's own file loads; broken files fail naming file, stage, principle, field."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from distill.data.principles import DEFAULT_PRINCIPLES, load_principles
from distill.errors import DataError


def test_default_file_has_contradictions_then_factual_errors():
    stages = load_principles()
    assert [s.name for s in stages][:2] == ["contradictions", "factual errors"]
    for s in stages:
        assert len(s.principles) >= 2
        for p in s.principles:
            assert len(p.critique) > 40 and len(p.revision) > 40


def test_default_path_works_from_another_directory(tmp_path):
    out = subprocess.run(
        # load the installed module from its file (importing the package would import torch: 8 s)
        [sys.executable, "-c", "import sys, importlib.util as u, pathlib as pl; "
         "f = pl.Path(u.find_spec('distill').origin).with_name('data') / 'principles.py'; "
         "s = u.spec_from_file_location('pr', f); m = u.module_from_spec(s); sys.modules['pr'] = m; s.loader.exec_module(m); "
         "print(len(m.load_principles()))"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert int(out.stdout) >= 2


def _write(tmp_path, text):
    p = tmp_path / "p.yaml"
    p.write_text(textwrap.dedent(text))
    return p


GOOD = """
stages:
  - name: s1
    principles:
      - name: p1
        critique: look
        revision: fix
"""


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace("        critique: look\n", ""), r"stage 's1', principle 'p1', field 'critique': must be a non-empty string \(got missing\)"),
        (GOOD.replace("revision: fix", "revision: ''"), r"stage 's1', principle 'p1', field 'revision'"),
        (GOOD.replace("revision: fix", "revision: [1, 2]"), r"principle 'p1', field 'revision'.*got list"),
        (GOOD.replace("      - name: p1\n", "      - nom: p1\n"), r"stage 's1', principle #1, field 'name'"),
        (GOOD.replace("  - name: s1\n", "  - title: s1\n"), r"stage #1, field 'name'"),
        (GOOD.replace("revision: fix", "revision: fix\n        weight: 2"), r"principle 'p1': unknown field\(s\) \['weight'\]"),
        (GOOD + GOOD.replace("stages:\n", ""), r"stage 's1', field 'name': duplicate stage name"),
        ("stages: []\n", r"field 'stages': must be a non-empty list"),
        ("- just a list\n", r"top level must be a mapping"),
        ("stages: [\n", r"not valid YAML"),
    ],
)
def test_errors_name_file_stage_principle_and_field(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=message) as ei:
        load_principles(path)
    assert str(path) in str(ei.value)


def test_env_override_and_missing_file(tmp_path, monkeypatch):
    path = _write(tmp_path, GOOD)
    monkeypatch.setenv("DISTILL_PRINCIPLES", str(path))
    assert [s.name for s in load_principles()] == ["s1"]
    assert DEFAULT_PRINCIPLES.is_file()
    with pytest.raises(DataError, match="principles file not found"):
        load_principles(tmp_path / "nope.yaml")
