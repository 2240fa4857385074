# Two commands: `make run` and `make test`. Both set up what they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
HAVE_NPM := $(shell command -v npm >/dev/null 2>&1 && echo yes)
NODE_DEPS := $(if $(HAVE_NPM),$(NODE_STAMP),)

.PHONY: run test lint fmt contracts worker demo clean

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(PY_STAMP) $(NODE_DEPS)
	$(BIN)/bourse serve

# One pytest worker per CPU (pytest-xdist); fixtures are per worker process (tests/conftest.py).
test: lint $(NODE_DEPS)
	$(BIN)/python -m pytest -q -n auto

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(PY_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

contracts: $(NODE_STAMP)
	node contracts/compile.mjs

worker: $(PY_STAMP)
	$(BIN)/bourse worker

demo: $(PY_STAMP)
	$(BIN)/bourse demo

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache .pytest_cache .import_linter_cache

# Slither over contracts/*.sol, compiling with solc-js through contracts/tools/solc (never a
# downloaded solc); fails on a medium or high finding. `make test` runs it as
# tests/contracts/test_slither.py.
.PHONY: slither
slither: $(PY_STAMP) $(NODE_STAMP)
	for f in contracts/*.sol; do \
	  PATH="$(CURDIR)/contracts/tools:$$PATH" $(BIN)/slither "$$f" \
	    --config-file contracts/slither.config.json --fail-medium || exit 1; \
	done
