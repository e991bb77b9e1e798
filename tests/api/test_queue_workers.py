"""Background runs on the task queue, across processes: a web process that runs no worker accepts the run, and a
`manage.py letta_worker` process runs it; the cancel, the stream and the callback go through the web process. A
worker killed mid-task has its task failed by the next worker, and what the task carried (a run, a scheduled
message's delivery) ended or delivered once.

Each test's processes serve a queue of their own (LETTA_RUN_QUEUE), so the session's live server, whose own worker
serves the default queues, never takes their runs.
"""

import json
import signal
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Organization
from agents import schedules
from agents.models import Message, Run, ScheduledMessage
from agents.provider_services import create_provider
from agents.tasks import deliver_scheduled_message
from memory.models import Block
from tests.api.helpers import run_row, task_of_run
from tests.api.live_server import LiveServer, WorkerProcess, live_server_env, sdk
from tests.fakes import Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = "1.5"  # seconds: a killed worker's runs end soon after
REMEMBER_ADA = Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada"})])


@pytest.fixture
def queue_env(fake_openai_server, fake_anthropic_server):
    return live_server_env(
        fake_openai_server,
        fake_anthropic_server,
        LETTA_RUN_QUEUE=f"runs-{uuid.uuid4().hex[:8]}",
        LETTA_RUN_LEASE_SECONDS=LEASE,
    )


@pytest.fixture
def web(queue_env):
    server = LiveServer({**queue_env, "LETTA_RUN_WORKER_IN_PROCESS": "0"})
    yield server
    server.close()


@pytest.fixture
def start_worker(queue_env):
    started = []

    def start(worker_id: str) -> WorkerProcess:
        worker = WorkerProcess(queue_env, "--worker-id", worker_id)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


@pytest.fixture
def client(web, org):
    return sdk(web, Organization.default())


