"""The live server and the SDK on it, for the tests that drive the real stack over HTTP.

One daphne serves the whole test session: it starts when the first test asks for it and stops at the end. It runs
on pytest-django's test database, so the tests using it are transactional (their writes are committed, and flushed
after each test, so no test sees another's rows), and both providers point at the fake servers, the same for every
module. In this directory `client` is the unmodified `letta-client` SDK on that server, not pytest-django's test
client: tests through Django's test client use `api`, `other_api` (tests/conftest.py) or `anonymous`.
"""

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Organization
from tests.api.live_server import LiveServer, sdk
from tests.postgres import database_env


@pytest.fixture(scope="session")
def letta_server(django_db_setup, fake_openai_server, fake_anthropic_server):
    """The real ASGI server (daphne) on the test database, its providers pointed at the fake servers."""
    server = LiveServer(
        {
            **database_env(settings.DATABASES["default"]),
            "OPENAI_BASE_URL": fake_openai_server.base_url,
            "OPENAI_API_KEY": "sk-test",
            "ANTHROPIC_BASE_URL": fake_anthropic_server.base_url,
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "LETTA_LLM_MAX_RETRIES": "0",
        },
    )
    yield server
    server.close()


@pytest.fixture
def client(letta_server, fake_openai):
    """The SDK on the live server, with a new key of the default organization."""
    return sdk(letta_server, Organization.default())


@pytest.fixture
def anonymous():
    """Django's test client with no key."""
    return Client()
