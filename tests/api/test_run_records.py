"""`/v1/runs` and `/v1/steps` through the API: filters, keyset pages, feedback, and bad requests that change
nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import Run, Step
from tests.fakes import Reply


@pytest.fixture
def send(api, fake_openai):
    def send(agent, text="hi"):
        fake_openai.script(Reply(text=f"re: {text}"))
        response = api.post(f"/v1/agents/{agent.id}/messages", {"input": text}, content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["usage"]["run_ids"][0]

    return send


def test_runs_page_with_cursors_in_both_orders(api, make_agent, send):
    agent = make_agent()
    ids = [send(agent, str(n)) for n in range(4)]
    listed = lambda **q: [r["id"] for r in api.get("/v1/runs/", {"agent_id": agent.id, **q}).json()]  # noqa: E731
    assert listed() == ids[::-1]  # newest first by default
    assert listed(order="asc", limit=2) == ids[:2]
    assert listed(order="asc", after=ids[1]) == ids[2:]
    assert listed(order="desc", after=ids[2]) == ids[:2][::-1]
    assert listed(order="asc", before=ids[3], limit=2) == ids[1:3]
    assert listed(ascending="true") == ids
    assert listed(stop_reason="end_turn", statuses="completed") == ids[::-1]
    assert listed(conversation_id="conv-x") == []
    response = api.get("/v1/runs/", {"after": "run-unknown"})
    assert response.status_code == 404 and "cursor" in response.json()["detail"]


def test_run_usage_and_metrics(api, make_agent, send):
    run_id = send(make_agent())
    usage = api.get(f"/v1/runs/{run_id}/usage").json()
    step = Step.objects.get(run_id=run_id)
    assert usage["total_tokens"] == step.total_tokens > 0
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}
    metrics = api.get(f"/v1/runs/{run_id}/metrics").json()
    assert metrics["num_steps"] == 1 and metrics["run_ns"] > 0
    assert api.get(f"/v1/steps/{step.id}/metrics").json()["llm_request_ns"] > 0


def test_usage_a_provider_did_not_report_is_unknown_not_zero(api, make_agent, fake_openai):
    fake_openai.script(Reply(text="hello", omit_usage=True))
    response = api.post(f"/v1/agents/{make_agent().id}/messages", {"input": "hi"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["usage"]["prompt_tokens"] is None and response.json()["usage"]["step_count"] == 1
    run_id = response.json()["usage"]["run_ids"][0]

    usage = api.get(f"/v1/runs/{run_id}/usage").json()
    assert usage["prompt_tokens"] is None and usage["total_tokens"] is None
    step = api.get(f"/v1/steps/{Step.objects.get(run_id=run_id).id}").json()
    assert step["prompt_tokens"] is None and step["completion_tokens"] is None


def test_run_messages_are_only_that_runs(api, make_agent, send):
    agent = make_agent()
    first, second = send(agent, "first"), send(agent, "second")
    messages = api.get(f"/v1/runs/{second}/messages", {"order": "asc"}).json()
    assert [(m["message_type"], m["content"]) for m in messages] == [
        ("user_message", "second"),
        ("assistant_message", "re: second"),
    ]
    assert {m["run_id"] for m in messages} == {second}
    page = api.get(f"/v1/runs/{first}/messages", {"order": "asc", "limit": 1}).json()
    after = api.get(f"/v1/runs/{first}/messages", {"order": "asc", "after": page[0]["id"]}).json()
    assert [m["message_type"] for m in page + after] == ["user_message", "assistant_message"]


def test_feedback_validation_leaves_the_step_as_it_was(api, make_agent, send):
    step = Step.objects.get(run_id=send(make_agent()))
    url = f"/v1/steps/{step.id}/feedback"
    response = api.patch(url, {"feedback": "great"}, content_type="application/json")
    assert response.status_code == 422 and "feedback" in response.json()["detail"]
    response = api.patch(url, {"feedback": "negative", "tags": ["rude"]}, content_type="application/json")
    assert response.json()["feedback"] == "negative" and response.json()["tags"] == ["rude"]
    response = api.patch(url, {"tags": ["rude", "slow"]}, content_type="application/json")
    assert response.json()["tags"] == ["rude", "slow"] and response.json()["feedback"] == "negative"
    response = api.patch(url, {"feedback": None}, content_type="application/json")
    assert response.json()["feedback"] is None
    assert [s["id"] for s in api.get("/v1/steps/", {"tags": "slow"}).json()] == [step.id]
    assert api.get("/v1/steps/", {"tags": "other"}).json() == []


def test_steps_list_filters(api, make_agent, send):
    one, two = make_agent(name="one"), make_agent(name="two")
    send(one), send(two)
    steps = api.get("/v1/steps/", {"agent_id": one.id}).json()
    assert [s["agent_id"] for s in steps] == [one.id] and steps[0]["status"] == "success"
    assert api.get("/v1/steps/", {"model": "no-such-model"}).json() == []
    assert len(api.get("/v1/steps/", {"start_date": "2000-01-01T00:00:00Z"}).json()) == 2
    assert api.get("/v1/steps/", {"end_date": "2000-01-01T00:00:00Z"}).json() == []
    response = api.get("/v1/steps/", {"start_date": "yesterday"})
    assert response.status_code == 422


def test_async_validation(api, make_agent, fake_openai):
    agent = make_agent()
    url = f"/v1/agents/{agent.id}/messages/async"
    for body in ({}, {"input": "hi", "streaming": True}, {"input": "hi", "callback_url": "ftp:/x"}):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 422, body
    response = api.post(url, {"messages": [{"role": "bot", "content": "x"}]}, content_type="application/json")
    assert response.status_code == 400 and "bot" in response.json()["detail"]
    assert not Run.objects.exists() and fake_openai.requests == []


def test_stream_resume_validation(api, make_agent, send):
    run_id = send(make_agent())
    Run.objects.filter(pk=run_id).update(background=True)
    response = api.post(f"/v1/runs/{run_id}/stream", {"starting_after": -1}, content_type="application/json")
    assert response.status_code == 422 and "starting_after" in response.json()["detail"]


def test_resuming_an_expired_stream_is_a_410_pointing_at_the_runs_messages(api, make_agent):
    agent = make_agent()
    run = Run.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        background=True,
        status="completed",
        stop_reason="end_turn",
        completed_at=timezone.now() - timedelta(hours=4),
    )
    response = api.post(f"/v1/runs/{run.id}/stream", {}, content_type="application/json")
    assert response.status_code == 410
    assert "expired" in response.json()["detail"] and f"/v1/runs/{run.id}/messages" in response.json()["detail"]
