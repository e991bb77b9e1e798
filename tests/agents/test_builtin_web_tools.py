"""The built-ins Letta agents ask for by name (Letta Code's default agent: web_search and fetch_webpage; Letta's
base set: run_code), attached at creation and called by the model in the loop."""

import http.server
import json
import threading

import pytest
from asgiref.sync import sync_to_async

from agents.models import Message, Step
from agents.runtime.loop import run_agent
from agents.runtime.tool_run import run_agent_tool
from agents.services import AgentConfigError
from tests.fakes import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PAGE = b"""<html><head><title>Release notes</title></head><body><nav>Home | Blog</nav><main><h1>Version 2.0</h1>
<p>Version 2.0 adds conversations, a new import format and faster startup for every installation.</p></main>
</body></html>"""


@pytest.fixture
def site(settings):
    class Handler(http.server.BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_an_agent_created_with_the_web_tools_by_name_has_them(make_agent):
    agent = await sync_to_async(make_agent)(tools=["web_search", "fetch_webpage", "run_code"])
    tools = {t.name: t async for t in agent.tools.all()}
    assert {"web_search", "fetch_webpage", "run_code"} <= set(tools)
    assert {tools[n].tool_type for n in ("web_search", "fetch_webpage", "run_code")} == {"letta_builtin"}
    assert tools["fetch_webpage"].json_schema["parameters"]["required"] == ["url"]


async def test_an_unknown_tool_name_is_still_refused(make_agent):
    with pytest.raises(AgentConfigError, match="web_crawl"):
        await sync_to_async(make_agent)(tools=["fetch_webpage", "web_crawl"])


async def test_the_model_fetches_a_page_and_its_text_is_stored_as_the_tool_return(make_agent, fake_openai, site):
    agent = await sync_to_async(make_agent)(tools=["fetch_webpage"])
    fake_openai.script(
        Reply(tool_calls=[("fetch_webpage", {"url": f"{site}/notes"})]),
        Reply(text="Version 2.0 adds conversations."),
    )

    result = await run_agent(agent.id, input="What is new in 2.0?")

    assert result.stop_reason == "end_turn"
    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert tool_return["status"] == "success"
    assert "# Version 2.0" in tool_return["tool_return"] and "Home | Blog" not in tool_return["tool_return"]
    stored = await Message.objects.filter(agent=agent, role=Message.Role.TOOL).alast()
    assert "adds conversations" in stored.tool_returns[0]["func_response"]
    sent_back = [m for m in fake_openai.last_request["messages"] if m["role"] == "tool"]
    assert "adds conversations" in sent_back[-1]["content"]
    step = await Step.objects.filter(run_id=result.run_id).order_by("created_at").afirst()
    assert [t["name"] for t in step.tool_timings] == ["fetch_webpage"]


async def test_a_refused_address_reaches_the_model_as_an_error_and_the_turn_goes_on(make_agent, fake_openai, settings):
    settings.OUTBOUND_ALLOW = []
    agent = await sync_to_async(make_agent)(tools=["fetch_webpage"])
    fake_openai.script(
        Reply(tool_calls=[("fetch_webpage", {"url": "http://169.254.169.254/latest/meta-data/"})]),
        Reply(text="I cannot read that address."),
    )

    result = await run_agent(agent.id, input="read the metadata")

    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert tool_return["status"] == "error" and "not allowed" in tool_return["tool_return"]
    assert result.stop_reason == "end_turn"


async def test_unconfigured_web_search_tells_the_model(make_agent, fake_openai, settings):
    settings.WEB_SEARCH_PROVIDER, settings.EXA_API_KEY, settings.SEARXNG_URL = "auto", None, None
    agent = await sync_to_async(make_agent)(tools=["web_search"])
    fake_openai.script(Reply(tool_calls=[("web_search", {"query": "letta"})]), Reply(text="Search is off."))

    result = await run_agent(agent.id, input="search for letta")

    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert "web search is not configured on this server" in tool_return["tool_return"]


async def test_run_code_in_the_loop_and_through_the_tool_run_route(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(tools=["run_code"])
    fake_openai.script(
        Reply(tool_calls=[("run_code", {"code": "print('hi')\n6 * 7", "language": "python"})]), Reply(text="42.")
    )
    result = await run_agent(agent.id, input="compute 6*7")
    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert json.loads(tool_return["tool_return"])["results"] == ["42"]

    direct = await run_agent_tool(agent.id, agent.organization_id, "run_code", {"code": "1 + 1", "language": "python"})
    assert direct.ok and json.loads(direct.func_return)["results"] == ["2"]


async def test_a_fetch_that_needs_approval_runs_only_once_approved(make_agent, fake_openai, site):
    agent = await sync_to_async(make_agent)(
        tools=["fetch_webpage"], tool_rules=[{"type": "requires_approval", "tool_name": "fetch_webpage"}]
    )
    fake_openai.script(Reply(tool_calls=[("fetch_webpage", {"url": f"{site}/notes"})]))
    first = await run_agent(agent.id, input="What is new in 2.0?")
    assert first.stop_reason == "requires_approval"
    assert not any(m["message_type"] == "tool_return_message" for m in first.messages)

    fake_openai.script(Reply(text="Conversations."))
    call_id = first.messages[-1]["tool_call"]["tool_call_id"]
    result = await run_agent(
        agent.id, [{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": True}]}]
    )

    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert tool_return["status"] == "success" and "adds conversations" in tool_return["tool_return"]
    assert result.stop_reason == "end_turn"
