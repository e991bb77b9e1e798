"""Callback URLs are stored encrypted (a webhook's URL often carries its secret): a run's `callback_url` and a
scheduled message's request (which holds one) read as tokens in their columns, while the API answers them as given
and the finished run is POSTed to the URL with its secret."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asgiref.sync import async_to_sync

from agents import schedules
from agents.models import Run, ScheduledMessage
from agents.runtime import background
from tests.api.helpers import task_of_run
from tests.at_rest import stored
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "hook-secret-5531"
HELLO = [{"role": "user", "content": "Time for the standup."}]


class Hook:
    """An HTTP server on 127.0.0.1 that keeps the path and query of each POST it is sent."""

    def __init__(self):
        targets = self.targets = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                targets.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/done?token={SECRET}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook(settings):
    settings.RUN_WORKER_IN_PROCESS = False  # the test runs the queued run itself
    server = Hook()
    yield server
    server.close()


def assert_encrypted(value: str) -> None:
    assert value.startswith("enc1:") and SECRET not in value


def test_a_runs_callback_url_is_stored_encrypted_and_answered_as_given(api, make_agent, hook):
    agent = make_agent()
    body = {"input": "hi", "callback_url": hook.url}

    accepted = api.post(f"/v1/agents/{agent.id}/messages/async", body, content_type="application/json")

    assert accepted.status_code == 200, accepted.content
    run_id = accepted.json()["id"]
    assert accepted.json()["callback_url"] == hook.url
    assert_encrypted(stored(Run, "callback_url", run_id))
    assert api.get(f"/v1/runs/{run_id}").json()["callback_url"] == hook.url
    assert [r["callback_url"] for r in api.get("/v1/runs/", {"agent_id": agent.id}).json()] == [hook.url]


def test_a_scheduled_messages_callback_is_stored_encrypted_and_the_delivered_run_calls_it(
    api, make_agent, hook, fake_openai
):
    agent = make_agent()
    body = {
        "messages": HELLO,
        "callback_url": hook.url,
        "schedule": {"type": "recurring", "cron_expression": "0 9 * * *"},
    }
    created = api.post(f"/v1/agents/{agent.id}/schedule", body, content_type="application/json")
    assert created.status_code == 200, created.content
    schedule = ScheduledMessage.objects.get(pk=created.json()["id"])

    assert_encrypted(stored(ScheduledMessage, "request", schedule.id))
    [listed] = api.get(f"/v1/agents/{agent.id}/schedule").json()["scheduled_messages"]
    assert listed["message"]["callback_url"] == hook.url and listed["message"]["messages"] == HELLO

    # Its occurrence delivered, then run by a worker as the queue hands it over.
    due = schedule.next_scheduled_at
    run_id = async_to_sync(schedules.deliver)(schedule.id, due.isoformat(), now=due)
    assert_encrypted(stored(Run, "callback_url", run_id))
    fake_openai.script(Reply(text="Standup notes sent."))
    async_to_sync(background.execute_queued)(**task_of_run(run_id).args_kwargs["kwargs"])

    run = Run.objects.get(pk=run_id)
    assert (run.status, run.callback_status_code, run.callback_error) == ("completed", 204, None)
    assert hook.targets == [f"/done?token={SECRET}"]
    assert api.get(f"/v1/runs/{run_id}").json()["callback_url"] == hook.url
