# Service desk: `make run` starts the whole site on the embedded default, `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run migrate demo test fuzz lint format check browser-deps clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install everything (once)

migrate: install ## Apply database migrations
	$(MANAGE) migrate --noinput

demo: migrate ## Load the demo data (idempotent)
	$(MANAGE) load_demo_data

run: demo ## Set up and run the site, Celery worker and beat on the embedded default (SQLite)
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) runstack $(ADDR)

browser-deps: ## Install Debian's Chromium for the browser tests if it is missing
	@scripts/ensure-chromium

check: install ## Lint, format check, migrations check and Django's system checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

test: install browser-deps check ## Run the whole test suite, then fuzz the API (DATABASE_URL / CELERY_BROKER_URL pick the stack)
	$(MANAGE) collectstatic --noinput -v0
	$(BIN)/pytest $(PYTEST_ARGS)
	VENV=$(VENV) scripts/fuzz-api

fuzz: install ## Fuzz the API from its schema against a live server, on a database of its own
	VENV=$(VENV) scripts/fuzz-api

lint: install ## Lint with ruff
	$(BIN)/ruff check .

format: install ## Format with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## Remove the virtualenv and local data (SQLite database, broker folders, uploads)
	rm -rf $(VENV) var
