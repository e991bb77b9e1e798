"""Tags, organization-wide messages, archives and passage search through the official `letta-client` SDK, against a
live server and the fake OpenAI provider."""

import pytest
from letta_client import BadRequestError, ConflictError, Letta, NotFoundError

from accounts.models import Organization
from tests.api.live_server import sdk
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "openai/gpt-4.1-mini"


def new_agent(client: Letta, name: str, **fields):
    return client.agents.create(name=name, model=MODEL, memory_blocks=[{"label": "human", "value": ""}], **fields)


def test_tags_of_the_organizations_agents(client, letta_server):
    new_agent(client, "seller", tags=["sales", "emea"])
    new_agent(client, "buyer", tags=["sales", "procurement"])
    assert client.tags.list() == ["emea", "procurement", "sales"]
    assert client.tags.list(name="SAL") == ["sales"]
    assert client.tags.list(order="desc", limit=1, after="sales") == ["procurement"]
    other = sdk(letta_server, Organization.objects.create(name="other"))
    assert other.tags.list() == []


def test_messages_across_agents_retrieved_listed_and_searched(client, fake_openai):
    first, second = new_agent(client, "first"), new_agent(client, "second")
    fake_openai.script(Reply(text="Bicycles are great."), Reply(text="Noted."))
    client.agents.messages.create(first.id, input="Tell me about my bicycle")
    client.agents.messages.create(second.id, input="Lunch is at noon")

    listed = client.messages.list(order="desc", limit=1000)
    assert [m.content for m in listed if m.message_type == "user_message"][-2:] == [
        "Tell me about my bicycle",
        "Lunch is at noon",
    ]
    (part,) = client.messages.retrieve(listed[0].id)
    assert part.id == listed[0].id

    results = client.messages.search(query="bicycle")
    assert {(r.message_type, r.agent_id) for r in results} == {
        ("user_message", first.id),
        ("assistant_message", first.id),
    }
    assert client.messages.search(query="bicycle", agent_id=second.id) == []
    with pytest.raises(BadRequestError, match="not embedded"):
        client.messages.search(query="bicycle", search_mode="vector")
    with pytest.raises(NotFoundError):
        client.messages.retrieve("message-00000000-0000-4000-8000-000000000000")


def test_a_shared_archive_is_written_by_one_agent_and_searched_by_another(client, fake_openai):
    tools = ["archival_memory_insert", "archival_memory_search"]
    writer, reader = new_agent(client, "writer", tools=tools), new_agent(client, "reader", tools=tools)
    archive = client.archives.create(name="team notes", description="Decisions")
    for agent in (writer, reader):
        client.agents.archives.attach(archive.id, agent_id=agent.id)
    assert [a.id for a in client.archives.list(agent_id=reader.id)] == [archive.id]

    fake_openai.script(
        Reply(tool_calls=[("archival_memory_insert", {"content": "The launch moved to March 14"})]),
        Reply(text="Stored."),
        Reply(tool_calls=[("archival_memory_search", {"query": "launch"})]),
        Reply(text="March 14."),
    )
    client.agents.messages.create(writer.id, input="Remember: the launch moved to March 14")
    reply = client.agents.messages.create(reader.id, input="When is the launch?")
    returned = next(m for m in reply.messages if m.message_type == "tool_return_message")
    assert "The launch moved to March 14" in returned.tool_return

    found = client.passages.search(query="launch", archive_id=archive.id)
    assert [r.passage.text for r in found] == ["The launch moved to March 14"] and found[0].score > 0
    assert [r.passage.text for r in client.passages.search(query="launch", agent_id=reader.id)] == [
        "The launch moved to March 14"
    ]

    client.agents.archives.detach(archive.id, agent_id=reader.id)
    assert client.passages.search(query="launch", agent_id=reader.id) == []


def test_archive_crud_and_its_passages(client):
    archive = client.archives.create(name="scratch")
    assert client.archives.retrieve(archive.id).name == "scratch"
    assert client.archives.update(archive.id, description="Loose notes").description == "Loose notes"
    assert archive.id in [a.id for a in client.archives.list()]  # the auto-pager ends

    passage = client.archives.passages.create(archive.id, text="Budget is 10k", tags=["budget"])
    batch = client.archives.passages.create_many(archive.id, passages=[{"text": "One"}, {"text": "Two"}])
    assert passage.archive_id == archive.id and [p.text for p in batch] == ["One", "Two"]
    assert [r.passage.id for r in client.passages.search(query="budget", tags=["budget"])] == [passage.id]
    client.archives.passages.delete(passage.id, archive_id=archive.id)
    assert client.passages.search(query="budget") == []

    agent = new_agent(client, "keeper")
    client.agents.passages.create(agent.id, text="own archive")  # the agent now has an archive of its own
    with pytest.raises(ConflictError, match="Detach it first"):
        client.agents.archives.attach(archive.id, agent_id=agent.id)

    client.archives.delete(archive.id)
    with pytest.raises(NotFoundError):
        client.archives.retrieve(archive.id)
