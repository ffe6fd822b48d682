# Outage Portal — every everyday command. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
PORT ?= 8000
SANDBOX_PORT ?= 8025
VAR_DIR := $(or $(PORTAL_VAR_DIR),var)

.DEFAULT_GOAL := help
.PHONY: help venv run test test-reliability test-stack lint typecheck format bench migrate seed worker sandbox check-deploy clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(RUN_STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and \
	  "Python 3.11 or newer is needed: make run PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --quiet --disable-pip-version-check -r requirements.txt
	@touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the pinned requirements (runtime, tests and tools)

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

# One process migrates, seeds once and serves (run_embedded --prepare): no Django start-up per step, two lines of
# output instead of the migration list. Only requirements.txt is installed (the test tools come with make test).
run: $(RUN_STAMP) ## Migrate SQLite, seed demo data once, serve the portal with a worker and the Infobip sandbox
	@mkdir -p $(VAR_DIR)
	$(PY) manage.py run_embedded --prepare --port $(PORT) --sandbox-port $(SANDBOX_PORT)

test: $(BENCH_STAMP) ## Run the whole suite (service-backed tests skip without their service, fail with REQUIRE_SERVICES=1)
	$(PY) -m pytest $(PYTEST_ARGS)

test-reliability: $(BENCH_STAMP) ## Run the fault-injection suite only; prints its figures, writes bench/RELIABILITY.md
	RELIABILITY_RESULTS=bench/RELIABILITY.md $(PY) -m pytest -m reliability $(PYTEST_ARGS)

test-stack: $(RUN_STAMP) ## The production stack in Docker, broken on purpose while it sends (as root; docs/production.md)
	PYTHON=$(abspath $(PY)) bash ops/stack/run.sh

lint: $(STAMP) ## ruff (lint and format check), mypy, and models agree with migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

typecheck: $(STAMP) ## mypy with django-stubs on the apps, outage_portal and the sandbox (pyproject.toml)
	$(VENV)/bin/mypy

format: $(STAMP) ## ruff format, and ruff's fixable lint (import order included), in place
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(BENCH_STAMP) ## Benchmarks on PostgreSQL, Redis, two workers and the sandbox; writes bench/RESULTS.md
	$(PY) -m bench

migrate: $(RUN_STAMP) ## Apply migrations
	$(PY) manage.py migrate

seed: $(RUN_STAMP) ## Load demo data
	$(PY) manage.py seed_demo

worker: $(RUN_STAMP) ## One Celery worker (production-style; set CELERY_BROKER_URL)
	$(VENV)/bin/celery -A outage_portal worker -l info

sandbox: $(RUN_STAMP) ## The bundled Infobip sandbox on port 8025
	$(PY) -m infobip_sandbox --port $(SANDBOX_PORT)

check-deploy: $(STAMP) ## Django's deployment checklist under production settings
	PORTAL_PRODUCTION=1 SECRET_KEY=check-deploy-$$(date +%s)-not-a-real-secret-but-long-enough-for-django \
	  INFOBIP_API_KEY=x INFOBIP_WEBHOOK_SECRET=x ALLOWED_HOSTS=portal.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
