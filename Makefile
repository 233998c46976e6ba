# lluminary developer tasks. `make dev` builds one virtualenv with core + every plugin (editable)
# and the pinned dev tools; every other target uses it and builds it first when missing.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/lluminary-*))
DISTS := core $(PLUGINS)
PYPROJECTS := $(addsuffix /pyproject.toml,$(DISTS))
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: dev demo test test-unit test-integration lint format format-check type-check check bench clean

$(STAMP): $(PYPROJECTS) requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "lluminary needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt $(foreach d,$(DISTS),-e ./$(d))
	touch $(STAMP)

dev: $(STAMP)  ## one venv: core + all plugins (editable) + dev tools

demo: $(STAMP)  ## the offline end-to-end demo
	$(BIN)/lluminary demo

test: $(STAMP)  ## every test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)  ## tests that need no server or subprocess
	$(BIN)/python -m pytest -m "not integration" $(PYTEST_ARGS)

test-integration: $(STAMP)  ## loopback servers, Redis, subprocesses
	$(BIN)/python -m pytest -m integration $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff check --fix --select I .
	$(BIN)/black .

format-check: $(STAMP)
	$(BIN)/black --check --quiet .

type-check: $(STAMP)  ## mypy --strict on every distribution, one at a time
	@set -e; for d in $(DISTS); do echo "mypy --strict $$d/src"; $(BIN)/mypy --strict $$d/src; done

check: lint format-check type-check test  ## everything CI runs

bench: $(STAMP)
	$(BIN)/python benchmarks/kernel.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
