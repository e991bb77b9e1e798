"""The official `letta-client` SDK against a live server: editing and running tools, the built-ins, embedding
models. Routes the SDK 1.12 has no method for (`/v1/tools/run`, `/v1/tools/add-base-tools`) are called through
its generic `client.post`, as a user of the SDK would."""

import pytest
from letta_client import BadRequestError, Letta, NotFoundError

from accounts.models import Organization
from tests.api.test_sdk import create_agent, sdk

pytestmark = pytest.mark.django_db(transaction=True)

LOOKUP = '''
def lookup(city: str) -> str:
    """Look up the weather of a city.

    Args:
        city: The city.
    """
    return "sunny in " + city
'''

LOOKUP_V2 = '''
def lookup(city: str, days: int = 1) -> str:
    """Look up the weather forecast of a city.

    Args:
        city: The city.
        days: How many days ahead.
    """
    print("forecasting", days)
    return f"sunny in {city} for {days} days"
'''


@pytest.fixture
def outsider(letta_server) -> Letta:
    return sdk(letta_server, Organization.objects.create(name="outsider"))


def test_update_a_tools_source_and_see_the_new_schema(client):
    tool = client.tools.create(source_code=LOOKUP)
    updated = client.tools.update(tool.id, source_code=LOOKUP_V2, tags=["weather"])
    assert set(updated.json_schema["parameters"]["properties"]) == {"city", "days"}
    assert updated.description.startswith("Look up the weather forecast") and updated.tags == ["weather"]
    assert client.tools.retrieve(tool.id).source_code == LOOKUP_V2

    with pytest.raises(BadRequestError, match="syntax error"):
        client.tools.update(tool.id, source_code="def lookup(:\n")
    assert client.tools.retrieve(tool.id).source_code == LOOKUP_V2


def test_run_a_tool_from_source(client):
    result = client.post(
        "/v1/tools/run", cast_to=object, body={"source_code": LOOKUP_V2, "args": {"city": "Oslo", "days": 2}}
    )
    assert result["status"] == "success" and result["tool_return"] == "sunny in Oslo for 2 days"
    assert result["stdout"] == ["forecasting 2"]

    crash = client.post(
        "/v1/tools/run",
        cast_to=object,
        body={"source_code": "def crash() -> str:\n    '''Crash.'''\n    return 1 / 0\n", "args": {}},
    )
    assert crash["status"] == "error" and "ZeroDivisionError" in crash["tool_return"]


def test_add_base_tools_then_filter_the_list(client):
    client.tools.create(source_code=LOOKUP)
    base = client.post("/v1/tools/add-base-tools", cast_to=object, body={})
    assert {"memory_replace", "conversation_search", "send_message"} <= {t["name"] for t in base}

    custom = [t.name for t in client.tools.list(tool_types=["custom"])]
    assert custom == ["lookup"]
    letta_only = {t.name for t in client.tools.list(return_only_letta_tools=True)}
    assert "lookup" not in letta_only and "memory_insert" in letta_only
    assert {t.name for t in client.tools.list(names=["lookup", "send_message"])} == {"lookup", "send_message"}
    # The auto-pager walks every page and stops.
    assert len(list(client.tools.list(limit=2))) == len(base) + 1


def test_run_an_agents_tools(client, outsider):
    agent = create_agent(client)
    result = client.agents.tools.run(
        "memory_insert", agent_id=agent.id, args={"label": "human", "new_string": "Lives in Oslo"}
    )
    assert result.status == "success"
    assert "Lives in Oslo" in client.agents.blocks.retrieve("human", agent_id=agent.id).value

    failed = client.agents.tools.run(
        "memory_replace", agent_id=agent.id, args={"label": "nope", "old_string": "a", "new_string": "b"}
    )
    assert failed.status == "error" and "nope" in str(failed.func_return)

    tool = client.tools.create(source_code=LOOKUP)
    client.agents.tools.attach(tool.id, agent_id=agent.id)
    assert client.agents.tools.run("lookup", agent_id=agent.id, args={"city": "Rome"}).func_return == "sunny in Rome"

    with pytest.raises(NotFoundError):
        outsider.agents.tools.run("lookup", agent_id=agent.id, args={"city": "Rome"})
    with pytest.raises(NotFoundError):
        outsider.tools.update(tool.id, description="stolen")
    assert client.tools.retrieve(tool.id).description == "Look up the weather of a city."


def test_embedding_models_are_listed(client, fake_openai):
    fake_openai.models = ["gpt-4.1-mini", "text-embedding-3-small"]
    models = client.models.embeddings.list()
    assert [m.handle for m in models] == ["openai/text-embedding-3-small"]
    assert models[0].embedding_dim == 1536 and models[0].provider_name == "openai"


def test_search_tools_by_words(client):
    client.tools.create(source_code=LOOKUP, tags=["weather"])
    client.tools.create(
        source_code='def convert(amount: float) -> float:\n    """Convert euros to dollars."""\n'
        "    return amount * 1.1\n"
    )
    results = client.tools.search(query="weather forecast", search_mode="fts")
    assert [r.tool.name for r in results] == ["lookup"] and results[0].fts_rank == 1
    assert [r.tool.name for r in client.tools.search(query="euros")] == ["convert"]
    assert [r.tool.name for r in client.tools.search(tags=["weather"])] == ["lookup"]
    with pytest.raises(BadRequestError, match="cannot search them by vector"):
        client.tools.search(query="weather", search_mode="vector")
