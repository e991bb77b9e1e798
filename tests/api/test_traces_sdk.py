"""Traces and timings through the unmodified SDK on the live server: `steps.trace.retrieve` answers the exact
request the provider received, `runs.trace.retrieve` the run as spans, `steps.metrics.retrieve` the step's time
to first token and each tool's time; another organization's step or run is a 404."""

import pytest

from agents.models import ProviderTrace
from tests.agents.test_traces import SLOW_TOOL
from tests.api.helpers import create_agent
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def steps_of(client, run_id: str) -> list:
    return list(client.runs.steps.list(run_id, order="asc"))


def test_a_steps_trace_is_the_request_the_provider_received(client, fake_openai):
    agent = create_agent(client, tags=["demo"])
    fake_openai.script(Reply(text="Hello, Ada."))
    response = client.agents.messages.create(agent.id, input="I'm Ada")
    (step,) = steps_of(client, response.usage.run_ids[0])

    trace = client.steps.trace.retrieve(step.id)
    assert trace.request_json == fake_openai.last_request
    assert trace.step_id == step.id and trace.run_id == step.run_id and trace.agent_id == agent.id
    assert trace.call_type == "agent_step" and trace.agent_tags == ["demo"] and trace.latency_ms is not None
    assert trace.llm_config["model"] == "gpt-4.1-mini" and trace.llm_config["handle"] == "openai/gpt-4.1-mini"
    assert trace.llm_config["context_window"] == step.context_window_limit
    assert trace.created_at is not None and trace.org_id
    assert "Hello, Ada." in "".join(
        (chunk["choices"][0]["delta"].get("content") or "")
        for chunk in trace.response_json["stream"]
        if chunk["choices"]
    )


def test_a_step_without_a_trace_answers_null(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="Hi."))
    response = client.agents.messages.create(agent.id, input="hi")
    (step,) = steps_of(client, response.usage.run_ids[0])
    ProviderTrace.objects.filter(step_id=step.id).delete()  # as if it had expired

    assert client.steps.trace.retrieve(step.id) is None


def test_a_run_trace_lists_its_spans_oldest_first(client, fake_openai):
    agent = create_agent(client)
    tool = client.tools.create(source_code=SLOW_TOOL)
    client.agents.tools.attach(tool.id, agent_id=agent.id)
    fake_openai.script(Reply(tool_calls=[("slow_lookup", {"topic": "tea"})]), Reply(text="Tea: found."))
    response = client.agents.messages.create(agent.id, input="look up tea")
    run_id = response.usage.run_ids[0]

    spans = client.runs.trace.retrieve(run_id)
    names = [span["name"] for span in spans]
    assert names[0] == "agent_run" and names.count("agent_step") == 2
    assert names.count("time_to_first_token") == 2 and names.count("tool_execution") == 1
    root = spans[0]
    assert root["parent_span_id"] is None and root["attributes"]["run_id"] == run_id
    assert all(span["trace_id"] == root["trace_id"] for span in spans)
    steps = {s["span_id"]: s for s in spans if s["name"] == "agent_step"}
    assert all(s["parent_span_id"] == root["span_id"] for s in steps.values())
    (tool_span,) = [s for s in spans if s["name"] == "tool_execution"]
    assert tool_span["attributes"]["tool_name"] == "slow_lookup" and tool_span["duration_ns"] > 0
    assert tool_span["parent_span_id"] in steps
    starts = [span["start_time_unix_nano"] for span in spans[1:]]
    assert starts == sorted(starts)

    assert len(client.runs.trace.retrieve(run_id, limit=2)) == 2


def test_step_metrics_carry_time_to_first_token_and_tool_timings(client, fake_openai):
    agent = create_agent(client)
    tool = client.tools.create(source_code=SLOW_TOOL)
    client.agents.tools.attach(tool.id, agent_id=agent.id)
    fake_openai.script(Reply(tool_calls=[("slow_lookup", {"topic": "tea"})]), Reply(text="Tea: found."))
    response = client.agents.messages.create(agent.id, input="look up tea")
    tool_step, answer_step = steps_of(client, response.usage.run_ids[0])

    metrics = client.steps.metrics.retrieve(tool_step.id)
    assert metrics.ttft_ns > 0 and metrics.llm_request_ns >= metrics.ttft_ns
    (timing,) = metrics.tool_timings
    assert timing["name"] == "slow_lookup" and timing["duration_ns"] > 0
    assert metrics.tool_execution_ns >= timing["duration_ns"]
    assert metrics.step_ns >= metrics.llm_request_ns + metrics.tool_execution_ns
    assert client.steps.metrics.retrieve(answer_step.id).tool_timings == []


def test_trace_routes_refuse_a_bad_limit_and_another_organizations_ids(client, fake_openai, api, other_api):
    agent = create_agent(client)
    fake_openai.script(Reply(text="Hi."))
    response = client.agents.messages.create(agent.id, input="hi")
    run_id = response.usage.run_ids[0]
    (step,) = steps_of(client, run_id)

    for limit in ("0", "1001", "many"):
        answer = api.get(f"/v1/runs/{run_id}/trace", {"limit": limit})
        assert answer.status_code == 422 and "limit" in answer.json()["detail"]
    assert other_api.get(f"/v1/runs/{run_id}/trace").status_code == 404
    assert other_api.get(f"/v1/steps/{step.id}/trace").status_code == 404
    assert api.get("/v1/steps/step-unknown/trace").status_code == 404
    assert api.get(f"/v1/steps/{step.id}/trace").json()["id"]
