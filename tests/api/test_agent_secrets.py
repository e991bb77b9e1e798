"""An agent's secrets: set on create or update, encrypted at rest, never read back, kept through a round trip."""

import json
from functools import partial

import pytest

from agents.models import Agent
from agents.secrets import SECRET_MASK
from tests.at_rest import stored

pytestmark = pytest.mark.django_db(transaction=True)


stored_column = partial(stored, Agent, "secrets")


def test_secrets_given_on_create_are_kept_encrypted_and_shown_masked(client):
    agent = client.agents.create(name="keeper", model="openai/gpt-4o-mini", secrets={"API_TOKEN": "sk-live-123"})
    assert Agent.objects.get(pk=agent.id).secrets == {"API_TOKEN": "sk-live-123"}
    assert "sk-live-123" not in stored_column(agent.id)
    shown = client.agents.retrieve(agent.id, include=["agent.secrets"]).secrets
    assert [(s.key, s.value) for s in shown] == [("API_TOKEN", SECRET_MASK)]


def test_letta_s_older_name_for_secrets_is_accepted_on_create(api):
    response = api.post(
        "/v1/agents/",
        data=json.dumps(
            {"name": "legacy", "model": "openai/gpt-4o-mini", "tool_exec_environment_variables": {"K": "v"}}
        ),
        content_type="application/json",
    )
    assert Agent.objects.get(pk=response.json()["id"]).secrets == {"K": "v"}


def test_sending_the_masked_value_back_keeps_the_stored_one(client):
    agent = client.agents.create(name="roundtrip", model="openai/gpt-4o-mini", secrets={"A": "alpha", "B": "beta"})
    client.agents.update(agent.id, secrets={"A": SECRET_MASK, "B": "new-beta", "C": "gamma"})
    assert Agent.objects.get(pk=agent.id).secrets == {"A": "alpha", "B": "new-beta", "C": "gamma"}
    client.agents.update(agent.id, secrets={"C": SECRET_MASK})
    assert Agent.objects.get(pk=agent.id).secrets == {"C": "gamma"}


def test_no_response_ever_carries_a_secret_value(api, make_agent):
    agent = make_agent()
    Agent.objects.filter(pk=agent.pk).update(secrets={"DB_PASSWORD": "hunter2-secret"})
    for path in (
        f"/v1/agents/{agent.id}?include=agent.secrets",
        "/v1/agents/?include=agent.secrets",
        f"/v1/agents/{agent.id}/export",
    ):
        assert "hunter2-secret" not in api.get(path).content.decode(), path


def test_a_name_that_is_not_an_environment_variables_is_refused_on_create(api):
    body = {"name": "badname", "model": "openai/gpt-4o-mini", "secrets": {"my-token": "v"}}
    response = api.post("/v1/agents/", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "'my-token' is not an environment variable name" in response.json()["detail"]
    assert not Agent.objects.filter(name="badname").exists()


@pytest.mark.parametrize("field", ["secrets", "tool_exec_environment_variables"])
def test_a_bad_name_is_refused_on_update_and_nothing_changes(api, make_agent, field):
    agent = make_agent(secrets={"API_TOKEN": "sk-1"})
    body = {field: {"API_TOKEN": "sk-2", "2FA": "x"}, "name": "renamed"}
    response = api.patch(f"/v1/agents/{agent.id}", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "'2FA' is not an environment variable name" in response.json()["detail"]
    stored = Agent.objects.get(pk=agent.id)
    assert (stored.secrets, stored.name) == ({"API_TOKEN": "sk-1"}, agent.name)


def test_a_name_stored_before_the_rule_survives_a_round_trip(client, make_agent):
    agent = make_agent()
    Agent.objects.filter(pk=agent.pk).update(secrets={"old-style": "kept"})

    client.agents.update(agent.id, secrets={"old-style": SECRET_MASK, "NEW": "n"})

    assert Agent.objects.get(pk=agent.id).secrets == {"old-style": "kept", "NEW": "n"}
