"""Wire details the SDK and Letta's own clients rely on, each pinned against the live server with the real SDK."""

import json

import pytest
from letta_client import ConflictError

from tests.agents.agent_file.conftest import agent_file
from tests.api.helpers import create_agent
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_enable_sleeptime_false_makes_no_sleeptime_agent(client):
    # enable_sleeptime=true itself is tested in tests/api/test_sdk_sleeptime.py.
    agent = create_agent(client, enable_sleeptime=False)
    assert agent.multi_agent_group is None and agent.enable_sleeptime is False
    assert client.agents.update(agent.id, enable_sleeptime=False, name="renamed").name == "renamed"
    assert [a.name for a in client.agents.list()] == ["renamed"]


def test_an_agent_created_without_a_system_prompt_gets_its_types_default(client, fake_openai):
    agent = create_agent(client)
    assert agent.system.startswith("<base_instructions>") and "memory_replace" in agent.system

    # Letta's clients extend the prompt they read back; the default must survive that.
    updated = client.agents.update(agent.id, system=agent.system + "\nAlways answer in French.")
    assert updated.system == agent.system + "\nAlways answer in French."
    fake_openai.script(Reply(text="Bonjour."))
    client.agents.messages.create(agent.id, input="Hi")
    sent = fake_openai.last_request["messages"][0]["content"]
    assert sent.startswith(agent.system) and "Always answer in French." in sent and "<memory_blocks>" in sent

    legacy = create_agent(client, name="legacy", agent_type="memgpt_agent")
    assert "core_memory_append" in legacy.system and "send_message" in legacy.system
    for agent_type in ("memgpt_v2_agent", "react_agent", "workflow_agent"):
        other = create_agent(client, name=agent_type, agent_type=agent_type)
        assert other.system.startswith("<base_instructions>") and other.system != agent.system
    assert create_agent(client, name="own", system="You are terse.").system == "You are terse."
    assert create_agent(client, name="blank", system="").system == ""  # as Letta: only a missing prompt is filled


def test_an_import_never_silently_replaces_an_organizations_tool(client):
    doc = agent_file()
    first = client.agents.import_file(file=("a.af", json.dumps(doc).encode()))
    assert len(first.agent_ids) == 1
    changed = agent_file()
    changed["tools"][2] = {**changed["tools"][2], "source_code": "def lookup(order_id: str) -> str:\n    ...\n"}

    with pytest.raises(ConflictError, match=r"Tool tool-2 \(lookup\).*different code"):
        client.agents.import_file(file=("b.af", json.dumps(changed).encode()))
    (tool,) = client.tools.list(name="lookup")
    assert tool.source_code == doc["tools"][2]["source_code"]

    replaced = client.agents.import_file(file=("b.af", json.dumps(changed).encode()), override_existing_tools=True)
    assert any("replaced" in w for w in replaced.warnings)  # said, not silent
    assert client.tools.retrieve(tool.id).source_code == changed["tools"][2]["source_code"]


def test_the_latest_page_reads_oldest_first_on_the_agent_and_in_agent_direct_mode(client, fake_openai):
    agent = create_agent(client)
    for text in ("one", "two"):
        fake_openai.script(Reply(text=f"echo {text}"))
        client.agents.messages.create(agent.id, input=text)
    latest = [m.content for m in client.agents.messages.list(agent.id, limit=3).items]
    assert latest == ["echo one", "two", "echo two"]
    direct = client.conversations.messages.list("default", agent_id=agent.id, limit=3)
    assert [m.content for m in direct.items] == latest
