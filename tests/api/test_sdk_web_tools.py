"""Letta Code's default agent asks for web_search and fetch_webpage by name: through the real SDK, the agent is
created with them and a call reaches the model as a tool return."""

import pytest

from tests.api.helpers import create_agent
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_created_with_the_web_tools_by_name_has_them_and_can_call_them(client, fake_openai):
    agent = create_agent(client, tools=["web_search", "fetch_webpage"])

    attached = {t.name: t for t in client.agents.tools.list(agent.id)}
    assert {"web_search", "fetch_webpage"} <= set(attached)
    assert attached["fetch_webpage"].tool_type == "letta_builtin"
    assert attached["web_search"].json_schema["parameters"]["required"] == ["query"]

    fake_openai.script(
        Reply(tool_calls=[("fetch_webpage", {"url": "http://169.254.169.254/latest/meta-data/"})]),
        Reply(text="That address is off limits."),
    )
    response = client.agents.messages.create(agent.id, input="read the cloud metadata")

    tool_return = next(m for m in response.messages if m.message_type == "tool_return_message")
    assert tool_return.status == "error" and "not allowed" in tool_return.tool_return
    assert response.stop_reason.stop_reason == "end_turn"
