"""The escapes of issue 15 through the real server: a second organization's key runs a tool with
`POST /v1/tools/run` against the live daphne, and an agent's custom tool runs in the loop."""

import json

import httpx
import pytest
from asgiref.sync import sync_to_async

from agents import services
from agents.models import Message
from agents.runtime.loop import run_agent
from tests.api.live_server import sdk
from tests.fakes import Reply
from tools.services import upsert_tool_from_source

pytestmark = pytest.mark.django_db(transaction=True)


def run_on_server(client, source: str, args: dict | None = None) -> dict:
    return client.post("/v1/tools/run", cast_to=object, body={"source_code": source, "args": args or {}})


def test_a_tool_cannot_read_the_servers_environment_or_kill_it(letta_server, other_org):
    client = sdk(letta_server, other_org)
    source = """
import os
def attack() -> str:
    "Read the server environment, then kill it."
    seen = b""
    for pid in [os.getppid(), 1] + [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                seen += f.read()
        except OSError:
            pass
    try:
        os.kill(os.getppid(), 9)
    except OSError:
        pass
    return repr(seen) + repr(dict(os.environ))
"""
    result = run_on_server(client, source)
    assert "sk-test" not in json.dumps(result) and "sk-ant-test" not in json.dumps(result)
    assert "DJANGO" not in json.dumps(result) and "DATABASE" not in json.dumps(result)
    assert httpx.get(f"{letta_server.url}/v1/health/").status_code == 200


def test_a_tool_cannot_connect_to_the_server(letta_server, other_org):
    client = sdk(letta_server, other_org)
    source = """
import socket
def connect(port: int) -> str:
    '''Connect to a port.

    Args:
        port: The port on 127.0.0.1.
    '''
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        return "CONNECTED"
    except OSError as exc:
        return "refused " + type(exc).__name__
"""
    result = run_on_server(client, source, {"port": letta_server.port})
    assert result["tool_return"].startswith("refused")


FLOOD = '''
import sys

def flood() -> str:
    """Print twenty megabytes."""
    for _ in range(20):
        sys.stdout.write("z" * (1 << 20) + "\\n")
    return "printed"
'''


async def test_an_agents_tool_output_is_stored_bounded(make_agent, fake_openai, settings):
    agent = await sync_to_async(make_agent)()
    tool = await sync_to_async(upsert_tool_from_source)(organization_id=agent.organization_id, source_code=FLOOD)
    await sync_to_async(services.attach_tool)(agent, tool)
    fake_openai.script(Reply(tool_calls=[("flood", {})]), Reply(text="Done."))

    await run_agent(agent.id, input="flood it")

    stored = [m async for m in Message.objects.filter(agent_id=agent.id, role="tool")]
    assert stored
    size = sum(len(json.dumps([m.content, m.text, m.tool_returns])) for m in stored)
    assert size < 4 * settings.TOOL_OUTPUT_MAX_BYTES
    assert "output cut" in json.dumps(stored[0].tool_returns)
