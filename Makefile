# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both create the virtual environment and install on first use, and are safe to repeat.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
AXE := node_modules/axe-core/axe.min.js
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install migrate seed run test test-fast lint format check clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# axe-core (accessibility checks in the browser tests) comes from npm when npm is present.
$(AXE): package.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund; \
	else echo "npm not found: browser accessibility tests will report axe-core missing"; fi

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py load_seed

run: seed
	@echo
	@echo "Serving the tracker at http://$(HOST):$(PORT)/ (SQLite: db.sqlite3)."
	@echo "To make an editor account:  $(PY) manage.py create_editor <username>"
	@echo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install $(AXE)
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: lint
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) test

# Benchmarks on PostgreSQL with bulk synthetic data; prints `name: value` ratios (see bench/).
bench: install
	bash bench/run.sh

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache db.sqlite3
