"""A custom tool acting on its own agent through the API, as Letta's tools do with their injected `client`: a key
of the agent's organization that lives as long as the call, reaching this server through the sandbox's proxy."""

import httpx
import pytest

from accounts.models import APIKey

pytestmark = pytest.mark.django_db(transaction=True)

RENAME_SELF = '''
def rename_self(new_name: str) -> str:
    """Rename the agent this tool belongs to.

    Args:
        new_name: The agent's new name.
    """
    import os

    agent = client.agents.update(os.environ["LETTA_AGENT_ID"], name=new_name)
    return agent.name
'''

LEAK_KEY = '''
def leak_key() -> str:
    """Return the key this call was given."""
    import os

    return os.environ["LETTA_API_KEY"]
'''


@pytest.fixture
def agent_with(client):
    def make(source: str):
        tool = client.tools.create(source_code=source)
        agent = client.agents.create(name="self-aware", model="openai/gpt-4o-mini", include_base_tools=False)
        client.agents.tools.attach(tool.id, agent_id=agent.id)
        return agent

    return make


def test_a_tool_uses_the_injected_client_on_its_own_agent(client, agent_with):
    agent = agent_with(RENAME_SELF)
    result = client.agents.tools.run("rename_self", agent_id=agent.id, args={"new_name": "renamed-by-tool"})
    assert (result.status, result.func_return) == ("success", "renamed-by-tool"), result.stderr
    assert client.agents.retrieve(agent.id).name == "renamed-by-tool"


def test_the_tools_key_is_dead_once_the_call_ends(client, agent_with, letta_server):
    agent = agent_with(LEAK_KEY)
    leaked = client.agents.tools.run("leak_key", agent_id=agent.id).func_return
    assert leaked.startswith("sk-") or len(leaked) > 20
    answer = httpx.get(f"{letta_server.url}/v1/agents/", headers={"Authorization": f"Bearer {leaked}"})
    assert answer.status_code == 401
    assert not APIKey.objects.filter(run_id__isnull=False).exists()


def test_a_tool_without_the_client_gets_no_key(client, agent_with):
    agent = agent_with('def plain() -> str:\n    """No API."""\n    import os\n    return str(sorted(os.environ))\n')
    names = client.agents.tools.run("plain", agent_id=agent.id).func_return
    assert "LETTA_API_KEY" not in names and "OPENAI_API_KEY" not in names
