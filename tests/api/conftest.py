"""The SDK on the live server (`letta_server`, tests/conftest.py), for the tests that drive the real stack over HTTP.

One daphne serves the whole test session: it starts when the first test asks for it and stops at the end. It runs
on pytest-django's test database, so the tests using it are transactional (their writes are committed, and flushed
after each test, so no test sees another's rows), and both providers point at the fake servers, the same for every
module. In this directory `client` is the unmodified `letta-client` SDK on that server, not pytest-django's test
client: tests through Django's test client use `api`, `other_api` (tests/conftest.py) or `anonymous`.
"""

import pytest
from django.test import Client

from accounts.models import Organization
from tests.api.live_server import sdk


@pytest.fixture
def client(letta_server, fake_openai):
    """The SDK on the live server, with a new key of the default organization."""
    return sdk(letta_server, Organization.default())


@pytest.fixture
def anonymous():
    """Django's test client with no key."""
    return Client()
