"""A run's `callback_url` goes through the outbound policy: an address on the server's own network is never
contacted unless the operator allows it, and what is kept on the run is in our words, never a socket error's text.
(The SDK stories, through the live server, are in test_runs_sdk.py.)"""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asgiref.sync import async_to_sync

from agents.api.callbacks import post_run
from agents.models import Run
from tests.api.live_server import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """An HTTP server on 127.0.0.1 that counts what it is sent and answers `status` (with a Location for 3xx)."""

    def __init__(self, status: int = 204):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/moved")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def run(make_agent):
    agent = make_agent()
    return Run.objects.create(organization_id=agent.organization_id, agent=agent, status=Run.Status.COMPLETED)


def called_back(run: Run, url: str) -> Run:
    async_to_sync(post_run)(run.id, url)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/done",
        "http://localhost:{port}/done",
        "http://example.com@127.0.0.1:{port}/done",  # the host is what follows the @
        "http://[::ffff:127.0.0.1]:{port}/done",
        "http://0.0.0.0:{port}/done",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1:{port}/done",
    ],
)
def test_an_address_on_the_servers_own_network_is_not_contacted(settings, run, receiver, url):
    settings.OUTBOUND_ALLOW = []
    run = called_back(run, url.format(port=receiver.port))
    assert receiver.received == []
    assert run.callback_status_code is None and run.callback_sent_at is not None
    assert run.callback_error.startswith("The run was not sent to the callback URL: ")
    assert "LETTA_OUTBOUND_ALLOW" in run.callback_error


def test_an_address_the_operator_allows_gets_the_run(settings, run, receiver):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    run = called_back(run, f"http://localhost:{receiver.port}/done")
    assert len(receiver.received) == 1 and run.id.encode() in receiver.received[0]
    assert run.callback_status_code == 204 and run.callback_error is None


def test_a_failed_connection_is_told_in_our_words(settings, run):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    run = called_back(run, f"http://127.0.0.1:{free_port()}/done")
    assert run.callback_error == "Could not POST the run to the callback URL: Could not connect to 127.0.0.1."
    assert run.callback_status_code is None


def test_a_redirect_is_kept_not_followed(settings, run):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    moved = Receiver(status=307)
    try:
        run = called_back(run, f"http://127.0.0.1:{moved.port}/done")
    finally:
        moved.close()
    assert len(moved.received) == 1  # the 307 points back at it: a followed redirect would POST twice
    assert run.callback_status_code == 307
    assert run.callback_error == "The callback URL answered HTTP 307 (redirects are not followed)."


def test_a_receivers_error_status_is_kept(settings, run):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    failing = Receiver(status=500)
    try:
        run = called_back(run, f"http://127.0.0.1:{failing.port}/done")
    finally:
        failing.close()
    assert run.callback_status_code == 500 and run.callback_error == "The callback URL answered HTTP 500."


@pytest.mark.parametrize("url", ["ftp://example.com/done", "mailto:someone@example.com", "http://", "not a url"])
def test_a_callback_url_that_is_not_http_is_refused_before_the_run(api, make_agent, fake_openai, url):
    agent = make_agent()
    response = api.post(
        f"/v1/agents/{agent.id}/messages/async", {"input": "hi", "callback_url": url}, content_type="application/json"
    )
    assert response.status_code == 422 and "callback_url" in response.json()["detail"], response.content
    assert not Run.objects.exists() and fake_openai.requests == []
