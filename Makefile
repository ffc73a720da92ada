# Viva: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup install lint format bench clean

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

setup: install
	DEBUG=1 $(UV) run python manage.py migrate --no-input
	DEBUG=1 $(UV) run python manage.py import_questions
	DEBUG=1 $(UV) run python manage.py seed_demo

# Serves the site and a Celery worker (with beat) together; Ctrl-C stops both.
run: setup
	@echo "Viva is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops the site and the worker)"
	@DEBUG=1 $(UV) run python -m config.devserver $(HOST):$(PORT)

lint:
	$(UV) run ruff format --check .
	$(UV) run ruff check .

format:
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

test: install lint
	SECRET_KEY=$${SECRET_KEY:-test-only-not-a-secret} $(UV) run pytest

bench:
	$(UV) run python bench/run_all.py

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache test-artifacts
