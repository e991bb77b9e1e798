"""The official `letta-client` SDK, unmodified, against a live server with the fake OpenAI provider.

One user story per test; every SDK call here is one this server supports (see the README's API section).
"""

import json

import pytest
from django.conf import settings
from letta_client import AuthenticationError, Letta, NotFoundError

from accounts.models import Organization
from tests.api.helpers import MODEL, create_agent
from tests.api.live_server import sdk
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_learns_a_fact_and_the_sdk_reads_it_back(client, fake_openai):
    agent = create_agent(client)
    assert agent.id.startswith("agent-") and agent.model == MODEL
    assert agent.llm_config.model == "gpt-4.1-mini" and agent.llm_config.context_window > 0
    assert {b.label for b in agent.blocks} == {"human", "persona"}
    assert "memory_insert" in {t.name for t in agent.tools}

    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada, likes tea"})]),
        Reply(text="Nice to meet you, Ada!"),
    )
    response = client.agents.messages.create(
        agent.id, messages=[{"role": "user", "content": "Hi, I'm Ada and I like tea."}]
    )
    assert [m.message_type for m in response.messages] == [
        "tool_call_message",
        "tool_return_message",
        "assistant_message",
    ]
    assert response.messages[-1].content == "Nice to meet you, Ada!"
    assert response.stop_reason.stop_reason == "end_turn" and response.usage.step_count == 2

    human = client.agents.blocks.retrieve("human", agent_id=agent.id)
    assert "Name: Ada, likes tea" in human.value

    run = client.runs.retrieve(response.usage.run_ids[0])
    assert run.status == "completed" and run.stop_reason == "end_turn" and run.agent_id == agent.id

    fake_openai.script(Reply(text="You are Ada."))
    reply = client.agents.messages.create(agent.id, input="What's my name?")
    assert reply.messages[-1].content == "You are Ada."
    assert "Name: Ada, likes tea" in fake_openai.last_request["messages"][0]["content"]


def test_message_history_pages_in_both_orders(client, fake_openai):
    agent = create_agent(client)
    for text in ("one", "two", "three"):
        fake_openai.script(Reply(text=f"echo {text}"))
        client.agents.messages.create(agent.id, input=text)

    # Ascending, the SDK's pager follows `after=<last id>` to the end.
    ascending = [m for m in client.agents.messages.list(agent.id, order="asc", limit=2)]
    kinds = [(m.message_type, getattr(m, "content", None)) for m in ascending]
    assert kinds == [
        ("system_message", kinds[0][1]),
        ("user_message", "one"),
        ("assistant_message", "echo one"),
        ("user_message", "two"),
        ("assistant_message", "echo two"),
        ("user_message", "three"),
        ("assistant_message", "echo three"),
    ]

    # Without `order` (Letta's default, desc) and with `order="desc"`: the newest messages, in chronological order,
    # as a client rendering the latest page of a chat expects.
    latest = client.agents.messages.list(agent.id, limit=2)
    assert [m.content for m in latest.items] == ["three", "echo three"]
    assert [m.id for m in client.agents.messages.list(agent.id, order="desc", limit=2).items] == [
        m.id for m in latest.items
    ]
    # Cursors are absolute: `before` means older, `after` newer, whatever the order. Walking back from the latest
    # page, the SDK's pager follows `before=<first id>` to the start, each page still oldest first.
    older = client.agents.messages.list(agent.id, limit=2, before=latest.items[0].id)
    assert [m.content for m in older.items] == ["two", "echo two"]
    walked_back = [m.id for m in client.agents.messages.list(agent.id, limit=2, before=latest.items[0].id)]
    assert walked_back == [m.id for m in ascending[3:5] + ascending[1:3] + ascending[:1]]
    assert client.agents.messages.list(agent.id, limit=2, after=latest.items[-1].id).items == []
    newer = client.agents.messages.list(agent.id, order="asc", limit=1, after=older.items[-1].id)
    assert [m.content for m in newer.items] == ["three"]
    oldest_first = client.agents.messages.list(agent.id, order="asc", limit=2, before=latest.items[0].id)
    assert [m.message_type for m in oldest_first.items] == ["system_message", "user_message"]
    only_users = client.agents.messages.list(agent.id, order="asc", include_return_message_types=["user_message"])
    assert [m.content for m in only_users] == ["one", "two", "three"]


