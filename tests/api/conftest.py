"""The live server and the SDK on it, for the tests that drive the real stack over HTTP.

In this directory `client` is the unmodified `letta-client` SDK on the live server, not pytest-django's test
client: tests through Django's test client use `api`, `other_api` (tests/conftest.py) or `anonymous`.
"""

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Organization
from tests.api.live_server import LiveServer, sdk
from tests.postgres import database_env


@pytest.fixture(scope="module")
def letta_server(django_db_setup, fake_openai_server):
    """The real ASGI server (daphne) on the test database, its OpenAI provider pointed at the fake server."""
    server = LiveServer(
        {
            **database_env(settings.DATABASES["default"]),
            "OPENAI_BASE_URL": fake_openai_server.base_url,
            "OPENAI_API_KEY": "sk-test",
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
