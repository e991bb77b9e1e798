"""An agent calling an MCP tool in its loop: the call goes to the real server, the return is stored, approvals hold,
and a server that hangs ends the call with a clear error, not a stuck run."""

import json

import pytest
from asgiref.sync import sync_to_async

from agents import services as agent_services
from agents.models import Message, Run
from agents.runtime.loop import run_agent
from tests.fakes import Reply
from tests.mcp.servers import HANGING, TIME
from tools.mcp import services
from tools.models import MCPServer, Tool

pytestmark = pytest.mark.django_db(transaction=True)


async def agent_with(make_agent, org, name, config):
    server, _ = await services.create_server(org.id, name, config)
    agent = await sync_to_async(make_agent)()
    for tool in await sync_to_async(list)(services.server_tools(server)):
        await sync_to_async(agent_services.attach_tool)(agent, tool)
    return agent, server


def tool_return_of(result):
    return next(m for m in result.messages if m["message_type"] == "tool_return_message")


async def test_the_model_calls_get_current_time_and_the_return_is_stored(make_agent, org, fake_openai):
    agent, _ = await agent_with(make_agent, org, "time", TIME)
    fake_openai.script(
        Reply(tool_calls=[("get_current_time", {"timezone": "Asia/Tokyo"})]), Reply(text="It is evening in Tokyo.")
    )

    result = await run_agent(agent.id, input="What time is it in Tokyo?")

    offered = {t["function"]["name"]: t["function"] for t in fake_openai.requests[0]["tools"]}
    assert offered["get_current_time"]["parameters"]["required"] == ["timezone"]
    ret = tool_return_of(result)
    assert ret["status"] == "success" and json.loads(ret["tool_return"])["timezone"] == "Asia/Tokyo"
    assert result.stop_reason == "end_turn"
    stored = await Message.objects.filter(agent=agent, role="tool").alast()
    assert "Asia/Tokyo" in json.dumps(stored.tool_returns)
    # The model saw the return in its next request.
    assert "Asia/Tokyo" in json.dumps(fake_openai.requests[1]["messages"][-1])


async def test_an_mcp_tool_that_needs_approval_runs_once_approved(make_agent, org, fake_openai):
    agent, _ = await agent_with(make_agent, org, "time", TIME)
    await sync_to_async(agent_services.set_tool_approval)(agent, "get_current_time", True)
    fake_openai.script(Reply(tool_calls=[("get_current_time", {"timezone": "UTC"})]))

    first = await run_agent(agent.id, input="time?")
    assert first.stop_reason == "requires_approval"
    assert len(fake_openai.requests) == 1

    fake_openai.script(Reply(text="Done."))
    call_id = first.messages[-1]["tool_call"]["tool_call_id"]
    result = await run_agent(
        agent.id, [{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": True}]}]
    )
    assert json.loads(tool_return_of(result)["tool_return"])["timezone"] == "UTC"


async def test_a_hanging_server_gives_the_model_a_timeout_error_and_the_run_ends(
    make_agent, org, fake_openai, settings
):
    agent, server = await agent_with(make_agent, org, "time", TIME)
    settings.MCP_TIMEOUT_SECONDS = 2
    # The server now hangs: it starts and never answers.
    await MCPServer.objects.filter(pk=server.pk).aupdate(command=HANGING["command"], args=HANGING["args"])
    fake_openai.script(Reply(tool_calls=[("get_current_time", {"timezone": "UTC"})]), Reply(text="The clock is down."))

    result = await run_agent(agent.id, input="time?")

    ret = tool_return_of(result)
    assert ret["status"] == "error"
    assert ret["tool_return"] == "Error: MCP server 'time' did not answer within 2 s (LETTA_MCP_TIMEOUT_SECONDS)."
    assert result.stop_reason == "end_turn"
    run = await Run.objects.aget(pk=result.run_id)
    assert run.status == "completed"


async def test_a_tool_whose_server_was_deleted_tells_the_model(make_agent, org, fake_openai):
    agent, server = await agent_with(make_agent, org, "time", TIME)
    tool = await Tool.objects.aget(organization=org, name="get_current_time")
    await MCPServer.objects.filter(pk=server.pk).adelete()  # the row goes, the tool stays attached
    fake_openai.script(Reply(tool_calls=[("get_current_time", {"timezone": "UTC"})]), Reply(text="Gone."))

    result = await run_agent(agent.id, input="time?")

    assert "MCP server of this tool was deleted" in tool_return_of(result)["tool_return"]
    assert await agent.tools.filter(pk=tool.pk).aexists()
