"""Shared memory through the official `letta-client` SDK against a live server and the fake OpenAI provider:
standalone blocks, attached to several agents, edited by one agent and seen by the others."""

import json

import pytest
from letta_client import APIStatusError, ConflictError, Letta, NotFoundError

from accounts.models import Organization
from tests.api.live_server import sdk
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "openai/gpt-4.1-mini"


def new_agent(client: Letta, name: str):
    return client.agents.create(name=name, model=MODEL, memory_blocks=[{"label": "human", "value": "Name: unknown"}])


def test_one_agent_edits_a_shared_block_and_the_other_sees_it(client, fake_openai):
    team = client.blocks.create(label="team", value="Deadline: Friday", description="What the team agreed on")
    writer, reader = new_agent(client, "writer"), new_agent(client, "reader")
    for agent in (writer, reader):
        state = client.agents.blocks.attach(team.id, agent_id=agent.id)
        assert "team" in [b.label for b in state.blocks]
    assert {a.id for a in client.blocks.agents.list(team.id)} == {writer.id, reader.id}

    fake_openai.script(
        Reply(tool_calls=[("memory_replace", {"label": "team", "old_string": "Friday", "new_string": "Monday"})]),
        Reply(text="Updated the deadline."),
    )
    client.agents.messages.create(writer.id, input="The deadline moved to Monday.")
    assert client.blocks.retrieve(team.id).value == "Deadline: Monday"

    fake_openai.script(Reply(text="The deadline is Monday."))
    client.agents.messages.create(reader.id, input="When is the deadline?")
    prompt = fake_openai.last_request["messages"][0]["content"]
    assert "Deadline: Monday" in prompt and "Friday" not in prompt

    # Detached, the block leaves the reader's next prompt but stays for the writer.
    state = client.agents.blocks.detach(team.id, agent_id=reader.id)
    assert "team" not in [b.label for b in state.blocks]
    fake_openai.script(Reply(text="I don't know."))
    client.agents.messages.create(reader.id, input="When is the deadline?")
    assert "Deadline: Monday" not in fake_openai.last_request["messages"][0]["content"]
    assert [a.id for a in client.blocks.agents.list(team.id)] == [writer.id]


def test_blocks_list_filter_page_update_and_delete(client):
    made = [client.blocks.create(label=f"note-{i}", value=f"fact {i}", tags=["notes"]) for i in range(5)]
    client.blocks.create(label="other", value="unrelated")

    # The auto-pager follows `after=<last id>` until a page comes back empty.
    paged = [b.id for b in client.blocks.list(tags=["notes"], limit=2)]
    assert paged == [b.id for b in made]
    assert [b.label for b in client.blocks.list(label="note-3")] == ["note-3"]
    assert [b.label for b in client.blocks.list(value_search="fact 4")] == ["note-4"]
    assert [b.id for b in client.blocks.list(tags=["notes"], order="desc", limit=10)] == [b.id for b in made[::-1]]

    updated = client.blocks.update(made[0].id, value="fact zero", limit=50)
    assert updated.value == "fact zero" and updated.limit == 50
    with pytest.raises(APIStatusError) as raised:
        client.blocks.update(made[0].id, value="x" * 51)
    assert raised.value.status_code == 400 and "limit of 50" in raised.value.body["detail"]
    assert client.blocks.retrieve(made[0].id).value == "fact zero"

    client.blocks.delete(made[0].id)
    with pytest.raises(NotFoundError):
        client.blocks.retrieve(made[0].id)


def test_attach_errors_and_other_organizations(client, letta_server):
    agent = new_agent(client, "solo")
    clash = client.blocks.create(label="human", value="another human")
    with pytest.raises(ConflictError, match="already has a memory block labelled 'human'"):
        client.agents.blocks.attach(clash.id, agent_id=agent.id)
    with pytest.raises(NotFoundError, match="not attached"):
        client.agents.blocks.detach(clash.id, agent_id=agent.id)
    with pytest.raises(NotFoundError):
        client.agents.blocks.attach("block-00000000-0000-4000-8000-000000000000", agent_id=agent.id)

    outsider = sdk(letta_server, Organization.objects.create(name="other"))
    assert outsider.blocks.list().items == []
    with pytest.raises(NotFoundError):
        outsider.blocks.retrieve(clash.id)
    with pytest.raises(NotFoundError):
        outsider.blocks.update(clash.id, value="stolen")
    with pytest.raises(NotFoundError):
        outsider.blocks.delete(clash.id)
    with pytest.raises(NotFoundError):
        outsider.blocks.agents.list(clash.id)
    theirs = new_agent(outsider, "theirs")
    with pytest.raises(NotFoundError):
        outsider.agents.blocks.attach(clash.id, agent_id=theirs.id)
    assert client.blocks.retrieve(clash.id).value == "another human"


def test_reset_recompile_and_immutable_messages(client, fake_openai):
    agent = new_agent(client, "forgetful")
    fake_openai.script(Reply(text="Hello!"))
    client.agents.messages.create(agent.id, input="My code word is heron.")
    assert len(client.agents.retrieve(agent.id).message_ids) == 3

    state = client.agents.messages.reset(agent.id, add_default_initial_messages=False)
    assert state.message_ids == agent.message_ids[:1]
    history = [m.message_type for m in client.agents.messages.list(agent.id, order="asc")]
    assert history == ["system_message", "user_message", "assistant_message"]  # stored rows stay

    fake_openai.script(Reply(text="I don't remember."))
    client.agents.messages.create(agent.id, input="What is my code word?")
    sent = [m["role"] for m in fake_openai.last_request["messages"]]
    assert sent == ["system", "user"]  # the cleared exchange is no longer in context

    client.agents.blocks.update("human", agent_id=agent.id, value="Name: Heron fan")
    # The SDK hands back the body as text; the body is a JSON string, as Letta's.
    prompt = json.loads(client.agents.recompile(agent.id, dry_run=True))
    assert "Name: Heron fan" in prompt

    message_id = client.agents.retrieve(agent.id).message_ids[0]
    with pytest.raises(APIStatusError) as raised:
        client.patch(f"/v1/agents/{agent.id}/messages/{message_id}", cast_to=object, body={"content": "x"})
    assert raised.value.status_code == 405 and "immutable" in raised.value.body["detail"]