@pytest.fixture
def hook():
    """A receiver for callbacks, reached as `localhost` (the live servers' operator allows that name)."""
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url, server.received = f"http://localhost:{server.server_port}/done", received
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def stalling_server():
    """An OpenAI-compatible server that holds every request while `stall` is set, then answers 404 (it knows no
    model); `asked` is set by the first request. A worker delivering to an agent on its model asks it about the
    model before making the run, so it can be held, and killed, in between."""

    class Stalling(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def answer(self):
            server.asked.set()
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            while server.stall.is_set():
                time.sleep(0.02)
            try:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the worker that asked was killed
                pass

        do_GET = do_POST = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    server.daemon_threads = True
    server.stall, server.asked = threading.Event(), threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.base_url = f"http://localhost:{server.server_port}/v1"  # the live servers' operator allows `localhost`
    yield server
    server.stall.clear()
    server.shutdown()
    server.server_close()


def _send_async(client, agent, text: str, **extra) -> str:
    return client.agents.messages.create_async(agent.id, input=text, **extra).id


def test_a_background_run_waits_for_a_worker_then_runs_on_it_and_calls_back(
    client, start_worker, make_agent, fake_openai, hook
):
    agent = make_agent()
    fake_openai.script(REMEMBER_ADA, Reply(text="Noted, Ada."))
    run_id = _send_async(client, agent, "I'm Ada", callback_url=hook.url)

    # Accepted and answered by the web process, which runs no worker: the run waits in the queue.
    assert run_row(run_id).status == "running" and run_row(run_id).heartbeat_at is None
    assert task_of_run(run_id).status == "READY" and fake_openai.requests == []

    start_worker("worker-a")
    wait_until(lambda: task_of_run(run_id).status == "SUCCESSFUL", message="the worker to run it", timeout=30)
    task = task_of_run(run_id)
    assert task.worker_ids == ["worker-a"] and task.return_value == "end_turn", run_row(run_id).metadata
    assert run_row(run_id).status == "completed"
    assert "Name: Ada" in Block.objects.get(agents=agent, label="human").value
    said = [m.content for m in client.runs.messages.list(run_id, order="asc") if m.message_type == "assistant_message"]
    assert said == ["Noted, Ada."]
    # The worker posted the callback before it recorded the task's end.
    assert [(r["id"], r["status"]) for r in hook.received] == [(run_id, "completed")]
    assert run_row(run_id).callback_status_code == 204


def test_the_web_process_streams_and_cancels_a_run_that_a_worker_runs(client, start_worker, make_agent, fake_openai):
    start_worker("worker-a")
    agent = make_agent()
    fake_openai.script(REMEMBER_ADA, Reply(text="Too late.", delay=30))
    run_id = _send_async(client, agent, "I'm Ada")

    # The web process follows the run's kept events as the worker writes them.
    events = iter(client.runs.messages.stream(run_id, include_pings=False))
    assert [next(events).message_type for _ in range(2)] == ["tool_call_message", "tool_return_message"]
    wait_until(lambda: len(fake_openai.requests) == 2, message="the second step to wait for the model")

    assert client.agents.messages.cancel(agent.id) == {run_id: "cancelled"}
    rest = list(events)
    assert [e.stop_reason for e in rest if e.message_type == "stop_reason"] == ["cancelled"]
    assert not any(getattr(e, "content", None) == "Too late." for e in rest)
    assert run_row(run_id).status == "cancelled"
    wait_until(lambda: task_of_run(run_id).status == "SUCCESSFUL", message="the worker to finish the task")

    # A background stream started through the web process is the same kept stream, however it ends.
    fake_openai.script(Reply(text="Here now."))
    live = list(client.agents.messages.create(agent.id, input="hi", streaming=True, background=True))
    assert [e.message_type for e in live] == ["ping", "assistant_message", "stop_reason", "usage_statistics"]
    assert task_of_run(live[0].run_id).worker_ids == ["worker-a"]


def test_a_killed_workers_run_ends_failed_and_is_not_run_again(client, start_worker, make_agent, fake_openai, hook):
    agent = make_agent()
    fake_openai.script(REMEMBER_ADA, Reply(text="Never said.", delay=60))
    victim = start_worker("worker-a")
    run_id = _send_async(client, agent, "I'm Ada", callback_url=hook.url)
    wait_until(lambda: len(fake_openai.requests) == 2, message="the second step to wait for the model")

    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=30)
    # The web process's sweep ends the run once its lease lapsed.
    wait_until(lambda: run_row(run_id).status == "failed", message="the dead worker's run to end", timeout=20)
    assert "stopped" in run_row(run_id).metadata["error"]["message"]
    assert task_of_run(run_id).status == "RUNNING"  # the dead worker's claim is all the queue knows of

    # The next worker fails the abandoned task, sends the run's callback, and runs nothing again.
    start_worker("worker-b")
    wait_until(lambda: task_of_run(run_id).status == "FAILED", message="the abandoned task to fail", timeout=20)
    assert task_of_run(run_id).worker_ids == ["worker-a"]
    wait_until(lambda: hook.received, message="the failed run's callback")
    assert [(r["id"], r["status"]) for r in hook.received] == [(run_id, "failed")]
    assert len(fake_openai.requests) == 2
    # What the first step stored stays, and the agent takes the next message.
    assert "Name: Ada" in Block.objects.get(agents=agent, label="human").value
    assert Message.objects.filter(agent=agent, role="tool").count() == 1
    fake_openai.script(Reply(text="Back again."))
    assert client.agents.messages.create(agent.id, input="there?").messages[-1].content == "Back again."


def test_a_run_cancelled_before_any_worker_took_it_ends_at_once(client, start_worker, make_agent, fake_openai):
    agent = make_agent()
    run_id = _send_async(client, agent, "I'm Ada")
    assert client.agents.messages.cancel(agent.id) == {run_id: "cancelled"}
    assert run_row(run_id).status == "cancelled"
    kept = Message.objects.get(agent=agent, role="user")  # what was said stays in the history
    assert kept.text == "I'm Ada" and kept.run_id == run_id

    start_worker("worker-a")
    wait_until(lambda: task_of_run(run_id).status == "SUCCESSFUL", message="the worker to skip the task")
    assert task_of_run(run_id).return_value is None and fake_openai.requests == []


