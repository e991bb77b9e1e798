"""Fixtures every test directory shares: the default and a second organization, API clients with their keys, the
providers pointed at the fake servers, and an agent factory. The fake provider servers are in tests/fakes/fixtures.py,
the SDK client in tests/api/conftest.py, `migrated_to` (a test that migrates the database) in tests/migrating.py."""

import pytest
from django.conf import settings
from django.test import Client

from accounts import services as accounts
from accounts.models import Organization
from agents import services as agents
from tests.api.live_server import LiveServer, live_server_env

pytest_plugins = ["tests.fakes.fixtures", "tests.migrating"]

_throwaway_server = pytest.StashKey()
_redis_server = pytest.StashKey()


def pytest_addoption(parser):
    parser.addoption(
        "--postgres",
        action="store_true",
        help="Run the suite on a throwaway PostgreSQL with pgvector (started with pgserver, deleted at exit) "
        "instead of the embedded SQLite. To use a server of your own, set DATABASE_URL instead.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # The live servers sweep the test database for runs whose process died; tests that import the ASGI application
    # (websocket communicators) must not start a second sweep in pytest's own process.
    settings.RUN_SWEEP = False
    if config.getoption("postgres"):
        from django.db import connections

        from tests.postgres import database_settings, start_throwaway_server

        server = config.stash[_throwaway_server] = start_throwaway_server()
        settings.DATABASES["default"] = database_settings(server.get_uri())
        # Importing the models already made a (still unconnected) SQLite connection object and cached the settings
        # it was made from: drop both, so the next use builds a PostgreSQL connection from the new entry.
        del connections["default"]
        connections.__dict__.pop("settings", None)
        _share_events_through_redis(config)


def _share_events_through_redis(config) -> None:
    """The PostgreSQL leg is the deployment of several processes: every live server and worker it starts (they
    inherit this environment) and the websocket consumers tested in this process share run events through a real
    Redis, as REDIS_URL makes them do in production."""
    import os

    from tests.redis_server import RedisServer

    try:
        server = config.stash[_redis_server] = RedisServer()
    except RuntimeError as exc:
        raise pytest.UsageError(str(exc)) from None
    os.environ["REDIS_URL"] = settings.REDIS_URL = server.url
    from letta_project.settings import redis_channel_layer

    settings.CHANNEL_LAYERS = redis_channel_layer(server.url)


# Tests that never touch the database: browser stories (they test pages), the provider clients against the fake
# servers, and the fakes themselves. They run on the SQLite leg only, which keeps `make test` short.
_DATABASE_FREE = (("browser",), ("agents", "llm"), ("fakes",), ("tools", "sandbox"))
# Letta's own clients (Letta Code, letta-evals) and a real open model (llama-cpp-python's server) against the live
# server: slow to start and a test of the wire, not of the database, so they run on the SQLite leg only too.
_SQLITE_LEG_ONLY = (("clients",), ("open_models",))


def pytest_ignore_collect(collection_path, config):
    if not config.getoption("postgres"):
        return None
    parts = collection_path.parts
    tests_at = len(parts) - 1 - parts[::-1].index("tests") if "tests" in parts else None
    if tests_at is None:
        return None
    below = parts[tests_at + 1 :]
    if any(below[: len(prefix)] == prefix for prefix in _DATABASE_FREE + _SQLITE_LEG_ONLY):
        return True
    return None


def pytest_unconfigure(config):
    if server := config.stash.get(_throwaway_server, None):
        server.cleanup()
    if redis_server := config.stash.get(_redis_server, None):
        redis_server.stop()


@pytest.fixture(scope="session", autouse=True)
def _sessions_end_before_teardown(request):
    """The test process's lease thread stops, and on PostgreSQL every other session ends, before the test database
    is dropped (a renewal after that logged a failure to connect to a database that no longer exists)."""
    from django.db import connection

    from agents.runtime import leases
    from tests.postgres import terminate_other_sessions

    request.getfixturevalue("django_db_setup")  # set up first, so torn down after this fixture's cleanup
    yield
    leases.stop()
    if connection.vendor == "postgresql":
        with request.getfixturevalue("django_db_blocker").unblock():
            terminate_other_sessions(connection)


@pytest.fixture(scope="session")
def letta_server(django_db_setup, fake_openai_server, fake_anthropic_server):
    """The real ASGI server (daphne) on the test database, its providers pointed at the fake servers."""
    server = LiveServer(live_server_env(fake_openai_server, fake_anthropic_server))
    yield server
    server.close()


@pytest.fixture
def org(db):
    return Organization.default()


@pytest.fixture
def other_org(db):
    return Organization.objects.create(name="other")


def _client(organization_id: str) -> Client:
    _, key = accounts.create_api_key(organization_id=organization_id, name="test")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api(org):
    """A Django test client authenticated with a key of the default organization."""
    return _client(org.id)


@pytest.fixture
def other_api(other_org):
    """A client whose key belongs to another organization."""
    return _client(other_org.id)


@pytest.fixture
def providers(settings, fake_openai, fake_anthropic):
    """Point the server's providers at the fake OpenAI and Anthropic servers, and let the outbound policy reach
    them (they listen on 127.0.0.1) for providers the tests create through the API."""
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    settings.LLM_PROVIDERS = {
        "openai": {"kind": "openai", "api_key": "sk-test", "base_url": fake_openai.base_url},
        "anthropic": {"kind": "anthropic", "api_key": "sk-ant-test", "base_url": fake_anthropic.base_url},
    }
    settings.LLM_MAX_RETRIES = 2
    return settings.LLM_PROVIDERS


@pytest.fixture
def make_agent(org, providers):
    def make(name="helper", model="openai/gpt-4.1-mini", blocks=None, **kwargs):
        if blocks is None:
            blocks = [
                {"label": "human", "value": "Name: unknown", "limit": 2000},
                {"label": "persona", "value": "I am a helpful assistant.", "limit": 2000},
            ]
        return agents.create_agent(organization_id=org.id, name=name, model=model, memory_blocks=blocks, **kwargs)

    return make
