# Indikatorer for integrering — the interface. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
YEAR ?=
YEARS ?= 2015-2024

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Set-up is idempotent: the virtual environment is made once and re-installed only when
# pyproject.toml or requirements.lock change.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP) ## Make the virtual environment (.venv) with pinned dependencies

book: $(STAMP) ## Build the edition on the embedded snapshot (YEAR=YYYY, default: newest)
	$(VENV)/bin/indikatorer build $(if $(YEAR),--year $(YEAR))

books: $(STAMP) ## Build every edition, each into _book/<year>/ (YEARS=2015-2024)
	$(VENV)/bin/indikatorer build --years $(YEARS)

bench: $(STAMP) ## Time the build against the naive way (long; run on a quiet machine)
	$(PY) benchmarks/bench_build.py

test: $(STAMP) ## Run the tests (unit, notebooks, end-to-end build)
	$(PY) -m pytest

verify: $(STAMP) ## Verify the checksums of the data snapshot
	$(VENV)/bin/indikatorer data verify

clean: ## Remove built outputs (keeps .venv)
	rm -rf build _book .quarto

.PHONY: help setup book books bench test verify clean
