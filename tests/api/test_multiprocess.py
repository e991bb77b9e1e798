"""Several processes, one deployment: two web processes (daphne, no in-process worker) and one `manage.py
letta_worker`, on one database and, on the PostgreSQL leg, one Redis. A run accepted by web A runs on the worker;
web B streams it, shows it live on the ADE's agent websocket, cancels it, and refuses a second run of its agent.

Every check goes through what a user has: the unmodified letta-client SDK and a real websocket client
(tests/api/websocket_client.py) speaking to the web processes over TCP. On the SQLite leg the websocket events have no
shared layer to cross processes by (REDIS_URL is unset there, as it is for the embedded default), so the test runs
on the PostgreSQL leg, which is the deployment it proves.
"""

import queue
import uuid

import pytest
from django.conf import settings
from letta_client import ConflictError

from accounts import services as accounts
from accounts.models import Organization
from agents.models import Message
from memory.models import Block
from tests.api.helpers import run_row, task_of_run
from tests.api.live_server import LiveServer, WorkerProcess, live_server_env, sdk
from tests.api.websocket_client import WebSocket
from tests.fakes import Reply
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not getattr(settings, "REDIS_URL", None), reason="needs PostgreSQL + Redis"),
]

REMEMBER_ADA = Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada"})])
# What a run answering REMEMBER_ADA then a reply streams (its Letta stream, no pings).
REMEMBERED_STREAM = ["tool_call_message", "tool_return_message", "assistant_message", "stop_reason", "usage_statistics"]


@pytest.fixture(scope="module")
def deployment(django_db_setup, fake_openai_server, fake_anthropic_server):
    """Web A, web B and a worker serving a queue of their own (the session's live server never takes its runs)."""
    env = live_server_env(fake_openai_server, fake_anthropic_server, LETTA_RUN_QUEUE=f"runs-{uuid.uuid4().hex[:8]}")
    assert env.get("REDIS_URL", settings.REDIS_URL)  # inherited from this process's environment
    started = []
    try:
        web = {"LETTA_RUN_WORKER_IN_PROCESS": "0"}
        started += [LiveServer({**env, **web}), LiveServer({**env, **web})]
        started.append(WorkerProcess(env, "--worker-id", "worker-1"))
        yield started
    finally:
        for process in reversed(started):
            process.close()


@pytest.fixture
def web_a(deployment):
    return deployment[0]


@pytest.fixture
def web_b(deployment):
    return deployment[1]


class AgentSocket(WebSocket):
    """The ADE's agent websocket (`/ws/agents/{id}/`) on a web process, read as a browser would from outside."""

    def __init__(self, server: LiveServer, agent, key: str):
        super().__init__(server.port, f"/ws/agents/{agent.id}/", {"Authorization": f"Bearer {key}"})

    def until_run_finished(self, run_id: str, timeout: float = 30) -> list[dict]:
        """The events received up to this run's `run_finished` (a test failure if it does not come in time)."""
        seen = []
        while True:
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no run_finished for {run_id} on the websocket; saw {seen}") from None
            seen.append(event)
            assert event["message_type"] != "closed", seen
            if event["message_type"] == "run_finished" and event["run_id"] == run_id:
                return seen


@pytest.fixture
def agent_socket():
    opened = []

    def open_socket(server, agent) -> AgentSocket:
        _, key = accounts.create_api_key(organization_id=agent.organization_id, name="ade reader")
        socket = AgentSocket(server, agent, key)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        socket.close()


def test_a_run_accepted_by_one_web_process_runs_on_the_worker_and_the_other_streams_and_shows_it(
    web_a, web_b, agent_socket, make_agent, fake_openai
):
    org = Organization.default()
    client_a, client_b = sdk(web_a, org), sdk(web_b, org)
    agent = make_agent()
    watcher = agent_socket(web_b, agent)
    fake_openai.script(REMEMBER_ADA, Reply(text="Noted, Ada.", delay=1))

    run_id = client_a.agents.messages.create_async(agent.id, input="I'm Ada").id
    # Web B replays what the worker kept so far and follows the run to its end.
    streamed = list(client_b.runs.messages.stream(run_id, include_pings=False))
    assert [e.message_type for e in streamed] == REMEMBERED_STREAM
    assert streamed[2].content == "Noted, Ada." and streamed[3].stop_reason == "end_turn"

    # Web B's websocket saw the worker's events live, through Redis.
    seen = watcher.until_run_finished(run_id)
    kinds = [e["message_type"] for e in seen]
    assert kinds[0] == "run_started" and seen[0]["run_id"] == run_id
    for kind in ("user_message", "tool_call_message", "tool_return_message", "step_finished", "assistant_message"):
        assert kind in kinds, kinds
    assert seen[-1]["status"] == "completed" and seen[-1]["step_count"] == 2

    # It ran on the worker, and what it stored is whole, whichever process reads it.
    wait_until(lambda: task_of_run(run_id).status == "SUCCESSFUL", message="the worker to finish the task")
    assert task_of_run(run_id).worker_ids == ["worker-1"]
    assert "Name: Ada" in Block.objects.get(agents=agent, label="human").value
    steps = list(client_b.runs.steps.list(run_id, order="asc"))
    usage = client_b.runs.usage.retrieve(run_id)
    assert len(steps) == 2 and all(step.status == "success" for step in steps)
    assert usage.total_tokens == sum(step.total_tokens for step in steps) > 0
    assert usage.total_tokens == streamed[4].total_tokens == seen[-1]["total_tokens"]
    assert client_a.runs.retrieve(run_id).status == "completed"


