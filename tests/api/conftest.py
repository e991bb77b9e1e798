import pytest
from django.conf import settings
from django.test import Client

from accounts import services as accounts
from accounts.models import Organization
from tests.agents.conftest import make_agent, org, providers  # noqa: F401  (shared fixtures)
from tests.api.live_server import LiveServer
from tests.postgres import database_env


@pytest.fixture
def other_org(db):
    return Organization.objects.create(name="other")


def _client(organization_id: str) -> Client:
    _, key = accounts.create_api_key(organization_id=organization_id, name="test")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api(org):  # noqa: F811  (the imported fixture, requested by name)
    """A Django test client authenticated with a key of the default organization."""
    return _client(org.id)


@pytest.fixture
def other_api(other_org):
    """A client whose key belongs to another organization."""
    return _client(other_org.id)


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
