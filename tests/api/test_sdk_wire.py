"""Wire details the SDK and Letta's own clients rely on, each pinned against the live server with the real SDK."""

import pytest
from letta_client import BadRequestError

from tests.api.helpers import create_agent

pytestmark = pytest.mark.django_db(transaction=True)


def test_sleeptime_agents_are_refused_not_silently_ignored(client):
    with pytest.raises(BadRequestError, match="enable_sleeptime") as raised:
        create_agent(client, name="dreamer", enable_sleeptime=True)
    assert "not supported" in raised.value.body["detail"]
    assert [a.name for a in client.agents.list()] == []

    agent = create_agent(client, enable_sleeptime=False)
    with pytest.raises(BadRequestError, match="enable_sleeptime"):
        client.agents.update(agent.id, enable_sleeptime=True, name="renamed")
    assert client.agents.retrieve(agent.id).name == "helper"  # nothing of the refused update was stored
    assert client.agents.update(agent.id, enable_sleeptime=False, name="renamed").name == "renamed"
