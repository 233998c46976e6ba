# lluminary developer tasks. `make dev` builds one virtualenv with core + every plugin (editable,
# each with its `test` extra, so no plugin test is skipped for a missing library) and the pinned
# dev tools; every other target uses it and builds it first when missing.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(patsubst %/pyproject.toml,%,$(wildcard plugins/lluminary-*/pyproject.toml)))
DISTS := core $(PLUGINS)
PYPROJECTS := $(addsuffix /pyproject.toml,$(DISTS))
STAMP := $(VENV)/.installed
REQUIREMENTS := $(wildcard requirements-*.txt)
PYTEST_ARGS ?=

DOCKER ?= docker
DOCKER_TAG ?= lluminary-test:latest
PYTHON_VERSION ?= 3.12
DOCKER_CACHE_DIR ?= /tmp/.buildx-cache
DOCKER_VENV := /opt/venv
DOCKER_RUN = $(DOCKER) run --rm -v "$(CURDIR)/.docker-out:/out" $(DOCKER_TAG)
FILE ?=

.PHONY: bench bench-providers docs dev demo tox test test-unit test-integration lint lint-config format format-check type-check check bench clean \
	docker-build docker-build-matrix docker-build-matrix-cached test-docker test-docker-unit \
	test-docker-integration test-docker-file test-docker-coverage

$(STAMP): $(PYPROJECTS) $(REQUIREMENTS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "lluminary needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt $(foreach d,$(DISTS),-e "./$(d)[test]")
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

lint-config: $(STAMP)  ## GitHub workflows, Dockerfiles and every pyproject.toml
	$(BIN)/actionlint
	$(BIN)/hadolint Dockerfile Dockerfile.matrix Dockerfile.gateway
	$(BIN)/validate-pyproject pyproject.toml $(PYPROJECTS)

format: $(STAMP)
	$(BIN)/ruff check --fix --select I .
	$(BIN)/black .

format-check: $(STAMP)
	$(BIN)/black --check --quiet .

type-check: $(STAMP)  ## mypy --strict on every distribution, one at a time
	@set -e; for d in $(DISTS); do echo "mypy --strict $$d/src"; $(BIN)/mypy --strict $$d/src; done

check: lint format-check lint-config type-check test  ## everything CI runs

docs: $(STAMP)  ## the MkDocs site, warnings are errors
	$(BIN)/mkdocs build --strict --site-dir site

# The tox matrix: each distribution alone on every Python found. pyenv's interpreters (3.11 and
# newer) go on PATH when present, so tox finds python3.12, python3.13, ...; missing ones are skipped.
# `make tox TOX_ARGS="-e py312-core,py313-cohere"` runs a few environments. CI's .ci/run does not run
# this (it runs `make check`); the ci.yml workflow runs the matrix on GitHub's runners.
PYENV_ROOT ?= $(HOME)/.pyenv
empty :=
space := $(empty) $(empty)
TOX_PYTHONS := $(subst $(space),:,$(strip $(wildcard $(PYENV_ROOT)/versions/3.1[1-9]*/bin)))
TOX_ARGS ?= run-parallel -m matrix --parallel-no-spinner

tox: $(STAMP)  ## the tox matrix (TOX_ARGS="-e py312-core" for a few environments)
	PATH="$(if $(TOX_PYTHONS),$(TOX_PYTHONS):)$$PATH" $(BIN)/tox $(TOX_ARGS)

bench: $(STAMP)  ## kernel overhead and import time
	$(BIN)/python benchmarks/kernel.py

BENCH_VENV ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): $(PYPROJECTS) benchmarks/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements.txt $(foreach d,$(DISTS),-e ./$(d))
	touch $(BENCH_STAMP)

bench-providers: $(BENCH_STAMP)  ## providers vs bare httpx2, the openai SDK and LiteLLM (own venv)
	$(BENCH_VENV)/bin/python benchmarks/providers.py

# ---- Docker (no engine here: these are linted by `make lint-config` and dry-run by the tests)

docker-build:  ## the test image from Dockerfile
	$(DOCKER) build -f Dockerfile -t $(DOCKER_TAG) .

docker-build-matrix:  ## the test image for PYTHON_VERSION from Dockerfile.matrix
	$(DOCKER) build -f Dockerfile.matrix --build-arg PYTHON_VERSION=$(PYTHON_VERSION) -t $(DOCKER_TAG) .

docker-build-matrix-cached:  ## the same, with a local buildx layer cache in DOCKER_CACHE_DIR
	$(DOCKER) buildx build -f Dockerfile.matrix --build-arg PYTHON_VERSION=$(PYTHON_VERSION) \
		--cache-from type=local,src=$(DOCKER_CACHE_DIR) \
		--cache-to type=local,dest=$(DOCKER_CACHE_DIR)-new,mode=max --load -t $(DOCKER_TAG) .
	rm -rf $(DOCKER_CACHE_DIR) && mv $(DOCKER_CACHE_DIR)-new $(DOCKER_CACHE_DIR)

test-docker:  ## every test inside DOCKER_TAG
	$(DOCKER_RUN) make test VENV=$(DOCKER_VENV)

test-docker-unit:
	$(DOCKER_RUN) make test-unit VENV=$(DOCKER_VENV)

test-docker-integration:
	$(DOCKER_RUN) make test-integration VENV=$(DOCKER_VENV)

test-docker-coverage:  ## every test, coverage XML written to .docker-out/coverage.xml
	mkdir -p .docker-out
	$(DOCKER_RUN) make test VENV=$(DOCKER_VENV) PYTEST_ARGS="--cov --cov-report=xml:/out/coverage.xml"

test-docker-file:  ## the tests in FILE="path [path ...]" inside DOCKER_TAG
	@test -n "$(FILE)" || { echo 'usage: make test-docker-file FILE="plugins/lluminary-openai/tests"'; exit 2; }
	$(DOCKER_RUN) $(DOCKER_VENV)/bin/python -m pytest $(FILE)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
