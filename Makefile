# Every target bootstraps .venv itself, so a fresh clone needs nothing but python3.12.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench migrate clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	PORT=$(PORT) $(BIN)/daphne -b 127.0.0.1 -p $(PORT) letta_project.asgi:application

# Lint and format check first, then the suite twice: on the embedded SQLite, then on a throwaway PostgreSQL with pgvector (pgserver, unix socket,
# deleted afterwards), so both databases the server supports are tested without any service installed.
test: install lint chromium
	$(BIN)/pytest
	$(BIN)/pytest --postgres

# The browser stories drive Debian's Chromium with Playwright (never a downloaded browser): installed when missing,
# which needs root, as on CI's fresh Debian machine.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: migrate
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV)
