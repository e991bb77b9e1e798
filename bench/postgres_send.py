"""One send's cost on PostgreSQL, with and without the connection pool (LETTA_DB_POOL_MAX).

For each pool size: the median of sequential sends over HTTP to one real daphne process with an instant fake
provider (as `python -m bench concurrency` measures a lone send), and the PostgreSQL sessions opened per send
(pg_stat_database.sessions): without a pool every request opens one, which is most of PostgreSQL's cost over SQLite.
Before both, the queries one send runs (counted in this process through Django's test client), a figure that does
not depend on how loaded the machine is.

`python -m bench postgres` (`--sends N`, `--pool 0 20`).
"""

import argparse
import time

from bench.concurrency import make_agents, per_send_ms, use_database, use_throwaway_postgres
from bench.setup import django_on_scratch_db, fake_openai_provider

STATS_FLUSH_SECONDS = 1.5  # PostgreSQL publishes a backend's statistics up to a second late


def queries_per_send(agent_id: str, key: str, sends: int = 5) -> float:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Bearer {key}"}, HTTP_HOST="localhost")
    body = {"messages": [{"role": "user", "content": "hello"}]}
    client.post(f"/v1/agents/{agent_id}/messages", body, content_type="application/json")  # warm caches
    with CaptureQueriesContext(connection) as captured:
        for _ in range(sends):
            answer = client.post(f"/v1/agents/{agent_id}/messages", body, content_type="application/json")
            assert answer.status_code == 200, answer.content
    return len(captured.captured_queries) / sends


def sessions_opened() -> int:
    from django.db import connection

    time.sleep(STATS_FLUSH_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def measure(pool: int, agent_id: str, key: str, sends: int, fake) -> tuple[float, float]:
    """(median ms of a lone send, PostgreSQL sessions opened per send) against a server with a pool of `pool`."""
    from django.conf import settings

    from tests.api.live_server import LiveServer
    from tests.postgres import database_env

    server = LiveServer(
        {
            **database_env(settings.DATABASES["default"]),
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "sk-bench",
            "LETTA_LLM_MAX_RETRIES": "0",
            "LETTA_DB_POOL_MAX": str(pool),
        }
    )
    try:
        per_send_ms(server.port, agent_id, key, 3)  # warm: imports, first connections, caches
        before = sessions_opened()
        lone = per_send_ms(server.port, agent_id, key, sends)
        opened = sessions_opened() - before  # this process looks through the one session it keeps
    finally:
        server.close()
    return lone, opened / sends


def main(sends: int = 50, pools: tuple[int, ...] = (0, 20)) -> None:
    django_on_scratch_db()
    from django.conf import settings

    from tests.fakes import Reply

    fake = fake_openai_provider(lambda request: Reply(text="hi"))
    embedded = dict(settings.DATABASES["default"])
    server = use_throwaway_postgres()
    rows = []
    try:
        agent_ids, key = make_agents(1 + len(pools))
        rows.append(f"  queries per send (in process, any pool): {queries_per_send(agent_ids[0], key):.1f}")
        # Each pool size sends to an agent of its own: the context of one agent grows with every send, and the
        # second size measured on the same agent paid for the first one's messages.
        for pool, agent_id in zip(pools, agent_ids[1:], strict=True):
            lone, opened = measure(pool, agent_id, key, sends, fake)
            label = f"pool {pool}" if pool else "no pool"
            rows.append(f"  {label:<8} one send alone: median {lone:.1f} ms, {opened:.2f} new sessions per send")
    finally:
        use_database(embedded)
        server.cleanup()
        fake.close()
    print(f"PostgreSQL, one send at a time, instant provider ({sends} sends, one daphne)")
    for row in rows:
        print(row)


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench postgres", description=__doc__)
    parser.add_argument("--sends", type=int, default=50)
    parser.add_argument("--pool", type=int, nargs="+", default=[0, 20], help="LETTA_DB_POOL_MAX values to compare")
    args = parser.parse_args(argv)
    main(sends=args.sends, pools=tuple(args.pool))


if __name__ == "__main__":
    cli()
