"""An imported agent is a working agent: it runs a turn against the provider, and its over-limit blocks only shrink."""

import json

import pytest
from asgiref.sync import sync_to_async

from accounts.models import Organization
from agents.agent_file import import_agent
from agents.models import Agent
from agents.runtime.loop import run_agent
from memory.models import Block
from tests.agents.agent_file.conftest import FIXTURES, agent_file, call, load, message, text
from tests.fakes import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def assert_no_dangling_tool_call(messages: list[dict]) -> None:
    """Each tool call is answered by the tool messages right after it, and each tool message answers one."""
    waiting: set[str] = set()
    for item in messages:
        if item["role"] == "tool":
            assert item["tool_call_id"] in waiting, f"tool result {item['tool_call_id']} without its call"
            waiting.discard(item["tool_call_id"])
            continue
        assert not waiting, f"tool calls {waiting} have no result before the next {item['role']} message"
        waiting = {c["id"] for c in item.get("tool_calls") or []}
    assert not waiting, f"tool calls {waiting} have no result"


async def do_import(data, **options):
    org = await sync_to_async(Organization.default)()
    return await sync_to_async(import_agent)(data, organization_id=org.id, **options)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
async def test_an_imported_letta_agent_runs_a_turn(providers, fake_openai, path):
    result = await do_import(path.read_bytes(), model="openai/gpt-4.1-mini")
    agent = await Agent.objects.aget(pk=result.agent_ids[0])
    fake_openai.script(Reply(text="Hello from the imported agent."))

    run = await run_agent(agent.id, input="Hi! Who are you?")

    assert run.stop_reason == "end_turn"
    assert run.messages[-1]["content"] == "Hello from the imported agent."
    request = fake_openai.last_request
    assert request["model"] == "gpt-4.1-mini"
    system = request["messages"][0]
    assert system["role"] == "system"
    values = [b.value async for b in Block.objects.filter(agents=agent)]
    assert all(value in system["content"] for value in values)
    assert request["messages"][-1] == {"role": "user", "content": "Hi! Who are you?"}
    assert_no_dangling_tool_call(request["messages"])
    names = {tool["function"]["name"] for tool in request.get("tools", [])}
    entry = load(path)["agents"][0]
    file_tools = {t["id"]: t["name"] for t in load(path)["tools"]}
    assert names <= {file_tools[i] for i in entry["tool_ids"]}


async def test_a_file_saved_mid_tool_call_still_gives_a_valid_request(providers, fake_openai):
    doc = agent_file(
        messages=[
            message(0, "system", text("You help Ada.")),
            message(1, "user", "Where is order 7?"),
            message(
                2,
                "assistant",
                [],
                tool_calls=[call("call_a", "lookup", {"order_id": "7"}), call("call_b", "lookup", {"order_id": "8"})],
            ),
            message(
                3,
                "tool",
                text(json.dumps({"status": "OK", "message": "shipped", "time": "t"})),
                tool_call_id="call_a",
                name="lookup",
            ),
            message(
                4,
                "tool",
                text(json.dumps({"status": "OK", "message": "lost", "time": "t"})),
                tool_call_id="call_zzz",
                name="lookup",
            ),
            message(5, "assistant", [], tool_calls=[call("call_c", "lookup", {"order_id": "9"})]),
        ]
    )
    result = await do_import(doc)
    fake_openai.script(Reply(text="Order 7 has shipped."))

    run = await run_agent(result.agent_ids[0], input="And?")

    assert run.stop_reason == "end_turn"
    sent = fake_openai.last_request["messages"]
    assert_no_dangling_tool_call(sent)
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "tool", "assistant", "tool", "user"]
    assert json.loads(sent[3]["content"])["message"] == "shipped"
    assert "no recorded result" in json.loads(sent[4]["content"])["message"]


async def test_an_over_limit_block_refuses_growth_and_accepts_shrinking(providers, fake_openai):
    facts = "\n".join(f"fact {n}: the sky was blue on day {n}" for n in range(8))
    doc = agent_file(blocks=[{"id": "block-0", "label": "notes", "value": facts, "limit": 100}])
    result = await do_import(doc)
    block = await Block.objects.aget(id=result.id_mappings["block-0"])
    assert (block.value, block.limit) == (facts, 100)
    assert result.over_limit_blocks == [{"label": "notes", "chars": len(facts), "limit": 100, "block_id": block.id}]

    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "notes", "new_string": "fact 9: rain"})]),
        Reply(text="I could not add it."),
    )
    run = await run_agent(result.agent_ids[0], input="Remember that it rained.")
    refused = next(m for m in run.messages if m["message_type"] == "tool_return_message")
    assert refused["status"] == "error" and "over its limit" in refused["tool_return"]
    assert (await Block.objects.aget(id=block.id)).value == facts

    fake_openai.script(
        Reply(
            tool_calls=[
                (
                    "memory_replace",
                    {"label": "notes", "old_string": "fact 7: the sky was blue on day 7", "new_string": "fact 7: blue"},
                )
            ]
        ),
        Reply(text="Condensed."),
    )
    run = await run_agent(result.agent_ids[0], input="Condense fact 7.")
    accepted = next(m for m in run.messages if m["message_type"] == "tool_return_message")
    assert accepted["status"] == "success"
    shrunk = await Block.objects.aget(id=block.id)
    assert shrunk.value == facts.replace("the sky was blue on day 7", "blue") and shrunk.limit == 100
