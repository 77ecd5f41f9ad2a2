# Indikatorer for integrering — the interface. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
YEAR ?=
# axe-core for the browser tests (tests/test_browser.py), from npm into an ignored folder;
# Chromium is Debian's (`apt-get install chromium`).
AXE_VERSION := 4.14.1
AXE := .cache/node/node_modules/axe-core/axe.min.js

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

test: $(STAMP) ## Run the tests (unit, notebooks, end-to-end build)
	$(PY) -m pytest

browser-deps: $(AXE) ## Install axe-core (npm) for the browser tests; Chromium: apt-get install chromium

$(AXE):
	npm install --no-save --no-audit --no-fund --prefix .cache/node axe-core@$(AXE_VERSION)

verify: $(STAMP) ## Verify the checksums of the data snapshot
	$(VENV)/bin/indikatorer data verify

clean: ## Remove built outputs (keeps .venv)
	rm -rf build _book .quarto

.PHONY: help setup book test verify clean browser-deps