def test_manage_an_agent_through_the_sdk(client, fake_openai):
    agent = create_agent(client, name="tea-lover-helper")
    assert agent.id in [a.id for a in client.agents.list()]
    assert client.agents.retrieve(agent.id).name == "tea-lover-helper"
    assert client.agents.update(agent.id, name="renamed", tags=["demo"]).tags == ["demo"]
    assert [a.id for a in client.agents.list(tags=["demo"])] == [agent.id]

    block = client.agents.blocks.update("persona", agent_id=agent.id, value="I am terse.")
    assert block.value == "I am terse."
    assert [b.label for b in client.agents.blocks.list(agent.id, order="asc", limit=1)] == ["human", "persona"]

    # No SDK method for the overview; the SDK's own low-level call uses the same auth and base URL.
    overview = client.get(f"/v1/agents/{agent.id}/context", cast_to=object)
    assert "I am terse." in overview["core_memory"]
    assert overview["context_window_size_current"] > 0 and overview["num_messages"] == 1

    client.agents.delete(agent.id)
    with pytest.raises(NotFoundError):
        client.agents.retrieve(agent.id)


def test_keys_and_organizations(client, letta_server, fake_openai):
    agent = create_agent(client)
    with pytest.raises(AuthenticationError):
        Letta(base_url=letta_server.url, api_key="not-a-key", max_retries=0).agents.list()

    outsider = sdk(letta_server, Organization.objects.create(name="other"))
    assert outsider.agents.list().items == []
    with pytest.raises(NotFoundError) as raised:
        outsider.agents.retrieve(agent.id)
    assert raised.value.body == {"detail": f"Agent {agent.id} not found."}
    with pytest.raises(NotFoundError):
        outsider.agents.blocks.retrieve("human", agent_id=agent.id)
    with pytest.raises(NotFoundError):
        outsider.agents.messages.create(agent.id, input="hi")
    assert fake_openai.requests == []


def test_export_an_agent_and_import_it_back(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes oolong"})]), Reply(text="Noted.")
    )
    client.agents.messages.create(agent_id=agent.id, input="I like oolong tea")

    exported = client.agents.export_file(agent.id)
    imported = client.agents.import_file(file=("agent.af", exported.encode()), name="tea-lover-copy")

    (copy_id,) = imported.agent_ids
    copy = client.agents.retrieve(copy_id)
    assert copy.name == "tea-lover-copy" and copy.id != agent.id
    assert "Likes oolong" in client.agents.blocks.retrieve("human", agent_id=copy_id).value
    history = [m.message_type for m in client.agents.messages.list(copy_id, order="asc")]
    assert history[-3:] == ["tool_call_message", "tool_return_message", "assistant_message"]


def test_import_a_file_written_by_letta(client, fake_openai):
    from pathlib import Path

    fixture = Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "agent-files" / "customer_service.af"
    imported = client.agents.import_file(file=("customer_service.af", fixture.read_bytes()), model=MODEL)

    (agent_id,) = imported.agent_ids
    fake_openai.script(Reply(text="How can I help with your order?"))
    reply = client.agents.messages.create(agent_id=agent_id, input="Hi, where is my order?")
    assert reply.messages[-1].content == "How can I help with your order?"


def test_a_broken_agent_file_is_refused_with_a_reason(client):
    from letta_client import BadRequestError

    with pytest.raises(BadRequestError, match="agents"):
        client.agents.import_file(file=("broken.af", b'{"blocks": []}'))


LOOKUP = '''
def lookup_order(order_id: str) -> str:
    """Look up an order's status.

    Args:
        order_id: The order number, e.g. "A-17".
    """
    return f"Order {order_id} shipped yesterday."
'''


def test_a_custom_tool_created_from_source_is_called_by_the_agent(client, fake_openai):
    agent = create_agent(client)
    tool = client.tools.create(source_code=LOOKUP)
    assert tool.name == "lookup_order" and tool.json_schema["parameters"]["required"] == ["order_id"]
    assert [t.name for t in client.tools.list(name="lookup_order")] == ["lookup_order"]
    client.agents.tools.attach(tool.id, agent_id=agent.id)
    assert "lookup_order" in [t.name for t in client.agents.tools.list(agent.id)]

    fake_openai.script(Reply(tool_calls=[("lookup_order", {"order_id": "A-17"})]), Reply(text="It shipped."))
    reply = client.agents.messages.create(agent_id=agent.id, input="Where is order A-17?")

    returned = next(m for m in reply.messages if m.message_type == "tool_return_message")
    assert returned.status == "success" and returned.tool_return == "Order A-17 shipped yesterday."
    offered = [t["function"]["name"] for t in fake_openai.requests[0]["tools"]]
    assert "lookup_order" in offered


