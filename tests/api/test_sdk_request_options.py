"""A send's request-scoped options and an agent's compaction_settings through the official `letta-client` SDK,
against the live server and the fake providers."""

import pytest
from letta_client import BadRequestError

from tests.fakes import Reply
from tests.waiting import wait_until

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


def test_another_system_prompt_for_one_send_and_for_a_background_one(client, fake_openai):
    agent = client.agents.create(name="actor", model="openai/gpt-4.1-mini")
    fake_openai.script(Reply(text="Arr."), Reply(text="Hello."), Reply(text="Yo ho."))

    client.agents.messages.create(agent.id, input="hi", override_system="You are a pirate.")
    assert fake_openai.requests[0]["messages"][0] == {"role": "system", "content": "You are a pirate."}

    client.agents.messages.create(agent.id, input="and now?")
    compiled = fake_openai.requests[1]["messages"][0]["content"]
    assert "You are a pirate." not in compiled and "<memory_blocks>" in compiled  # the agent's own, kept
    assert client.agents.retrieve(agent.id).system == agent.system

    run = client.agents.messages.create_async(agent.id, input="again", override_system="You are a parrot.")
    wait_until(lambda: client.runs.retrieve(run.id).status == "completed", message="the background run's end")
    assert fake_openai.requests[2]["messages"][0]["content"] == "You are a parrot."
