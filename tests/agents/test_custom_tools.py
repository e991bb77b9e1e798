"""A custom tool from Python source: its schema reaches the model, and its calls run in the sandbox."""

import pytest
from asgiref.sync import sync_to_async

from agents import services
from agents.runtime.loop import run_agent
from tests.fakes import Reply
from tools.services import ToolDefinitionError, upsert_tool_from_source

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = '''
import os

def get_weather(city: str, days: int = 1) -> str:
    """Look up the weather forecast.

    Args:
        city: The city to look up.
        days: How many days ahead.
    """
    print("looking up", city)
    return f"{city}: sunny for {days} days (key {os.environ.get('WEATHER_KEY')})"
'''


async def attach(agent, source, **kwargs):
    tool = await sync_to_async(upsert_tool_from_source)(
        organization_id=agent.organization_id, source_code=source, **kwargs
    )
    await sync_to_async(services.attach_tool)(agent, tool)
    return tool


async def test_custom_tool_is_offered_and_runs_with_the_agents_secrets(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    agent.secrets = {"WEATHER_KEY": "abc123"}
    await agent.asave(update_fields=["secrets"])
    await attach(agent, WEATHER)
    fake_openai.script(Reply(tool_calls=[("get_weather", {"city": "Oslo", "days": 3})]), Reply(text="Sunny!"))

    result = await run_agent(agent.id, input="weather in Oslo?")

    offered = {t["function"]["name"]: t["function"] for t in fake_openai.requests[0]["tools"]}
    assert offered["get_weather"]["parameters"]["required"] == ["city"]
    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert tool_return["status"] == "success"
    assert tool_return["tool_return"] == "Oslo: sunny for 3 days (key abc123)"
    assert tool_return["stdout"] == ["looking up Oslo"]
    assert result.stop_reason == "end_turn"


async def test_a_crashing_custom_tool_reports_the_error_to_the_model(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    await attach(agent, 'def explode() -> str:\n    """Fail."""\n    raise RuntimeError("kaboom")\n')
    fake_openai.script(Reply(tool_calls=[("explode", {})]), Reply(text="That failed."))

    result = await run_agent(agent.id, input="try it")

    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert tool_return["status"] == "error" and "RuntimeError: kaboom" in tool_return["tool_return"]
    assert result.stop_reason == "end_turn"


async def test_a_tool_that_requires_approval_runs_once_approved(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    await attach(agent, WEATHER, default_requires_approval=True)
    fake_openai.script(Reply(tool_calls=[("get_weather", {"city": "Rome"})]))
    first = await run_agent(agent.id, input="weather in Rome?")
    assert first.stop_reason == "requires_approval"

    fake_openai.script(Reply(text="Rome is sunny."))
    call_id = first.messages[-1]["tool_call"]["tool_call_id"]
    result = await run_agent(
        agent.id, [{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": True}]}]
    )

    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert tool_return["tool_return"].startswith("Rome: sunny for 1 days")


def test_source_without_a_docstring_is_refused_with_a_clear_message(org):
    with pytest.raises(ToolDefinitionError, match="docstring"):
        upsert_tool_from_source(organization_id=org.id, source_code="def f(x: int) -> int:\n    return x\n")


def test_a_custom_tool_cannot_take_a_builtin_name(org):
    with pytest.raises(ToolDefinitionError, match="built-in"):
        upsert_tool_from_source(
            organization_id=org.id,
            source_code='def send_message(message: str) -> str:\n    """Send."""\n    return message\n',
        )
