# Indikatorer for integrering — the interface. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
YEAR ?=
YEARS ?= 2015-2024
# axe-core for the browser tests (tests/test_browser.py), from npm into an ignored folder;
# Chromium is Debian's (`apt-get install chromium`).
AXE_VERSION := 4.14.1
AXE := .cache/node/node_modules/axe-core/axe.min.js

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Set-up is idempotent: the virtual environment is made once and re-installed only when
# pyproject.toml or requirements.lock change.
# Every package comes from requirements.lock with its sha256 (--require-hashes), the build
# backend (setuptools) included, so the editable install of the project builds without
# fetching anything unpinned (--no-build-isolation).
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP) ## Make the virtual environment (.venv) with pinned dependencies

book: $(STAMP) ## Build the edition on the embedded snapshot (YEAR=YYYY, default: newest)
	$(VENV)/bin/indikatorer build $(if $(YEAR),--year $(YEAR))

books: $(STAMP) ## Build every edition, each into _book/<year>/ (YEARS=2015-2024)
	$(VENV)/bin/indikatorer build --years $(YEARS)

bench: $(STAMP) ## Time the build against the naive way (long; run on a quiet machine)
	$(PY) benchmarks/bench_build.py

bench-tests: $(STAMP) ## Time `make test` against one cold edition build (target ≤ 5 ×)
	$(PY) benchmarks/bench_tests.py

# Two pytest-xdist workers (TEST_WORKERS=0 runs in one process): one builds the real edition
# and runs the tests that read it, the other takes the rest (tests/conftest.py).
TEST_WORKERS ?= 2
test: $(STAMP) ## Run the tests (unit, notebooks, end-to-end builds)
	$(PY) -m pytest -n $(TEST_WORKERS)

test-fast: $(STAMP) ## Run the unit tests only (no edition build)
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not slow"

browser-deps: $(AXE) ## Install axe-core (npm) for the browser tests; Chromium: apt-get install chromium

$(AXE):
	npm install --no-save --no-audit --no-fund --prefix .cache/node axe-core@$(AXE_VERSION)

verify: $(STAMP) ## Verify the checksums of the data snapshot
	$(VENV)/bin/indikatorer data verify

# Regenerate requirements.lock from pyproject.toml (developers only; needs PyPI). pip-tools is a
# developer tool, installed into .venv here and never a dependency of the project. Existing pins
# are kept; add --upgrade-package NAME (or --upgrade) to move them.
PIP_TOOLS := pip-tools==7.6.2
lock: $(STAMP) ## Regenerate requirements.lock with hashes (pip-compile from pip-tools)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PIP_TOOLS)
	$(VENV)/bin/pip-compile --allow-unsafe --all-build-deps --extra=test --generate-hashes \
	  --no-emit-find-links --no-emit-index-url --output-file=requirements.lock --strip-extras pyproject.toml

clean: ## Remove built outputs (keeps .venv)
	rm -rf build _book .quarto

.PHONY: help setup book books bench bench-tests test test-fast verify lock clean browser-deps
