# The two commands that matter: `make demo` and `make test`. Both do all set-up themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test system install worker web lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python scripts/run_demo.py

# The system packages first (redis-server, PostgreSQL, chromium, docker-compose, psql): installed
# when possible, otherwise one line says what is missing and how to install it, before pytest.
system:
	@bash scripts/setup-system.sh

test: system install
	$(BIN)/python -m pytest

# A worker for one queue on this machine, e.g. `make worker QUEUES=gpu`.
QUEUES ?= cpu,gpu
worker: install
	$(BIN)/celery -A workers.celery_app worker -Q $(QUEUES) -c 1 --loglevel INFO

web: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache
