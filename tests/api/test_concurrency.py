"""Bursts against one live server, as a user's load brings them: a hundred and fifty sends at once are all answered
(on PostgreSQL through a pool far smaller than the burst, which they queue for); a request that gets no database
connection in time is told the server is busy (503), never a 500; and parallel first uses of a new organization all
succeed, its built-in tools created once.

Each test that needs settings of its own starts its own daphne; nothing here asserts on time.
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from accounts import services as accounts
from accounts.api_errors import exception_handler
from accounts.models import Organization
from agents.models import Message, Run
from bench.concurrency import burst
from letta_project.db import PoolExhaustedMiddleware
from tests.api.live_server import LiveServer, live_server_env
from tests.fakes import Reply
from tests.postgres import database_env
from tests.waiting import wait_until
from tools.builtin import BUILTIN_TOOLS
from tools.models import Tool

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 150
POOL_MAX = 4  # far below the burst: on PostgreSQL the sends must take turns with the connections
SAMPLE_INTERVAL = 0.01


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _server_env(fake_openai_server, fake_anthropic_server, name: str, **extra: str) -> dict[str, str]:
    """A live server's environment; on PostgreSQL its connections carry `name`, so the test can count them."""
    env = live_server_env(fake_openai_server, fake_anthropic_server, **extra)
    if _postgres():
        entry = settings.DATABASES["default"]
        env |= database_env({**entry, "OPTIONS": {**entry.get("OPTIONS", {}), "application_name": name}})
    return env


@pytest.fixture
def start_server(fake_openai_server, fake_anthropic_server):
    started = []

    def start(name: str, **extra: str) -> LiveServer:
        server = LiveServer(_server_env(fake_openai_server, fake_anthropic_server, name, **extra))
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def _connections_of(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [name],
        )
        return cursor.fetchone()[0]


class PeakConnections:
    """The most connections the server named `name` had open at once, sampled from a thread of the test."""

    def __init__(self, name: str) -> None:
        self.name, self.peak = name, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        try:
            while not self._stop.wait(SAMPLE_INTERVAL):
                self.peak = max(self.peak, _connections_of(self.name))
        finally:
            connection.close()


def test_a_burst_of_sends_is_answered_in_full_through_a_small_pool(start_server, make_agent, org, fake_openai):
    server = start_server("letta-burst", LETTA_DB_POOL_MAX=str(POOL_MAX))
    agent_ids = [make_agent(name=f"burst-{i}", blocks=[]).id for i in range(BURST)]
    key = accounts.create_api_key(organization_id=org.id, name="burst")[1]
    fake_openai.responder = lambda request: Reply(text="Yes, here.", delay=0.5)

    with PeakConnections("letta-burst") if _postgres() else _Unsampled() as sampled:
        _, sends = asyncio.run(burst(server.port, agent_ids, key))

    refused = [line for line in server.output().splitlines() if '" 200 ' not in line]
    assert [failure for failure, _ in sends if failure] == [], "\n".join(refused)[-8000:]
    answered = Message.objects.filter(agent_id__in=agent_ids, role="assistant", text="Yes, here.")
    assert answered.count() == BURST
    assert Run.objects.filter(agent_id__in=agent_ids, stop_reason="end_turn").count() == BURST
    if _postgres():
        # Each send gave its connection back while the model took its time: the pool's few served all of them
        # (plus the one the lease thread keeps outside the pool, so a busy pool never stalls lease renewals).
        assert 1 <= sampled.peak <= POOL_MAX + 1


class _Unsampled:
    peak = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def test_a_send_that_gets_no_connection_in_time_is_told_the_server_is_busy(start_server, make_agent, org, fake_openai):
    if not _postgres():
        pytest.skip("the connection pool is PostgreSQL's (SQLite needs none)")
    server = start_server("letta-dry", LETTA_DB_POOL_MAX="1", LETTA_DB_POOL_TIMEOUT="1", LETTA_RUN_SWEEP="0")
    agent = make_agent()
    key = accounts.create_api_key(organization_id=org.id, name="dry pool")[1]
    headers = {"Authorization": f"Bearer {key}"}
    send = {"messages": [{"role": "user", "content": "hello"}]}
    with ThreadPoolExecutor(1) as pool:
        with transaction.atomic():
            # The test holds the keys' table, so the first request takes the pool's only connection and waits.
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE accounts_apikey IN ACCESS EXCLUSIVE MODE")
            first = pool.submit(
                httpx.post, f"{server.url}/v1/agents/{agent.id}/messages", json=send, headers=headers, timeout=60
            )
            wait_until(lambda: _waiting_on_a_lock("letta-dry"), message="the first send to hold the connection")

            busy = httpx.post(f"{server.url}/v1/agents/{agent.id}/messages", json=send, headers=headers, timeout=60)
            listed = httpx.get(f"{server.url}/v1/agents/", headers=headers, timeout=60)  # a DRF route
        assert first.result().status_code == 200  # the lock is gone: the first send went through

    for answer in (busy, listed):
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"]
        assert "too busy" in answer.json()["detail"] and "LETTA_DB_POOL_MAX" in answer.json()["detail"]
    assert Run.objects.filter(agent=agent).count() == 1  # the refused send started nothing


def _waiting_on_a_lock(name: str) -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL answers from one snapshot of the activity, taken at its first look.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s "
            "AND wait_event_type = 'Lock'",
            [name],
        )
        return cursor.fetchone()[0] > 0


def test_pool_exhaustion_answers_503_on_both_kinds_of_route():
    """What the two places that answer errors make of Django's wrapping of the pool's timeout."""
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 1.00 sec")
        except PoolTimeout as cause:
            raise OperationalError(str(cause)) from cause
    except OperationalError as wrapped:
        error = wrapped

    drf = exception_handler(error, {})
    plain = PoolExhaustedMiddleware(lambda request: None).process_exception(RequestFactory().post("/v1/x/"), error)
    page = PoolExhaustedMiddleware(lambda request: None).process_exception(RequestFactory().get("/ade/"), error)

    assert drf.status_code == plain.status_code == page.status_code == 503
    assert "too busy" in drf.data["detail"] and b"too busy" in plain.content and b"too busy" in page.content
    other = OperationalError("server closed the connection unexpectedly")
    assert PoolExhaustedMiddleware(lambda request: None).process_exception(RequestFactory().get("/"), other) is None


def test_parallel_first_agent_creations_in_a_new_organization_all_succeed(letta_server):
    """The first agents of an organization create its built-in tools; several created at once must not collide."""
    fresh = Organization.objects.create(name="fresh")
    key = accounts.create_api_key(organization_id=fresh.id, name="first use")[1]

    def create(i: int) -> httpx.Response:
        return httpx.post(
            f"{letta_server.url}/v1/agents/",
            json={"name": f"first-{i}", "model": "openai/gpt-4.1-mini"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(create, range(8)))

    assert [a.status_code for a in answers if a.status_code != 200] == [], [a.text for a in answers]
    names = list(Tool.objects.filter(organization=fresh).values_list("name", flat=True))
    assert sorted(names) == sorted(set(names))  # each built-in once
    first_tools = {t["name"] for t in answers[0].json()["tools"]}
    assert first_tools and first_tools <= set(BUILTIN_TOOLS)
    assert all({t["name"] for t in a.json()["tools"]} == first_tools for a in answers)
