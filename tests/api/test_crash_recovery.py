"""Fault injection: a real server process is killed (or stopped) mid-step, and the run it held must not block its
agent, lose what was stored, or answer "cancelled" while it stays running.

Each test starts its own daphne process (the victim) on the test database, with a short lease, and a second one
(the restarted server) where the story needs one; the session's server keeps serving beside them. Starting a server
takes seconds, so one killed server carries several stories at once.
"""

import json
import signal

import httpx
import pytest

from accounts import services as accounts
from agents.models import Agent, Message, Run
from memory.models import Block
from tests.api.live_server import LiveServer, live_server_env
from tests.fakes import Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = "1.5"  # seconds: the victim's and the restarted server's lease


@pytest.fixture
def start_server(fake_openai_server, fake_anthropic_server):
    started = []

    def start() -> LiveServer:
        server = LiveServer(live_server_env(fake_openai_server, fake_anthropic_server, LETTA_RUN_LEASE_SECONDS=LEASE))
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def key(org):
    return accounts.create_api_key(organization_id=org.id, name="fault injection")[1]


def _post(server: LiveServer, key: str, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _model(request: dict) -> Reply:
    """A first step that saves what the user said, a second step that waits for a minute; a message about a
    flight waits at once (before its first step stored anything)."""
    said = json.dumps(request["messages"][-1])
    if request["messages"][-1]["role"] == "tool" or "flight" in said:
        return Reply(text="slow", delay=60)
    if "remember" in said:
        fact = said.split("remember: ", 1)[1].split('"', 1)[0]
        return Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": fact})])
    return Reply(text="Back again.")


def _send_async(server, key, agent, text: str) -> str:
    answer = _post(server, key, f"/v1/agents/{agent.id}/messages/async", {"input": text})
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def _kill(server: LiveServer, how=signal.SIGKILL) -> None:
    server.process.send_signal(how)
    server.process.wait(timeout=30)


def _history_is_whole(agent, said: str) -> None:
    rows = list(Message.objects.filter(agent=agent).order_by("sequence_id"))
    assert [(r.role, r.text) for r in rows[-3:-1]] == [("user", said), ("assistant", "")]
    assert rows[-1].role == "tool"
    called = {call["id"] for r in rows if r.tool_calls for call in r.tool_calls}
    returned = {ret["tool_call_id"] for r in rows if r.tool_returns for ret in r.tool_returns}
    assert called and called <= returned  # no tool call is left without its return
    assert said.removeprefix("remember: ") in Block.objects.get(agents=agent, label="human").value


def _status(run_id: str) -> str:
    return Run.objects.get(pk=run_id).status


def test_the_runs_of_a_killed_server_end_within_seconds_and_keep_what_was_stored(
    start_server, letta_server, key, make_agent, fake_openai
):
    fake_openai.responder = _model
    tea, flight, coffee = make_agent(name="tea"), make_agent(name="flight"), make_agent(name="coffee")
    victim = start_server()
    tea_run = _send_async(victim, key, tea, "remember: I like tea")
    flight_run = _send_async(victim, key, flight, "my flight is on friday")
    coffee_run = _send_async(victim, key, coffee, "remember: I like coffee")
    wait_until(lambda: len(fake_openai.requests) >= 5, message="every run to wait for the model")

    _kill(victim)
    assert {_status(tea_run), _status(flight_run), _status(coffee_run)} == {"running"}  # nobody can tell yet
    # Another server, at once: the dead one's lease has not lapsed, so the run cannot be ended yet, but the cancel
    # is recorded and honoured when it is.
    cancelled = _post(letta_server, key, f"/v1/agents/{coffee.id}/messages/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json().get(coffee_run) == "cancelled", cancelled.text

    restarted = start_server()  # its sweep meets the runs once their leases have lapsed
    wait_until(lambda: _status(tea_run) == _status(flight_run) == "failed", message="the dead runs to end", timeout=20)
    wait_until(lambda: _status(coffee_run) == "cancelled", message="the cancelled run to end", timeout=20)

    failed = Run.objects.get(pk=tea_run)
    assert failed.stop_reason == "error" and "stopped" in failed.metadata["error"]["message"]
    _history_is_whole(tea, "remember: I like tea")
    _history_is_whole(coffee, "remember: I like coffee")
    # The run that died before its first step was stored: the message is kept in the history, outside the context.
    kept = Message.objects.get(agent=flight, role="user")
    assert (kept.text, kept.run_id) == ("my flight is on friday", flight_run)
    assert kept.id not in Agent.objects.get(pk=flight.pk).message_ids

    answer = _post(restarted, key, f"/v1/agents/{tea.id}/messages", {"input": "are you there?"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["messages"][-1]["content"] == "Back again."


def test_a_server_stopped_normally_fails_its_runs_as_it_exits(start_server, key, make_agent, fake_openai):
    fake_openai.responder = _model
    agent = make_agent()
    victim = start_server()
    run_id = _send_async(victim, key, agent, "remember: I like tea")
    wait_until(lambda: len(fake_openai.requests) >= 2, message="the run's second step to wait for the model")

    _kill(victim, signal.SIGTERM)

    ended = Run.objects.get(pk=run_id)  # at once: no lease has to lapse
    assert ended.status == "failed" and "shut down" in ended.metadata["error"]["message"]
    _history_is_whole(agent, "remember: I like tea")
