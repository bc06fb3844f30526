"""The command line: a user's mistake is one line and exit status 2, recipe flags override a config
only when given, light commands load no torch, and the package seams hold (no import cycle)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from distill.ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICK = {"rounds": 1, "prompts_per_round": 2, "eval": {"limit": 1, "max_new_tokens": 4}, "approval_items": 1,
         "answer": {"max_new_tokens": 4}}


def error_of(capsys, argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run_config(tmp_path: Path, **fields) -> Path:
    return write(tmp_path / "run.yaml", yaml.safe_dump({**QUICK, "run_dir": str(tmp_path / "run"), **fields}))


CASES = {
    # error class: (what the config holds, what the message must name)
    "ConfigError: unknown key": (lambda t: {"roundz": 3}, r"run.yaml: key roundz: unknown key"),
    "ConfigError: wrong type": (lambda t: {"rounds": "two"}, r"run.yaml: key rounds: expected int, got 'two'"),
    "ConfigError": (lambda t: {"train": {"sft": {"learning_rat": 0.1}}},
                         r"train.sft: learning_rat: not a field of TRL's SFTConfig"),
    "ConfigError: objective": (lambda t: {"train": {"objective": "no_such_module_xyz:OBJ"}},
                               r"train: objective 'no_such_module_xyz:OBJ': cannot import module 'no_such_module_xyz'"),
    "ConfigError: objective name": (lambda t: {"train": {"objective": "os:sep"}},
                                    r"train: objective 'os:sep': 'sep' is not an Objective"),
    "DataError": (lambda t: {"prompts": str(write(t / "p.jsonl", '{"prompt": "ok"}\n{"prompt": 3}\n'))},
                        r"p.jsonl, line 2: field 'prompt': must be non-empty text, got int 3"),
    "DataError: reference": (lambda t: {"prompts": str(write(t / "p.jsonl", '{"question": "q", "answer": [[1]]}\n'))},
                                   r"p.jsonl, line 1: field 'answer' \(short format\)"),
    "DataError": (lambda t: {"eval_sets": [str(write(t / "e.jsonl", '{"question": "q", "answer": true}\n{"question": "r"}\n'))]},
                      r"e.jsonl, line 2: field 'answer' \(yesno format\): missing"),
    "DataError": (lambda t: {"replay": str(write(t / "r.jsonl", '{"messages": [{"role": "user", "content": "x"}]}\n'))},
                        r"r.jsonl, line 1: field 'messages' must end with an assistant message"),
    "DataError": (lambda t: {"principles": str(write(t / "pr.yaml", "stages:\n  - name: s\n    principles: []\n"))},
                        r"pr.yaml, stage 's', field 'principles': must be a non-empty list"),
    "SpecError": (lambda t: {"student": str(t / "no-such-model")}, r"unknown model spec .*no-such-model"),
    "SpecError": (lambda t: {"teacher": "gpt"}, r"unknown teacher spec 'gpt'"),
    "SpecError: arguments": (lambda t: {"teacher": "grounded:openai", "teacher_kwargs": {"colour": "red"}},
                                    r"takes no argument\(s\) colour"),
    "SpecError: key": (lambda t: {"teacher": "openai", "teacher_kwargs": {"api_key_env": "DISTILL_NO_SUCH_KEY"}},
                              r"environment variable 'DISTILL_NO_SUCH_KEY', which is not set"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_users_mistake_in_a_run_is_one_line_and_status_2(tmp_path, capsys, default_folder, case):
    fields, message = CASES[case]
    cfg = run_config(tmp_path, **{"student": str(default_folder), **fields(tmp_path)})
    code, err = error_of(capsys, ["run", str(cfg), "--quiet"])
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("distill run: error: ") and "Traceback" not in err
    assert __import__("re").search(message, err), err


def test_other_commands_and_files(tmp_path, capsys, tiny_folder):
    # no such config; invalid YAML
    code, err = error_of(capsys, ["run", str(tmp_path / "nope.yaml")])
    assert code == 2 and "nope.yaml: no such config file" in err
    code, err = error_of(capsys, ["run", str(write(tmp_path / "bad.yaml", "rounds: [1\n"))])
    assert code == 2 and "bad.yaml: not valid YAML" in err and len(err.strip().splitlines()) == 1
    # a model without a chat template (SpecError), and an eval file that is not JSON
    bare = tmp_path / "bare"
    import shutil

    shutil.copytree(tiny_folder, bare)
    tok = json.loads((bare / "tokenizer_config.json").read_text())
    tok.pop("chat_template", None)
    (bare / "tokenizer_config.json").write_text(json.dumps(tok))
    (bare / "chat_template.jinja").unlink(missing_ok=True)
    code, err = error_of(capsys, ["eval", str(bare), "--limit", "1", "--out", str(tmp_path / "e.json")])
    assert code == 2 and "has no chat template" in err, err
    code, err = error_of(capsys, ["eval", str(tiny_folder), "--data", str(write(tmp_path / "x.jsonl", "{oops\n"))])
    assert code == 2 and "x.jsonl, line 1: not valid JSON" in err
    # a prompt too long for the model's context (DataError)
    long = write(tmp_path / "long.jsonl", json.dumps({"question": "word " * 600, "answer": "x"}) + "\n")
    code, err = error_of(capsys, ["eval", str(tiny_folder), "--data", str(long), "--out", str(tmp_path / "e.json")])
    assert code == 2 and "exceeds the context" in err and len(err.strip().splitlines()) == 1
    # not a run folder; a corrupt record in one (DataError)
    code, err = error_of(capsys, ["show", str(tmp_path / "nowhere")])
    assert code == 2 and "not a run folder" in err
    run = tmp_path / "run"
    (run / "round-01").mkdir(parents=True)
    write(run / "config.yaml", "rounds: 1\n")
    write(run / "manifest.json", "{truncated")
    code, err = error_of(capsys, ["show", str(run)])
    assert code == 0  # a manifest caught mid-replace is shown as not there yet, never repaired
    # --debug shows the traceback as well
    code, err = error_of(capsys, ["--debug", "run", str(tmp_path / "nope.yaml")])
    assert code == 2 and "Traceback" in err and err.strip().endswith("nope.yaml: no such config file")


def test_recipe_flags_override_the_config_only_when_given(tmp_path):
    from distill.ui.recipe import build_config, parser

    cfg = write(tmp_path / "c.yaml", yaml.safe_dump({"rounds": 5, "prompts_per_round": 7, "eval": {"limit": 3},
                                                     "run_dir": str(tmp_path / "from-file")}))
    ap = parser("test", run_dir="runs/recipe-default", rounds=4, teacher="self")
    ap.add_argument("--teacher")
    built = build_config(ap.parse_args(["--config", str(cfg)]))
    assert (built.rounds, built.prompts_per_round, built.eval.limit, built.run_dir) == (5, 7, 3, str(tmp_path / "from-file"))
    assert built.eval.max_new_tokens == 48  # the file's eval section merged with the defaults, not replacing them
    built = build_config(ap.parse_args(["--config", str(cfg), "--rounds", "1", "--eval-limit", "2"]), teacher="local:x")
    assert (built.rounds, built.eval.limit, built.prompts_per_round, built.teacher) == (1, 2, 7, "local:x")
    built = build_config(ap.parse_args([]))
    assert (built.rounds, built.run_dir, built.teacher) == (4, "runs/recipe-default", "self")  # the recipe's defaults
    built = build_config(ap.parse_args(["--prompt-file", "a.jsonl", "--prompt-file", "b.jsonl"]))
    assert built.prompt_files == ["a.jsonl", "b.jsonl"]


def test_a_recipe_reports_a_bad_config_in_one_line(tmp_path):
    bad = write(tmp_path / "c.yaml", "answer: {num_samples: 3}\n")
    out = subprocess.run([sys.executable, "recipes/grounded_distill.py", "--config", str(bad), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.strip() == (
        f"grounded_distill.py: error: {bad}: section answer: num_samples > 1 needs temperature > 0 "
        "(greedy answers would all be the same)")


def test_the_self_bootstrap_recipe_obeys_a_config_that_names_its_teacher(tmp_path):
    """The recipe's teacher (self) is a default: a --config naming a critic judges with it (here a
    bad critic spec, so the run stops at once, in one line that names it)."""
    cfg = write(tmp_path / "c.yaml", yaml.safe_dump({"teacher": "critic:", "run_dir": str(tmp_path / "run")}))
    out = subprocess.run([sys.executable, "recipes/self_bootstrap.py", "--config", str(cfg), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "needs the trained critic's model after the colon" in out.stderr


LIGHT = """
import sys
from distill.ui.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in ("torch", "transformers", "trl", "peft", "datasets") if m in sys.modules)
print("HEAVY", heavy)
"""


@pytest.mark.parametrize("argv", [["--help"], ["show", "RUN"], ["run", "--help"]])
def test_light_commands_load_no_torch(tmp_path, argv):
    run = tmp_path / "run"
    (run / "round-01").mkdir(parents=True)
    write(run / "config.yaml", "rounds: 1\nstudent: x\nteacher: self\n")
    write(run / "manifest.json", json.dumps({"status": "running", "history": [{"round": 0, "gold_accuracy": 0.5}]}))
    argv = [str(run) if a == "RUN" else a for a in argv]
    out = subprocess.run([sys.executable, "-c", LIGHT, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "HEAVY []" in out.stdout, out.stdout[-2000:]


def test_teachers_import_without_the_student_or_torch():
    """The package seam: teachers depends on distill.interface only (a local-model teacher loads
    the Student when it is built, not when it is imported)."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name in ("distill.model.student", "distill.loop", "distill.train.lora", "torch", "transformers"):
            raise ImportError(f"blocked: {name}")
