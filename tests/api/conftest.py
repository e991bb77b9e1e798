import pytest
from django.test import Client

from accounts import services as accounts
from accounts.models import Organization
from tests.agents.conftest import make_agent, org, providers  # noqa: F401  (shared fixtures)


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
