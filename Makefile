# Two commands do everything on a fresh machine:
#   make run    set up .venv, prepare the database with the seed content, start the app
#   make test   the same set-up plus test tools, Chromium and PostgreSQL, then every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test bench mutants install install-dev system-deps lint format init clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

init: install
	$(PY) -m stammtisch init

run: init
	$(PY) -m streamlit run app.py --server.port $(PORT)

system-deps:
	bash scripts/ensure-system-deps.sh

lint: install-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install-dev system-deps init lint
	STAMMTISCH_REQUIRE_PG=1 $(PY) -m pytest -n 2 $(PYTEST_ARGS)

# Figures, not a test: see README "Leistung" (BENCH_ARGS=--quick for a shorter run).
bench: install-dev system-deps
	$(PY) bench/run.py $(BENCH_ARGS)

# Mutation testing of the rule modules, not a test: see bench/mutants.py. Resumable;
# MUTANTS_ARGS="--module privacy", "--recheck" or "--report" narrow it.
mutants: install-dev system-deps
	$(PY) bench/mutants.py $(MUTANTS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