def test_workers_prune_the_records_of_tasks_that_ended_long_ago_and_keep_the_rest(settings):
    from datetime import timedelta

    from django.tasks import TaskResultStatus
    from django.utils import timezone

    from agents import tasks
    from agents.runtime.worker import prune_finished

    settings.TASK_RESULTS_KEEP_DAYS = 14
    DBTaskResult.objects.all().delete()

    def task(status, days_ago):
        result = tasks.execute_run.enqueue(run_id="run-x", request={})
        finished = timezone.now() - timedelta(days=days_ago) if days_ago is not None else None
        DBTaskResult.objects.filter(id=result.id).update(status=status, finished_at=finished)
        return result.id

    old_done = task(TaskResultStatus.SUCCESSFUL, 20)
    old_failed = task(TaskResultStatus.FAILED, 15)
    recent = task(TaskResultStatus.SUCCESSFUL, 2)
    waiting = task(TaskResultStatus.READY, None)

    assert prune_finished() == 2
    left = set(DBTaskResult.objects.values_list("id", flat=True))
    assert {str(i) for i in left} == {str(recent), str(waiting)}
    assert str(old_done) not in left and str(old_failed) not in left


def test_a_scheduled_message_whose_worker_was_killed_mid_delivery_is_delivered_once_by_another(
    org, queue_env, start_worker, make_agent, stalling_server
):
    create_provider(
        organization_id=org.id, name="stalling", provider_type="openai_compatible", base_url=stalling_server.base_url
    )
    agent = make_agent(model="stalling/slowpoke")
    stalling_server.stall.set()
    stalling_server.asked.clear()
    due = timezone.now() + timedelta(seconds=1)
    body = {
        "messages": [{"role": "user", "content": "Check the inbox."}],
        "schedule": {"scheduled_at": due.timestamp()},
    }
    schedule = schedules.create(agent, body)
    # Its first delivery goes to this test's queue, which the session's live server (serving `default`) leaves be.
    own_queue = queue_env["LETTA_RUN_QUEUE"]
    DBTaskResult.objects.filter(task_path=deliver_scheduled_message.module_path).update(queue_name=own_queue)
    [task_id] = DBTaskResult.objects.filter(queue_name=own_queue).values_list("id", flat=True)

    victim = start_worker("worker-a")
    assert stalling_server.asked.wait(timeout=30), victim.output()[-2000:]
    # worker-a claimed the occurrence and is making its run: killed there.
    assert ScheduledMessage.objects.get(pk=schedule.id).delivering_due == schedule.next_scheduled_at
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=30)
    assert DBTaskResult.objects.get(id=task_id).status == "RUNNING" and not Run.objects.filter(agent=agent).exists()

    stalling_server.stall.clear()
    start_worker("worker-b")
    wait_until(lambda: DBTaskResult.objects.get(id=task_id).status == "FAILED", message="the abandoned task to fail")
    delivered = wait_until(
        lambda: ScheduledMessage.objects.filter(pk=schedule.id, last_run_id__isnull=False).first(),
        message="the occurrence to be delivered again",
        timeout=30,
    )
    [run] = Run.objects.filter(agent=agent)
    assert run.id == delivered.last_run_id and delivered.delivering_due is None and run.background
    assert run.metadata["scheduled_message_id"] == schedule.id
    assert DBTaskResult.objects.get(id=task_id).worker_ids == ["worker-a"]
    # Delivered once: the run ends (the stalling server serves no model), and no second one follows.
    wait_until(lambda: not Run.objects.filter(pk=run.id, status__in=Run.ACTIVE).exists(), message="the run to end")
    wait_until(
        lambda: (
            not DBTaskResult.objects.filter(task_path=deliver_scheduled_message.module_path, status="READY").exists()
        ),
        message="no delivery left to run",
    )
    assert Run.objects.filter(agent=agent).count() == 1
