# Every target bootstraps .venv itself, so a fresh clone needs nothing but python3.12.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench migrate clean chromium bwrap open-models redis

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) bwrap

# Custom tools run under bubblewrap (README, "Tool sandbox"). When no bwrap is on PATH, the Debian package's binary
# is unpacked into .venv/bin/, where the server looks next: `apt-get download` needs no root, only apt's lists,
# which are fetched first when they are empty and we are root (as on CI's fresh Debian machine).
bwrap: $(BIN)/python
	@command -v bwrap >/dev/null || test -x $(BIN)/bwrap || { \
		tmp=$$(mktemp -d) && dest=$(abspath $(BIN))/bwrap && cd $$tmp && \
		{ apt-get download bubblewrap >/dev/null 2>&1 || \
			{ [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get download bubblewrap >/dev/null; }; } && \
		dpkg-deb -x bubblewrap_*.deb unpacked && cp unpacked/usr/bin/bwrap $$dest && cd / && rm -rf $$tmp; }

migrate: install
	$(BIN)/python manage.py migrate --noinput

# A listen backlog of 2,048 (Twisted's default, 50, resets connections when hundreds of requests arrive at once).
run: migrate
	PORT=$(PORT) $(BIN)/daphne -e tcp:port=$(PORT):interface=127.0.0.1:backlog=2048 letta_project.asgi:application

# Lint and format check first, then the suite twice: on the embedded SQLite, and on a throwaway PostgreSQL with pgvector
# (pgserver, unix socket, deleted afterwards) with a real Redis carrying run events between its processes (make redis),
# so both databases the server supports, and the scaled-out deployment, are tested without any service running. The
# two legs run side by side (both mostly wait on live servers, the fake model and the browser), each into its own log
# under var/, printed when both are done; the target fails if either leg does.
# A third, niced leg beside them: the open-model tests (tests/open_models) need llama-cpp-python's server, which pip
# builds from source once into a cache outside the repository (several minutes on two cores, taking only the CPU the
# two legs leave idle), then run against it on their own SQLite file.
test: install lint chromium redis
	@mkdir -p var
	@{ nice -n 15 $(BIN)/python -m tests.open_models.install && \
		LETTA_TEST_SQLITE_PATH=var/test-open-models.sqlite3 nice -n 5 $(BIN)/pytest tests/open_models; \
	} > var/test-open-models.log 2>&1 & models=$$!; \
	$(BIN)/pytest --ignore=tests/open_models > var/test-sqlite.log 2>&1 & lite=$$!; \
	$(BIN)/pytest --postgres > var/test-postgres.log 2>&1; pg=$$?; \
	wait $$lite; sqlite=$$?; wait $$models; open=$$?; \
	echo "=== SQLite leg (exit $$sqlite)"; cat var/test-sqlite.log; \
	echo "=== PostgreSQL leg (exit $$pg)"; cat var/test-postgres.log; \
	echo "=== Open-model leg (exit $$open)"; cat var/test-open-models.log; \
	test $$sqlite -eq 0 && test $$pg -eq 0 && test $$open -eq 0

# The browser stories drive Debian's Chromium with Playwright (never a downloaded browser): installed when missing,
# which needs root, as on CI's fresh Debian machine.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# The PostgreSQL leg shares run events through a real Redis (tests/redis_server.py starts it on a free loopback port):
# Debian's redis-server, installed when missing (as root, as on CI). The package starts no server where systemd does
# not run, and none is wanted: the tests start and stop their own.
redis:
	@command -v redis-server >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }

# Fills the open-model cache (llama-cpp-python's server and the model) ahead of `pytest tests/open_models`.
open-models: install
	$(BIN)/python -m tests.open_models.install

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: migrate
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV)
