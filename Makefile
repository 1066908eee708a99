# Two commands matter: `make run` (set up everything, start the portal) and `make test`.
# Needs only Python 3.11 and make: no root, no apt, no running server.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help run demo serve worker test test-fast lint fmt check bench bench-web bench-access clean

help:
	@echo "make run    set up (venv, dependencies, database, demo data) and start web + worker on :$(PORT)"
	@echo "make test   run the whole test suite (browser tests skip, saying so, when Chromium is missing)"
	@echo "make lint | fmt | check | bench | demo | worker | clean"
	@echo "make messages   update and compile the Spanish translations (docs/i18n.md)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

# A local .env with a fresh secret key; never committed, never overwritten.
.env:
	@$(PYTHON) -c 'import secrets; print("# Written by make run for this machine. See .env.example.\nDEBUG=false\nSECRET_KEY=" + secrets.token_urlsafe(50) + "\nALLOWED_HOSTS=localhost,127.0.0.1,[::1]")' > $@
	@echo "Wrote .env with a new SECRET_KEY."

demo: $(VENV)/.runtime .env
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) generate_signing_key --if-missing
	$(MANAGE) demo

run: demo
	@echo ""
	@echo "  Portal:  http://127.0.0.1:$(PORT)/"
	@echo "  Staff:   http://127.0.0.1:$(PORT)/staff/   (accounts printed above)"
	@echo "  Stop with Ctrl-C."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port $(PORT)

serve: $(VENV)/.runtime .env
	PORT=$(PORT) $(BIN)/gunicorn portal.wsgi --bind 127.0.0.1:$(PORT) --worker-class gthread --threads 8

worker: $(VENV)/.runtime .env
	$(BIN)/celery -A portal worker --queues default,media --concurrency 1 --loglevel INFO

# Everything but the real-worker tests on every core (pytest-xdist), then those alone:
# they time kills and heartbeats, so they get the machine to themselves.
test: $(VENV)/.dev
	$(BIN)/pytest -n auto -m "not integration"
	$(BIN)/pytest -m integration

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(MANAGE) makemigrations --check --dry-run

fmt: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

# BENCH_SECONDS=5 BENCH_RUNS=1 BENCH_LONG_SECONDS=20 for a quick try; see docs/benchmarks.md.
# The media pipeline against bare ffmpeg, then the public pages under load (bench-web).
bench: $(VENV)/.dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/web.py

# Public pages under load: gunicorn on PostgreSQL (BENCH_PG, default the local server) with
# 10,000 published releases and 100,000 requests, against a trivial view (docs/benchmarks.md).
bench-web: $(VENV)/.dev
	$(BIN)/python bench/web.py

# Access-request pages and the clock against a trivial view (BENCH_REQUESTS=5000).
bench-access: $(VENV)/.dev
	$(BIN)/python bench/access.py

clean:
	rm -rf var/test var/scratch .pytest_cache .ruff_cache .hypothesis

# Spanish (docs/i18n.md): collect new and changed strings into locale/es/LC_MESSAGES/django.po,
# then compile django.mo. Translate every new entry in between, run it again, and commit both
# files (the .mo too: `make run` needs no gettext tools). Needs GNU gettext (apt: gettext).
.PHONY: messages
messages: $(VENV)/.dev
	DEBUG=true $(MANAGE) makemessages -l es --no-obsolete --ignore=.venv --ignore=var --ignore=bench --ignore=tests
	DEBUG=true $(MANAGE) compilemessages -l es --ignore=.venv --ignore=var --ignore=bench
