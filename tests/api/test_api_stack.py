"""The REST API's own middleware stack and shared threads (letta_project/middleware.py, letta_project/db.py), seen
from outside on the live server: an API answer keeps the headers the pages' stack gave it and brings no browser
state, and sends served at once on a couple of shared threads each get their own answer and history."""

import asyncio
import json
import threading

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from accounts import services as accounts
from accounts.models import Organization
from agents import services
from agents.models import Message, Run
from letta_project import db
from tests.api.live_server import LiveServer, live_server_env

pytestmark = pytest.mark.django_db(transaction=True)


def _key() -> str:
    _, key = accounts.create_api_key(organization_id=Organization.default().id, name="stack")
    return key


def test_an_api_answer_has_the_security_headers_and_no_browser_state(letta_server):
    key = _key()
    answer = httpx.get(f"{letta_server.url}/v1/agents/", headers={"Authorization": f"Bearer {key}"})

    assert answer.status_code == 200
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Content-Length"] == str(len(answer.content))
    assert "set-cookie" not in answer.headers  # no session, no CSRF token
    assert "Cookie" not in answer.headers.get("Vary", "")


def test_api_refusals_are_still_json(letta_server):
    unknown = httpx.get(f"{letta_server.url}/v1/no-such-route/")
    assert unknown.status_code == 404 and "detail" in unknown.json()
    nul = httpx.get(f"{letta_server.url}/v1/agents/", params={"name": "a\x00b"}, headers={"Authorization": "Bearer x"})
    assert nul.status_code == 422 and "query parameter" in nul.json()["detail"]
    no_key = httpx.post(f"{letta_server.url}/v1/agents/agent-x/messages", json={"input": "hi"})
    assert no_key.status_code == 401 and no_key.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_pages_keep_their_session_and_csrf(letta_server):
    login = httpx.get(f"{letta_server.url}/ade/login/")
    assert login.status_code == 200
    assert "csrftoken" in login.cookies


def test_concurrent_sends_on_two_shared_threads_each_get_their_own_answer_and_history(
    fake_openai, fake_openai_server, fake_anthropic_server
):
    org = Organization.default()
    agents = [
        services.create_agent(organization_id=org.id, name=f"lane-{i}", model="openai/gpt-4.1-mini") for i in range(24)
    ]
    key = _key()

    def echo(request):
        from tests.fakes import Reply

        said = request["messages"][-1]["content"]
        return Reply(text=f"you said {said if isinstance(said, str) else said[0]['text']}", delay=0.2)

    fake_openai.responder = echo
    server = LiveServer({**live_server_env(fake_openai_server, fake_anthropic_server), "LETTA_SYNC_THREADS": "2"})
    try:

        async def burst():
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                return await asyncio.gather(
                    *(
                        http.post(
                            f"/v1/agents/{agent.id}/messages",
                            json={"messages": [{"role": "user", "content": f"word {agent.name}"}]},
                            headers={"Authorization": f"Bearer {key}"},
                        )
                        for agent in agents
                    )
                )

        answers = asyncio.run(burst())
        for agent, answer in zip(agents, answers, strict=True):
            assert answer.status_code == 200, answer.text
            said = [m["content"] for m in answer.json()["messages"] if m["message_type"] == "assistant_message"]
            assert said == [f"you said word {agent.name}"]
            history = httpx.get(
                f"{server.url}/v1/agents/{agent.id}/messages", headers={"Authorization": f"Bearer {key}"}
            ).json()
            texts = [m.get("content") for m in history if m["message_type"] in ("user_message", "assistant_message")]
            assert texts[-2:] == [f"word {agent.name}", f"you said word {agent.name}"]
    finally:
        server.close()


def _thread_of_each(calls: int) -> list[int]:
    """The thread each of `calls` concurrent `on_shared_thread` blocks ran its synchronous stage on, from an event
    loop with no sync caller above it (as under daphne)."""

    async def one():
        async with db.on_shared_thread():
            await asyncio.sleep(0)  # the others enter meanwhile
            return await sync_to_async(threading.get_ident)()

    async def all_of_them():
        return await asyncio.gather(*(one() for _ in range(calls)))

    found = []
    runner = threading.Thread(target=lambda: found.extend(asyncio.run(all_of_them())))
    runner.start()
    runner.join()
    return found


def test_stages_share_the_configured_threads_least_busy_first():
    db._shared_threads.clear()
    with override_settings(SYNC_THREADS=2):
        threads = _thread_of_each(6)
    db._shared_threads.clear()
    assert len(set(threads)) == 2
    assert sorted(threads.count(t) for t in set(threads)) == [3, 3]


def test_no_shared_threads_when_turned_off():
    db._shared_threads.clear()
    with override_settings(SYNC_THREADS=0):
        _thread_of_each(2)
    assert not db._shared_threads


def test_an_api_body_that_is_not_json_is_refused_without_a_trace(letta_server):
    key = _key()
    agent = services.create_agent(organization_id=Organization.default().id, name="plain", model="openai/gpt-4.1-mini")
    answer = httpx.post(
        f"{letta_server.url}/v1/agents/{agent.id}/messages",
        content=b"{not json",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 422 and "not valid JSON" in json.loads(answer.content)["detail"]
    assert not Run.objects.filter(agent_id=agent.id).exists()
    assert not Message.objects.filter(agent_id=agent.id).exclude(role="system").exists()
