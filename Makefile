# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both create the virtual environment and install on first use, and are safe to repeat.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
AXE := node_modules/axe-core/axe.min.js
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install migrate seed run serve test test-fast lint format check clean bench load backup restore

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
	@echo "Emails (alert confirmations) are printed here, not sent; to send the alerts they"
	@echo "confirm:  DJANGO_EMAIL_BACKEND=console $(PY) manage.py send_alerts"
	@echo
	DJANGO_EMAIL_BACKEND=console $(PY) manage.py runserver $(HOST):$(PORT)

# Production-style serving: gunicorn with gunicorn.conf.py. Set DJANGO_SECRET_KEY, DATABASE_URL,
# DJANGO_ALLOWED_HOSTS (and DJANGO_STATIC_MANIFEST=true after collectstatic) first.
serve: install
	$(VENV)/bin/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT)

# The suite runs in parallel: one worker per core (at most TEST_WORKERS_MAX), each with its own
# test database, a test file's tests on one worker. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto
TEST_WORKERS_MAX ?= 4
PYTEST_WORKERS := -n $(TEST_WORKERS) --maxprocesses=$(TEST_WORKERS_MAX) --dist loadfile

test: install $(AXE)
	$(PY) -m pytest $(PYTEST_WORKERS)

test-fast: install
	$(PY) -m pytest $(PYTEST_WORKERS) -m "not browser"

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

# Load test on PostgreSQL: gunicorn + wrk at 32 and 128 connections (see bench/load.sh).
load: install
	bash bench/load.sh

# PostgreSQL backups of DATABASE_URL: `make backup` writes backups/tracker-<UTC time>.dump;
# `make restore FILE=backups/tracker-....dump` replaces the database's contents with it.
backup:
	bash scripts/backup.sh

restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/tracker-<time>.dump"; exit 2; }
	bash scripts/restore.sh "$(FILE)"

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache db.sqlite3