def order_lookup_awaiting_approval(client: Letta, fake_openai, order_id: str):
    """An agent whose lookup_order needs approval, asked where `order_id` is: the model calls the tool and the
    send stops for approval. The agent, the tool and that first answer."""
    agent = create_agent(client)
    tool = client.tools.upsert(source_code=LOOKUP)
    client.agents.tools.attach(tool.id, agent_id=agent.id)
    client.agents.tools.update_approval("lookup_order", agent_id=agent.id, body_requires_approval=True)
    fake_openai.script(Reply(tool_calls=[("lookup_order", {"order_id": order_id})]))
    return agent, tool, client.agents.messages.create(agent_id=agent.id, input=f"Where is {order_id}?")


def test_per_agent_approval_then_approve_and_detach(client, fake_openai):
    agent, tool, first = order_lookup_awaiting_approval(client, fake_openai, "B-2")
    assert first.stop_reason.stop_reason == "requires_approval"
    call_id = first.messages[-1].tool_call.tool_call_id

    fake_openai.script(Reply(text="Shipped."))
    second = client.agents.messages.create(
        agent_id=agent.id,
        messages=[{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": True}]}],
    )
    returned = next(m for m in second.messages if m.message_type == "tool_return_message")
    assert returned.tool_return == "Order B-2 shipped yesterday."

    client.agents.tools.detach(tool.id, agent_id=agent.id)
    assert "lookup_order" not in [t.name for t in client.agents.tools.list(agent.id)]


def test_a_denied_tool_call_is_not_run_and_the_agent_hears_why(client, fake_openai):
    agent, _, first = order_lookup_awaiting_approval(client, fake_openai, "C-3")
    call_id = first.messages[-1].tool_call.tool_call_id

    fake_openai.script(Reply(text="Understood, I won't look it up."))
    second = client.agents.messages.create(
        agent_id=agent.id,
        messages=[
            {
                "type": "approval",
                "approvals": [
                    {"type": "approval", "tool_call_id": call_id, "approve": False, "reason": "orders are private"}
                ],
            }
        ],
    )
    returned = next(m for m in second.messages if m.message_type == "tool_return_message")
    assert returned.status == "error" and "denied" in returned.tool_return
    assert "orders are private" in returned.tool_return and "shipped" not in returned.tool_return
    assert second.messages[-1].content == "Understood, I won't look it up."
    # The model was told: the denial is in the request it answered.
    assert "orders are private" in json.dumps(fake_openai.last_request["messages"])


def test_tool_source_with_a_mistake_is_refused_with_the_reason(client):
    from letta_client import BadRequestError

    with pytest.raises(BadRequestError, match="docstring"):
        client.tools.create(source_code="def f(x: int) -> int:\n    return x\n")


def test_archival_memory_through_the_sdk(client, fake_openai):
    agent = create_agent(client)
    assert client.agents.passages.list(agent.id) == []
    (stored,) = client.agents.passages.create(agent.id, text="The launch moved to March 14", tags=["plans"])
    client.agents.passages.create(agent.id, text="Lunch is at noon on Fridays")

    found = client.agents.passages.search(agent.id, query="when is the launch")
    assert found.count >= 1 and found.results[0].content == "The launch moved to March 14"
    assert found.results[0].tags == ["plans"]
    assert [p.text for p in client.agents.passages.list(agent.id)] == [
        "The launch moved to March 14",
        "Lunch is at noon on Fridays",
    ]

    # the agent's own tool finds what the API stored
    agent_with_tool = client.agents.create(
        name="archivist", model=MODEL, tools=["archival_memory_search"], memory_blocks=[{"label": "human", "value": ""}]
    )
    client.agents.passages.create(agent_with_tool.id, text="Budget approved: 40k")
    fake_openai.script(Reply(tool_calls=[("archival_memory_search", {"query": "budget"})]), Reply(text="40k."))
    reply = client.agents.messages.create(agent_id=agent_with_tool.id, input="What was the budget?")
    returned = next(m for m in reply.messages if m.message_type == "tool_return_message")
    assert "Budget approved: 40k" in returned.tool_return

    client.agents.passages.delete(stored.id, agent_id=agent.id)
    assert [p.text for p in client.agents.passages.list(agent.id)] == ["Lunch is at noon on Fridays"]
    with pytest.raises(NotFoundError):
        client.agents.passages.delete(stored.id, agent_id=agent.id)


def test_models_are_listed_from_the_configured_providers(client):
    models = client.models.list()
    handles = [m.handle for m in models]
    assert "openai/gpt-4.1-mini" in handles and "openai/gpt-4o" in handles
    mini = next(m for m in models if m.handle == "openai/gpt-4.1-mini")
    assert mini.provider_name == "openai" and mini.context_window > 0
