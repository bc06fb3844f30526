"""What a run survives, in figures: the kill-point sweep, fuzzed input files and teacher replies,
and a teacher outage. One command for the README's reliability table:

    .venv/bin/python bench/reliability.py [--trials 3] [--fuzz-examples 1500]

The sweep is bench/kill_sweep.py; the fuzzing and the outage are the test suite's own property
tests (tests/test_fuzz.py, run with more examples) and outage test (tests/test_openai_recipe.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from kill_sweep import POINTS, sweep, table, tiny_student  # noqa: E402


def pytest_run(args: list[str], env: dict) -> tuple[bool, str]:
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                         env={**os.environ, **env}, capture_output=True, text=True)
    return out.returncode == 0, out.stdout[-3000:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--fuzz-examples", type=int, default=1500)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        rows = sweep(POINTS, args.trials, Path(tmp), tiny_student(Path(tmp) / "tiny"))
    fuzz_ok, fuzz_out = pytest_run(["tests/test_fuzz.py"], {"FUZZ_EXAMPLES": str(args.fuzz_examples)})
    properties = len(re.findall(r"^def test_", (ROOT / "tests" / "test_fuzz.py").read_text(), re.M))
    outage_ok, outage_out = pytest_run(["tests/test_openai_recipe.py", "-k", "outage"], {})
    print(table(rows))
    print()
    print("| check | cases | result |\n|---|---|---|")
    print(f"| fuzzed prompt, eval, instruction, principles and config files, teacher replies "
          f"| {properties - 1} properties x {args.fuzz_examples} examples + a 10 MB line "
          f"| {'every one a clean load or a one-line error naming the file; 0 tracebacks' if fuzz_ok else 'FAILED'} |")
    print(f"| teacher server gone beyond the retry budget mid-round, then back | 1 "
          f"| {'stopped with its records saved; the resume finished the round; key in no file, log or error' if outage_ok else 'FAILED'} |")
    out = ROOT / "bench" / "results" / "reliability.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"kill_sweep": rows, "fuzz": {"ok": fuzz_ok, "examples": args.fuzz_examples,
                                                            "output": fuzz_out},
                               "outage": {"ok": outage_ok, "output": outage_out}}, indent=1))
    if not (fuzz_ok and outage_ok):
        print(fuzz_out if not fuzz_ok else outage_out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