def test_a_follower_on_the_other_web_process_is_woken_by_each_batch_the_worker_writes(
    web_a, web_b, make_agent, fake_openai
):
    """Web B follows a run the worker runs, asking to look at most every 10 s: each batch the worker writes is
    announced through Redis, so every event reaches the reader at once and the stream ends when the run does."""
    org = Organization.default()
    agent = make_agent()
    fake_openai.script(REMEMBER_ADA, Reply(text="Noted, Ada.", delay=1))
    run_id = sdk(web_a, org).agents.messages.create_async(agent.id, input="I'm Ada").id

    # The read timeout only stops a hang: a reader left to its poll would wait 10 s between two events.
    reader = sdk(web_b, org).with_options(timeout=8)
    streamed = list(reader.runs.messages.stream(run_id, include_pings=False, poll_interval=10))

    assert [e.message_type for e in streamed] == REMEMBERED_STREAM
    assert streamed[2].content == "Noted, Ada." and run_row(run_id).status == "completed"


def test_the_other_web_process_refuses_a_second_run_and_cancels_the_first(
    web_a, web_b, agent_socket, make_agent, fake_openai
):
    org = Organization.default()
    client_a, client_b = sdk(web_a, org), sdk(web_b, org)
    agent = make_agent()
    watcher = agent_socket(web_b, agent)
    fake_openai.script(REMEMBER_ADA, Reply(text="Too late.", delay=30))
    run_id = client_a.agents.messages.create_async(agent.id, input="I'm Ada").id
    wait_until(lambda: len(fake_openai.requests) == 2, message="the second step to wait for the model", timeout=30)

    # One run per agent holds across processes: web B answers as one process does.
    with pytest.raises(ConflictError) as refused:
        client_b.agents.messages.create(agent.id, input="and another thing")
    assert run_id in str(refused.value.body)
    assert not any("another thing" in (m.text or "") for m in Message.objects.filter(agent=agent))

    # Web B's cancel stops the run on the worker, and its websocket sees the end.
    assert client_b.agents.messages.cancel(agent.id) == {run_id: "cancelled"}
    assert watcher.until_run_finished(run_id)[-1]["status"] == "cancelled"
    wait_until(lambda: task_of_run(run_id).status == "SUCCESSFUL", message="the worker to finish the task")
    assert run_row(run_id).status == "cancelled" and task_of_run(run_id).worker_ids == ["worker-1"]
    assert not any("Too late." in (m.text or "") for m in Message.objects.filter(agent=agent))
    assert [s.status for s in client_b.runs.steps.list(run_id, order="asc")] == ["success", "cancelled"]

    # The agent is free again, on either process.
    fake_openai.script(Reply(text="Here now."))
    assert client_b.agents.messages.create(agent.id, input="there?").messages[-1].content == "Here now."


def test_a_run_whose_worker_was_killed_ends_on_the_websocket_of_the_web_process(
    fake_openai_server, fake_anthropic_server, agent_socket, make_agent, fake_openai
):
    """The worker's process dies mid-run: the web process's sweep ends the run, and its websocket readers are told
    (the worker, which would have said so, is gone), rather than showing the run going on until a reload."""
    env = live_server_env(
        fake_openai_server,
        fake_anthropic_server,
        LETTA_RUN_QUEUE=f"runs-{uuid.uuid4().hex[:8]}",
        LETTA_RUN_LEASE_SECONDS="1.5",
    )
    web = LiveServer({**env, "LETTA_RUN_WORKER_IN_PROCESS": "0"})
    worker = WorkerProcess(env, "--worker-id", "doomed")
    try:
        agent = make_agent()
        watcher = agent_socket(web, agent)
        fake_openai.script(Reply(text="Never said.", delay=60))
        run_id = sdk(web, Organization.default()).agents.messages.create_async(agent.id, input="hello").id
        wait_until(lambda: len(fake_openai.requests) == 1, message="the worker to wait for the model", timeout=30)
        worker.process.kill()

        ended = watcher.until_run_finished(run_id, timeout=30)[-1]
        assert ended["status"] == "failed" and "stopped" in ended["error"]["message"]
        assert run_row(run_id).status == "failed"
    finally:
        worker.close()
        web.close()


def test_an_idle_websocket_stays_open_and_shows_the_next_run(web_a, web_b, agent_socket, make_agent, fake_openai):
    """Nothing happens for a while (longer than the Redis reader's blocking wait of 5 s): the page's socket stays
    open and still shows the agent's next run."""
    import time

    agent = make_agent()
    watcher = agent_socket(web_b, agent)
    time.sleep(8)
    fake_openai.script(Reply(text="Still here."))
    run_id = sdk(web_a, Organization.default()).agents.messages.create_async(agent.id, input="hello?").id
    assert watcher.until_run_finished(run_id)[-1]["status"] == "completed"
