"""The PostgreSQL connection pool stays whole under every kind of traffic: each kind of request, run, tool call and
stream, several times more often than the pool has connections, against a live server whose pool is tiny; then
the server still answers at once. A path that kept a pooled connection (a thread that never gave it back) would
have drained the pool, and every later request would wait for a connection, then answer 503.
"""

import httpx
import pytest
from django.db import connection

from accounts import services as accounts
from agents.models import Run
from tests.api.live_server import LiveServer
from tests.api.test_concurrency import _server_env
from tests.fakes import Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

POOL_MAX = 2
ROUNDS = POOL_MAX + 2  # each kind more often than there are connections: one kept per use would drain the pool
SEND = {"messages": [{"role": "user", "content": "Remember that my name is Ada."}]}


@pytest.fixture
def small_pool_server(fake_openai_server, fake_anthropic_server):
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (SQLite needs none)")
    env = _server_env(
        fake_openai_server,
        fake_anthropic_server,
        "letta-pool",
        LETTA_DB_POOL_MAX=str(POOL_MAX),
        LETTA_DB_POOL_TIMEOUT="3",
    )
    server = LiveServer(env)
    yield server
    server.close()


def _answer_with_a_tool_call(request):
    # A step that calls a memory tool, then one that answers: each send writes, runs a tool and steps twice.
    if request["messages"][-1].get("role") == "tool":
        return Reply(text="Noted, Ada.")
    return Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada"})])


def test_the_pool_is_whole_after_every_kind_of_traffic(small_pool_server, make_agent, org, fake_openai):
    fake_openai.responder = _answer_with_a_tool_call
    key = accounts.create_api_key(organization_id=org.id, name="pool")[1]
    client = httpx.Client(base_url=small_pool_server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    agent_ids = [make_agent(name=f"pool-{i}").id for i in range(ROUNDS)]

    for agent_id in agent_ids:
        _every_kind_of_request(client, agent_id)

    # Every connection is back: more requests at once than the pool holds are all served.
    answers = [client.get("/v1/agents/", params={"limit": 1}) for _ in range(ROUNDS)]
    assert [a.status_code for a in answers] == [200] * ROUNDS, answers[-1].text
    assert Run.objects.filter(agent_id__in=agent_ids, stop_reason="end_turn").count() == 5 * ROUNDS
    assert not _connections_in_transaction("letta-pool")


def _every_kind_of_request(client: httpx.Client, agent_id: str) -> None:
    assert client.post(f"/v1/agents/{agent_id}/messages", json=SEND).status_code == 200
    with client.stream("POST", f"/v1/agents/{agent_id}/messages/stream", json=SEND) as streamed:
        assert streamed.status_code == 200
        assert "[DONE]" in streamed.read().decode()
    _wait_idle(agent_id)
    # A reader that leaves at once: its run goes on without it.
    with client.stream("POST", f"/v1/agents/{agent_id}/messages/stream", json=SEND) as left:
        assert left.status_code == 200
        next(left.iter_bytes())
    _wait_idle(agent_id)
    run = client.post(f"/v1/agents/{agent_id}/messages/async", json=SEND)
    assert run.status_code == 200, run.text
    _wait_idle(agent_id)
    background = {**SEND, "streaming": True, "background": True}
    with client.stream("POST", f"/v1/agents/{agent_id}/messages", json=background) as kept:
        assert kept.status_code == 200
        assert "[DONE]" in kept.read().decode()
    _wait_idle(agent_id)
    assert client.get(f"/v1/agents/{agent_id}/messages", params={"limit": 5}).status_code == 200
    assert client.get("/v1/runs/", params={"agent_id": agent_id, "limit": 5}).status_code == 200


def _wait_idle(agent_id: str) -> None:
    wait_until(
        lambda: not Run.objects.filter(agent_id=agent_id, completed_at=None).exists(),
        message="the agent's run to end",
        timeout=60,
    )


def _connections_in_transaction(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s "
            "AND state LIKE 'idle in transaction%%'",
            [name],
        )
        return cursor.fetchone()[0]
