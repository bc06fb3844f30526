"""The docs run as written. Every command in a ```bash block of README.md and docs/*.md is checked in
a cheap form: the script it runs exists and knows every ``--flag`` the command gives it (its
``--help`` names the flag), and a ``make`` target exists in the Makefile. Besides: the README stays a
five-minute read, every docs page is reachable from it, and no relative link (file or heading) is
dead."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCS = [README, *PAGES]
README_MAX_LINES = 250

# The skip rule. A command line in a bash block is checked unless it is one of these:
#   - a blank line or a comment;
#   - a heredoc (`cat > FILE <<'END'`) and its body, through the line `END`: it writes a file the
#     next command reads, nothing of the project's to check;
#   - a command that sets up the environment rather than running the project: its first word is in
#     ENVIRONMENT (`cd DIR` alone; `cd DIR && COMMAND` checks COMMAND from DIR).
# Anything else must be a checked form (`make`, `distill`, `python SCRIPT.py`); an unknown command
# fails, so a new kind of command in the docs is either checked or skipped here on purpose.
ENVIRONMENT = {"cd", "git", "pip", "pip3", "cmake", "export", "source", "apt-get", "hf", "huggingface-cli",
               "vllm", "curl", "nvidia-smi", "ollama", "llama-server"}
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
PYTHON = re.compile(r"(^|/)python(3(\.\d+)?)?$")
FLAG = re.compile(r"(?<![\w-])--[A-Za-z][\w-]*")


def fenced(path: Path) -> list[tuple[str, int, str]]:
    """Every fenced block's lines as (language, line number, text)."""
    out, lang = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            lang = line.strip()[3:].strip() if lang is None else None
            continue
        if lang is not None:
            out.append((lang, number, line))
    return out


def commands(path: Path) -> list[tuple[int, str]]:
    """The command lines of a file's bash blocks, continuations joined, heredocs and comments left out."""
    out: list[tuple[int, str]] = []
    pending, start, heredoc_end = "", 0, None
    for lang, number, line in fenced(path):
        if lang != "bash":
            continue
        if heredoc_end is not None:
            heredoc_end = None if line.strip() == heredoc_end else heredoc_end
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text, pending = (pending + line).strip(), ""
        if not text or text.startswith("#"):
            continue
        if (match := HEREDOC.search(text)) is not None:
            heredoc_end = match.group(1)
            continue
        out.append((start, text))
    return out


def plan(text: str) -> list[tuple[str, tuple[str, ...] | None, list[str]]]:
    """What checking a command line takes: per command of a `&&` chain, (what, help argv, flags).

    ``what`` is "skip", "make", "help" (a script or `distill` subcommand whose --help must name the
    flags) or "missing"/"unknown" (a failure to report)."""
    steps, cwd = [], ROOT
    for part in text.split("&&"):
        tokens = shlex.split(part, comments=True)
        if not tokens:
            continue
        head = tokens[0]
        if head == "cd" and len(tokens) == 2:
            cwd = (cwd / tokens[1]).resolve()
            steps.append(("skip", None, []))
        elif head in ENVIRONMENT:
            steps.append(("skip", None, []))
        elif head == "make":
            steps.append(("make", None, [t for t in tokens[1:] if "=" not in t and not t.startswith("-")]))
        elif head == "distill":
            # `distill [GLOBAL FLAGS] [SUBCOMMAND [ARGS]]`: each part's flags against its own --help
            rest = tokens[1:]
            n = next((i for i, t in enumerate(rest) if not t.startswith("-")), len(rest))
            if n:
                steps.append(("help", ("-m", "distill.ui.cli"), rest[:n]))
            if n < len(rest) and re.fullmatch(r"[a-z]+", rest[n]):
                flags = [f for t in rest[n + 1:] for f in FLAG.findall(t)]
                steps.append(("help", ("-m", "distill.ui.cli", rest[n]), flags))
        elif PYTHON.search(head) and len(tokens) > 1 and tokens[1].endswith(".py"):
            script = (cwd / tokens[1]).resolve()
            if not script.is_file():
                steps.append(("missing", (str(script),), []))
                continue
            flags = [f for t in tokens[2:] for f in FLAG.findall(t)]
            steps.append(("help", (str(script.relative_to(ROOT)),), flags))
        else:
            steps.append(("unknown", (head,), []))
    return steps


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, flags=re.M))