sys.meta_path.insert(0, Block())
import teachers, teachers.base, teachers.loader, teachers.grounded, teachers.openai_api, teachers.local, teachers.self_teacher
from teachers import load_teacher
t = load_teacher("arithmetic")
print("OK", sorted(m for m in sys.modules if m.startswith("distill.")))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("OK") and "distill.model.student" not in out.stdout


README_TEACHER = '''
from distill.interface import Completion
from teachers import Teacher


def my_backend(chat, config):
    request = chat[-1]["content"]
    verdict = "FAULT" if "Critique:" not in request else ""
    text = "The answer is too vague.\\nVERDICT: FAULT" if verdict else "A short, direct answer."
    return Completion(text=text, completion_tokens=len(text.split()))


class MyTeacher(Teacher):
    def complete(self, chats, config):      # chats: lists of {"role", "content"}
        return [my_backend(chat, config) for chat in chats]   # -> distill.Completion objects
'''


def test_readme_custom_teacher_runs_from_a_users_own_folder(tmp_path, tiny_folder):
    """The README's example: a teacher class in the user's folder, named by spec with `distill run`,
    and passed as an object to run(config, teacher=...)."""
    readme = (ROOT / "README.md").read_text()
    assert "class MyTeacher(Teacher):" in readme and "def complete(self, chats, config):" in readme
    user = tmp_path / "my-project"
    user.mkdir()
    write(user / "mypkg_teacher.py", README_TEACHER)
    budget = {**QUICK, "student": str(tiny_folder), "train": {"sft": {"max_steps": 1}}, "replay_heldout": None,
              "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")]}
    write(user / "run.yaml", yaml.safe_dump({**budget, "run_dir": "runs/mine", "teacher": "mypkg_teacher:MyTeacher"}))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-m", "distill.ui.cli", "run", "run.yaml", "--plain"], cwd=user,
                         capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    records = [json.loads(line) for line in (user / "runs/mine/round-01/samples.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(r["verdict"] == "fault" and r["kept"] for r in records)

    script = f"""
import sys
sys.path.insert(0, {str(user)!r})
from distill import RunConfig, run
from mypkg_teacher import MyTeacher
from distill.errors import ConfigError, DataError, SpecError
config = RunConfig.from_data({{**{budget!r}, "run_dir": {str(user / "runs/object")!r}}})
manifest = run(config, teacher=MyTeacher())
print("STATUS", manifest.status)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0 and "STATUS finished" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]
    saved = yaml.safe_load((user / "runs/object/config.yaml").read_text())
    assert saved["teacher"] == "mypkg_teacher:MyTeacher"  # the object's class, named so a resume can find it


def test_a_corrupt_record_in_a_run_folder_is_named_not_guessed(tmp_path, capsys, tiny_folder, monkeypatch):
    """A garbage line in the middle of samples.jsonl stops the resume with the file and line to fix;
    nothing is rewritten."""
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = run_config(tmp_path, student=str(tiny_folder), teacher="fakes:FixerTeacher", replay_heldout=None,
                     eval_sets=[str(ROOT / "data" / "eval" / "facts.jsonl")])
    run = tmp_path / "run"
    (run / "round-01").mkdir(parents=True)
    write(run / "config.yaml", cfg.read_text())
    write(run / "manifest.json", json.dumps({"status": "running", "replay_share": 0.5, "history": [
        {"round": 0, "gold_accuracy": 0.0, "gold_n": 1, "sets": {}}]}))
    write(run / "round-01" / "prompts.json", json.dumps([{"prompt": "a", "format": None, "gold": None},
                                                          {"prompt": "b", "format": None, "gold": None}]))
    samples = write(run / "round-01" / "samples.jsonl", '{"round": 1, "index": 0, "prompt": "a", "answer": "x"}\n'
                                                        'garbage\n')
    before = samples.read_text()
    code, err = error_of(capsys, ["run", str(run / "config.yaml"), "--quiet"])
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{samples}, line 2: not valid JSON" in err and "fix or remove that line" in err
    assert samples.read_text() == before
