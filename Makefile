# Viva: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
HOST ?= 127.0.0.1
PORT ?= 8000

# After an explicit sync, commands run with --no-sync so nothing is installed or removed
# behind the target's back.
RUN := $(UV) run --no-sync

.PHONY: run test setup uv install install-test install-bench lint format bench clean

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

# Runtime dependencies only (--inexact: test tools already installed stay).
install: uv
	$(UV) sync --frozen --no-default-groups --inexact

install-test: uv
	$(UV) sync --frozen --no-default-groups --group test

install-bench: uv
	$(UV) sync --frozen --group test --group bench --inexact

setup: install
	DEBUG=1 $(RUN) python manage.py migrate --no-input
	DEBUG=1 $(RUN) python manage.py import_questions
	DEBUG=1 $(RUN) python manage.py seed_demo

# Serves the site and a Celery worker (with beat) together; Ctrl-C stops both.
run: setup
	@echo "Viva is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops the site and the worker)"
	@DEBUG=1 SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(RUN) python -m core.devserver $(HOST):$(PORT)

lint: install-test
	$(RUN) ruff format --check .
	$(RUN) ruff check .
	$(RUN) lint-imports
	SECRET_KEY=$${SECRET_KEY:-lint-only-not-a-secret} $(RUN) mypy

format: install-test
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

test: lint
	SECRET_KEY=$${SECRET_KEY:-test-only-not-a-secret} $(RUN) pytest

bench: install-bench
	$(RUN) python bench/run_all.py

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache test-artifacts