ALL = [(path, number, text) for path in DOCS for number, text in commands(path)]


@pytest.fixture(scope="module")
def helps() -> dict[tuple[str, ...], str]:
    """Each script's --help output, once per script, two at a time (the suite's 2 cores)."""
    wanted = {argv for _, _, text in ALL for what, argv, _ in plan(text) if what == "help"}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

    def run(argv: tuple[str, ...]) -> str:
        out = subprocess.run([sys.executable, *argv, "--help"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120, env=env)
        return out.stdout if out.returncode == 0 else f"exit {out.returncode}: {out.stderr[-1000:]}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(wanted, pool.map(run, wanted)))


# about 30 s of CPU for the --help of some 25 scripts (the recipes import the toolkit, some benches torch)
@pytest.mark.slow
@pytest.mark.parametrize("path,number,text", ALL, ids=[f"{p.relative_to(ROOT)}:{n}" for p, n, _ in ALL])
def test_every_command_runs_as_written(path, number, text, helps):
    problems = []
    for what, argv, flags in plan(text):
        if what == "missing":
            problems.append(f"no such script {argv[0]}")
        elif what == "unknown":
            problems.append(f"unknown command {argv[0]!r}: check it here or add it to the skip rule")
        elif what == "make":
            problems += [f"no make target {t!r}" for t in flags if t not in make_targets()]
        elif what == "help":
            shown = helps[argv]
            if shown.startswith("exit "):
                problems.append(f"{' '.join(argv)} --help failed: {shown}")
                continue
            problems += [f"{' '.join(argv)} has no flag {f}" for f in flags
                         if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", shown)]
    assert not problems, f"{path.relative_to(ROOT)}:{number}: {text}\n" + "\n".join(problems)


def test_the_extractor_follows_its_skip_rule(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("\n".join([
        "```bash", "# a comment", "cat > judge.yaml <<'YAML'", "precision: fp32", "YAML",
        ".venv/bin/python recipes/self_bootstrap.py --rounds 1 \\", "    --seed 0   # why", "```",
        "```python", "print('not a command')", "```",
        "```bash", "cd bench && ../.venv/bin/python compare_runs.py a=../runs/a", "frobnicate --now", "```",
    ]) + "\n")
    found = commands(page)
    assert [t for _, t in found] == [".venv/bin/python recipes/self_bootstrap.py --rounds 1      --seed 0   # why",
                                     "cd bench && ../.venv/bin/python compare_runs.py a=../runs/a", "frobnicate --now"]
    assert plan(found[0][1]) == [("help", ("recipes/self_bootstrap.py",), ["--rounds", "--seed"])]
    assert plan(found[1][1])[1] == ("help", ("bench/compare_runs.py",), [])
    assert plan(found[2][1]) == [("unknown", ("frobnicate",), [])]
    assert plan("distill run CONFIG.yaml [--run-dir DIR] [--quiet|--plain]") == [
        ("help", ("-m", "distill.ui.cli", "run"), ["--run-dir", "--quiet", "--plain"])]
    assert plan("distill --debug ...") == [("help", ("-m", "distill.ui.cli"), ["--debug"])]


def test_the_readme_is_a_five_minute_read():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    # CI runs the README's test command (.ci/run), which sets everything up on a fresh machine
    assert any(shlex.split(t, comments=True) == ["make", "test"] for _, t in commands(README))
    assert "`make test` installs everything on a fresh machine" in text


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(README.parent / target).resolve() for target, _ in links(README)}
    assert PAGES and not [p.name for p in PAGES if p.resolve() not in linked]


def links(path: Path) -> list[tuple[str, str]]:
    """(file part, anchor) of every relative markdown link outside code."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    out = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        out.append((file, anchor))
    return out


def anchors(path: Path) -> set[str]:
    """The heading anchors GitHub makes for a markdown file."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_every_relative_link_resolves(path):
    dead = []
    for file, anchor in links(path):
        target = (path.parent / file).resolve() if file else path
        if not target.exists():
            dead.append(f"{file}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            dead.append(f"{file}#{anchor}: no such heading in {target.relative_to(ROOT)}")
    assert not dead, f"{path.relative_to(ROOT)}: " + "; ".join(dead)
