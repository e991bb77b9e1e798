"""Runs and steps with the unmodified SDK against a live server: background runs, following and resuming them,
cancelling, reading what a run did, and what a provider failure looks like to the caller."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from letta_client import (
    BadRequestError,
    ConflictError,
    InternalServerError,
    Letta,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
)

from tests.api.helpers import MODEL, ONE_TOOL_THEN_ANSWER, create_agent
from tests.fakes import Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until_done(client: Letta, run_id: str):
    def finished():
        run = client.runs.retrieve(run_id)
        return run if run.status not in ("created", "running") else None

    return wait_until(finished, message=f"run {run_id} to finish", interval=0.05)


def wait_until_called_back(client: Letta, run_id: str):
    def sent():
        run = client.runs.retrieve(run_id)
        return run if run.callback_sent_at is not None else None

    return wait_until(sent, message=f"run {run_id}'s callback to be sent", interval=0.05)


def test_async_run_is_returned_at_once_then_reports_what_it_did(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada"})]),
        Reply(text="Noted, Ada.", delay=0.5),
    )
    run = client.agents.messages.create_async(agent.id, input="I'm Ada")
    assert run.id.startswith("run-") and run.agent_id == agent.id
    assert run.status == "running" and run.background is True

    run = wait_until_done(client, run.id)
    assert run.status == "completed" and run.stop_reason == "end_turn" and run.completed_at

    kinds = [m.message_type for m in client.runs.messages.list(run.id, order="asc")]
    assert kinds == ["user_message", "tool_call_message", "tool_return_message", "assistant_message"]
    steps = list(client.runs.steps.list(run.id, order="asc"))
    assert len(steps) == 2 and all(s.status == "success" and s.run_id == run.id for s in steps)
    usage = client.runs.usage.retrieve(run.id)
    assert usage.total_tokens == sum(s.total_tokens for s in steps) > 0
    assert "Name: Ada" in client.agents.blocks.retrieve("human", agent_id=agent.id).value

    # A step: read it, its messages, and give it feedback that the step list can filter on.
    step = client.steps.retrieve(steps[1].id)
    assert step.agent_id == agent.id and step.model_handle == MODEL
    assert [m.message_type for m in client.steps.messages.list(step.id)] == ["assistant_message"]
    rated = client.steps.feedback.create(step.id, feedback="positive", tags=["polite"])
    assert rated.feedback == "positive" and rated.tags == ["polite"]
    assert [s.id for s in client.steps.list(agent_id=agent.id, has_feedback=True)] == [step.id]
    assert [s.id for s in client.steps.list(agent_id=agent.id, feedback="negative")] == []


def test_async_start_refused_like_a_send(client, fake_openai):
    agent = create_agent(client, tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}])
    with pytest.raises(NotFoundError):
        client.agents.messages.create_async("agent-00000000-0000-0000-0000-000000000000", input="hi")
    with pytest.raises(UnprocessableEntityError):
        client.agents.messages.create_async(agent.id, input="hi", callback_url="not a url")

    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "x"})]))
    run = wait_until_done(client, client.agents.messages.create_async(agent.id, input="save x").id)
    assert run.stop_reason == "requires_approval"
    with pytest.raises(ConflictError) as refused:
        client.agents.messages.create_async(agent.id, input="hello?")
    assert "approval" in str(refused.value)
    assert [r.id for r in client.runs.list(agent_id=agent.id)] == [run.id]  # the refusal left no run behind


def test_a_send_to_a_busy_agent_is_refused_naming_the_run_or_waits_in_line_when_asked(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="First, slowly.", delay=1.0), Reply(text="Second, in line."))
    first = client.agents.messages.create_async(agent.id, input="one")
    wait_until(lambda: fake_openai.requests, message="the first run's model request")  # it holds the agent

    with pytest.raises(ConflictError) as refused:
        client.agents.messages.create(agent.id, messages=[{"role": "user", "content": "two"}])
    assert first.id in str(refused.value) and "wait=true" in str(refused.value)
    assert refused.value.body["code"] == "AGENT_BUSY" and refused.value.body["run_id"] == first.id

    queued = client.agents.messages.create(
        agent.id, messages=[{"role": "user", "content": "two"}], extra_body={"wait": True}
    )
    assert [m.content for m in queued.messages if m.message_type == "assistant_message"] == ["Second, in line."]
    # It ran only once the first had ended.
    assert client.runs.retrieve(first.id).status == "completed"
    assert [r.id for r in client.runs.list(agent_id=agent.id, order="asc")] == [first.id, queued.usage.run_ids[0]]


def test_list_runs_by_agent_status_and_page(client, fake_openai):
    first, second = create_agent(client, "first"), create_agent(client, "second")
    fake_openai.script(Reply(text="one"), Reply(text="two"), Reply(text="three"))
    mine = [client.agents.messages.create(first.id, input=t).usage.run_ids[0] for t in ("a", "b")]
    theirs = client.agents.messages.create(second.id, input="c").usage.run_ids[0]

    assert [r.id for r in client.runs.list(agent_id=first.id, order="asc")] == mine
    assert {r.id for r in client.runs.list(agent_ids=[first.id, second.id])} >= {*mine, theirs}
    assert [r.id for r in client.runs.list(agent_id=first.id, statuses=["failed"])] == []
    assert [r.id for r in client.runs.list(agent_id=first.id, active=True)] == []
    assert [r.id for r in client.runs.list(agent_id=first.id, background=True)] == []
    # The auto-pager follows the cursors one run at a time and stops.
    assert [r.id for r in client.runs.list(agent_id=first.id, limit=1)] == mine[::-1]


def test_cancel_a_run_while_the_model_is_still_answering(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="Too late.", delay=5.0))
    run = client.agents.messages.create_async(agent.id, input="take your time")
    wait_until(lambda: fake_openai.requests, message="the model request")  # the model is answering
    assert client.agents.messages.cancel(agent.id) == {run.id: "cancelled"}

    run = wait_until_done(client, run.id)
    assert run.status == "cancelled" and run.stop_reason == "cancelled"
    assert "Too late." not in [getattr(m, "content", None) for m in client.runs.messages.list(run.id)]
    assert [s.status for s in client.runs.steps.list(run.id)] == ["cancelled"]
    # The agent is free for the next request.
    fake_openai.script(Reply(text="Here now."))
    assert client.agents.messages.create(agent.id, input="hi").messages[-1].content == "Here now."


def test_background_stream_survives_a_disconnect_and_resumes(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Cy"})]),
        Reply(text="You came back.", delay=1.0),
    )
    stream = client.agents.messages.create(
        agent.id, input="I'm Cy", streaming=True, background=True, include_pings=False
    )
    first = next(iter(stream))
    stream.response.close()  # hang up while the model is still writing the second step
    assert first.message_type == "tool_call_message" and first.seq_id == 1 and first.run_id

    events = list(client.runs.messages.stream(first.run_id, include_pings=False))
    assert [e.message_type for e in events] == ONE_TOOL_THEN_ANSWER
    assert [e.seq_id for e in events] == [1, 2, 3, 4, 5]
    assert events[2].content == "You came back." and events[3].stop_reason == "end_turn"
    assert events[4].step_count == 2

    rest = list(client.runs.messages.stream(first.run_id, starting_after=3))
    assert [e.message_type for e in rest] == ["ping", "stop_reason", "usage_statistics"]
    assert client.runs.retrieve(first.run_id).background is True


def test_token_stream_in_background_resumes_to_the_same_text(client, fake_openai):
    agent = create_agent(client)
    text = "Every chunk is kept, in order, for whoever asks later."
    fake_openai.script(Reply(text=text))
    live = list(
        client.agents.messages.create(
            agent.id, input="hi", streaming=True, background=True, stream_tokens=True, include_pings=False
        )
    )
    replay = list(client.runs.messages.stream(live[0].run_id, include_pings=False))
    assert [e.seq_id for e in replay] == list(range(1, len(replay) + 1))
    assert "".join(e.content for e in replay if e.message_type == "assistant_message") == text
    assert [e.model_dump() for e in replay] == [e.model_dump() for e in live]


def test_resuming_a_run_that_was_not_in_background_is_a_clear_400(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="plain"))
    run_id = client.agents.messages.create(agent.id, input="hi").usage.run_ids[0]
    with pytest.raises(BadRequestError) as refused:
        list(client.runs.messages.stream(run_id))
    assert "background" in str(refused.value) and f"/v1/runs/{run_id}/messages" in str(refused.value)
    with pytest.raises(NotFoundError):
        list(client.runs.messages.stream("run-00000000-0000-0000-0000-000000000000"))


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_callback_gets_the_finished_run(client, fake_openai):
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    _Hook.received = []
    try:
        agent = create_agent(client)
        fake_openai.script(Reply(text="Call me back."))
        # The live server's operator allows `localhost` (tests/conftest.py); 127.0.0.1 itself is refused.
        url = f"http://localhost:{hook.server_port}/done"
        run = client.agents.messages.create_async(agent.id, input="hi", callback_url=url)
        assert run.callback_url == url
        run = wait_until_called_back(client, run.id)
        assert run.callback_status_code == 204 and run.callback_error is None
        assert [(r["id"], r["status"], r["stop_reason"]) for r in _Hook.received] == [(run.id, "completed", "end_turn")]
    finally:
        hook.shutdown()
        hook.server_close()


def test_unreachable_callback_is_recorded_on_the_run(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="Nobody listens."))
    run = client.agents.messages.create_async(agent.id, input="hi", callback_url="http://localhost:9/nowhere")
    run = wait_until_called_back(client, run.id)
    assert run.status == "completed" and run.callback_status_code is None
    assert run.callback_error == "Could not POST the run to the callback URL: Could not connect to localhost."


def test_a_callback_to_the_servers_own_network_sends_nothing(client, fake_openai, letta_server):
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    _Hook.received = []
    port = hook.server_port
    try:
        agent = create_agent(client)
        for url in (
            f"http://127.0.0.1:{port}/done",
            f"http://localhost@127.0.0.1:{port}/done",  # the allowed name as userinfo: the host is 127.0.0.1
            f"{letta_server.url}/v1/health/",  # the server itself
            f"{fake_openai.base_url}/chat/completions",  # the provider's port
        ):
            fake_openai.script(Reply(text="Done."))
            run = wait_until_called_back(
                client, client.agents.messages.create_async(agent.id, input="hi", callback_url=url).id
            )
            assert run.status == "completed" and run.callback_status_code is None, url
            assert "not allowed" in run.callback_error and "LETTA_OUTBOUND_ALLOW" in run.callback_error, url
        assert _Hook.received == []
        assert len(fake_openai.requests) == 4  # one model call per run, and nothing else reached the provider
    finally:
        hook.shutdown()
        hook.server_close()


def test_provider_failure_raises_with_its_status_and_keeps_the_run(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply.rate_limited())
    with pytest.raises(RateLimitError) as failed:
        client.agents.messages.create(agent.id, input="hi")
    body = failed.value.body
    assert body["error"]["type"] == "llm_rate_limit" and body["detail"] == body["error"]["message"]
    run = client.runs.retrieve(body["run_id"])
    assert run.status == "failed" and run.stop_reason == "llm_api_error"
    assert run.metadata["error"]["error_type"] == "llm_rate_limit"
    assert [s.error_type for s in client.runs.steps.list(run.id)] == ["llm_rate_limit"]


def test_provider_failure_after_a_stored_step_is_not_retried(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Di"})]),
        Reply.server_error(),
    )
    retrying = client.with_options(max_retries=2)
    with pytest.raises(InternalServerError) as failed:
        retrying.agents.messages.create(agent.id, input="I'm Di")
    assert failed.value.response.headers["x-should-retry"] == "false"
    assert failed.value.body["error"]["type"] == "llm_error"
    # The first step's work is kept and can be read through the run.
    run_id = failed.value.body["run_id"]
    kinds = [m.message_type for m in client.runs.messages.list(run_id, order="asc")]
    assert kinds == ["user_message", "tool_call_message", "tool_return_message"]
    assert len(fake_openai.requests) == 2  # no second attempt re-sent the input
