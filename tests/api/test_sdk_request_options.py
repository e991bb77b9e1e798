"""A send's request-scoped options and an agent's compaction_settings through the official `letta-client` SDK,
against the live server and the fake providers."""

import pytest
from letta_client import BadRequestError

from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_compaction_settings_round_trip_through_the_sdk(client):
    agent = client.agents.create(
        name="compacting",
        model="openai/gpt-4.1-mini",
        compaction_settings={"mode": "sliding_window", "sliding_window_percentage": 0.25, "clip_chars": 2000},
    )
    assert agent.compaction_settings.sliding_window_percentage == 0.25
    updated = client.agents.update(agent.id, compaction_settings={"mode": "all", "prompt": "Summarize briefly."})
    assert updated.compaction_settings.mode == "all" and updated.compaction_settings.prompt == "Summarize briefly."
    assert client.agents.retrieve(agent.id).compaction_settings.mode == "all"
    with pytest.raises(BadRequestError, match="sliding_window_percentage"):
        client.agents.update(agent.id, compaction_settings={"sliding_window_percentage": 5})


def test_skills_and_another_model_for_one_send(client, fake_openai, fake_anthropic):
    agent = client.agents.create(name="coder", model="openai/gpt-4.1-mini")
    fake_anthropic.script(Reply(text="From Claude."))
    response = client.agents.messages.create(
        agent.id,
        input="hi",
        override_model="anthropic/claude-sonnet-4-5",
        client_skills=[{"name": "pdf", "description": "PDF forms.", "location": "/home/u/.letta/skills/pdf/SKILL.md"}],
    )
    assert response.messages[-1].content == "From Claude."
    assert (
        "<available_skills>\n/home/u/.letta/skills\n└── pdf/\n    └── SKILL.md (PDF forms.)\n</available_skills>"
        in str(fake_anthropic.last_request["system"])
    )
    assert fake_openai.requests == []
    assert client.agents.retrieve(agent.id).model == "openai/gpt-4.1-mini"
    with pytest.raises(BadRequestError, match="override_model"):
        client.agents.messages.create(agent.id, input="hi", override_model="nowhere/model")
