"""The run inspector: the Runs tab (paging, status filter, cancel), a run's page (steps in order, paged, with their
timings, usage, messages, feedback and traces), the lazy trace bodies and the step's trace download."""

import html as htmllib
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.models import Message, ProviderTrace, Run, Step

HTMX = {"HTTP_HX_REQUEST": "true"}
MS = 1_000_000


@pytest.fixture
def agent(make_agent):
    return make_agent(name="scout")


def make_run(agent, *, minutes_ago=0, **fields) -> Run:
    fields.setdefault("status", Run.Status.COMPLETED)
    run = Run.objects.create(organization_id=agent.organization_id, agent=agent, **fields)
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    run.refresh_from_db()
    return run


def make_step(run, *, seconds=0, **fields) -> Step:
    step = Step.objects.create(organization_id=run.organization_id, run=run, agent=run.agent, **fields)
    Step.objects.filter(pk=step.pk).update(created_at=run.created_at + timedelta(seconds=seconds))
    step.refresh_from_db()
    return step


def message(step, role, **fields) -> Message:
    return Message.objects.create(
        organization_id=step.organization_id, agent=step.agent, run=step.run, step=step, role=role, **fields
    )


def trace(step, **fields) -> ProviderTrace:
    fields.setdefault("request_json", {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]})
    fields.setdefault("response_json", {"choices": [{"message": {"content": "hello"}}]})
    return ProviderTrace.objects.create(
        organization_id=step.organization_id,
        agent=step.agent,
        run=step.run,
        step_id=step.id,
        provider_type="openai",
        endpoint="http://127.0.0.1:9/v1/chat/completions",
        latency_ms=42,
        **fields,
    )


def text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def run_rows(page: str) -> list[str]:
    return re.findall(r'<tr id="(run-[^"]+)"', page)


def step_items(page: str) -> list[str]:
    return re.findall(r'<li class="step" id="step-[^"]+".*?</li>\s*(?=<li class="step"|</ol>)', page, re.S)


def runs_url(agent) -> str:
    return f"/ade/agents/{agent.id}/runs/"


def run_url(run) -> str:
    return f"/ade/agents/{run.agent_id}/runs/{run.id}/"


# --- the Runs tab ------------------------------------------------------------------------------------------------


def test_runs_newest_first_in_pages_of_25(signed_in, agent):
    runs = [make_run(agent, minutes_ago=60 - i) for i in range(30)]
    first = signed_in.get(runs_url(agent)).content.decode()
    assert run_rows(first) == [f"run-{r.id}" for r in reversed(runs[-25:])]
    assert "← Newer" not in first
    older = re.search(r'href="\?after=([^"]+)">Older', first).group(1)

    second = signed_in.get(runs_url(agent) + f"?after={older}").content.decode()
    assert run_rows(second) == [f"run-{r.id}" for r in reversed(runs[:5])]
    assert "Older →" not in second
    newer = re.search(r'href="\?before=([^"]+)">← Newer', second).group(1)
    back = signed_in.get(runs_url(agent) + f"?before={newer}").content.decode()
    assert run_rows(back) == run_rows(first)


def test_a_run_row_shows_its_figures_and_links_to_its_page(signed_in, agent):
    run = make_run(
        agent,
        stop_reason="end_turn",
        total_duration_ns=1530 * MS,
        ttft_ns=210 * MS,
        prompt_tokens=900,
        completion_tokens=40,
        total_tokens=940,
        step_count=2,
        background=True,
    )
    page = signed_in.get(runs_url(agent)).content.decode()
    row = text(re.search(rf'<tr id="run-{run.id}">.*?</tr>', page, re.S).group(0))
    assert "completed end_turn" in row and "1.53 s" in row and "210 ms" in row
    assert "900 / 40 / 940" in row and "background" in row
    assert f'href="/ade/agents/{agent.id}/runs/{run.id}/"' in page


def test_the_status_filter_narrows_the_list(signed_in, agent):
    done = make_run(agent, minutes_ago=3)
    failed = make_run(agent, minutes_ago=2, status=Run.Status.FAILED, stop_reason="llm_api_error")
    running = make_run(agent, minutes_ago=1, status=Run.Status.RUNNING)

    assert run_rows(signed_in.get(runs_url(agent) + "?status=failed").content.decode()) == [f"run-{failed.id}"]
    assert run_rows(signed_in.get(runs_url(agent) + "?status=running").content.decode()) == [f"run-{running.id}"]
    assert run_rows(signed_in.get(runs_url(agent) + "?status=completed").content.decode()) == [f"run-{done.id}"]
    assert len(run_rows(signed_in.get(runs_url(agent) + "?status=").content.decode())) == 3
    page = signed_in.get(runs_url(agent) + "?status=cancelled").content.decode()
    assert "No cancelled runs." in text(page)


def test_an_active_run_says_so_and_can_be_cancelled(signed_in, agent):
    run = make_run(agent, status=Run.Status.RUNNING)
    page = signed_in.get(runs_url(agent)).content.decode()
    assert "A run is active now" in text(page)
    assert f'aria-label="Cancel run {run.id}"' in page and "hx-confirm=" in page

    response = signed_in.post(f"/ade/agents/{agent.id}/runs/{run.id}/cancel/", **HTMX)
    assert response.status_code == 200 and "Cancelling…" in response.content.decode()
    assert Run.objects.get(pk=run.pk).cancel_requested


def test_cancelling_a_finished_run_says_there_is_nothing_to_cancel(signed_in, agent):
    run = make_run(agent, status=Run.Status.COMPLETED)
    response = signed_in.post(f"/ade/agents/{agent.id}/runs/{run.id}/cancel/", **HTMX)
    assert response.status_code == 422
    assert f"Run {run.id} is no longer active (completed)" in text(response.content.decode())
    assert not Run.objects.get(pk=run.pk).cancel_requested


def test_another_organizations_or_agents_runs_are_not_found(signed_in, agent, make_agent, other_org):
    other_agent = make_agent(name="other")
    run = make_run(other_agent)
    step = make_step(run)
    stranger = Run.objects.create(organization=other_org, agent=other_agent)
    tr = trace(step)
    base = f"/ade/agents/{agent.id}/runs/{run.id}/"
    assert signed_in.get(base).status_code == 404
    assert signed_in.get(f"/ade/agents/{agent.id}/runs/{stranger.id}/").status_code == 404
    assert signed_in.get(f"/ade/agents/{agent.id}/runs/run-unknown/").status_code == 404
    assert signed_in.post(base + "cancel/").status_code == 404
    assert signed_in.post(base + f"steps/{step.id}/feedback/", {"verdict": "negative"}).status_code == 404
    assert signed_in.get(base + f"steps/{step.id}/trace.json").status_code == 404
    assert signed_in.get(base + f"traces/{tr.id}/request/").status_code == 404
    assert Step.objects.get(pk=step.pk).feedback is None
    # The right agent, but a trace of another of its runs:
    mine = make_step(make_run(agent))
    assert signed_in.get(run_url(mine.run) + f"traces/{tr.id}/request/").status_code == 404


# --- a run's page ------------------------------------------------------------------------------------------------


def test_the_run_page_shows_its_summary(signed_in, agent):
    run = make_run(
        agent,
        status=Run.Status.FAILED,
        stop_reason="llm_api_error",
        total_duration_ns=2 * 1000 * MS,
        step_count=1,
        metadata={"error": {"error_type": "llm_rate_limit", "message": "Rate limited by the provider."}},
        callback_url="https://example.com/hook",
        callback_sent_at=timezone.now(),
        callback_status_code=204,
    )
    page = text(signed_in.get(run_url(run)).content.decode())
    assert "{#" not in page and "reverse some hundred" not in page  # template comments stay in the template
    assert f"Run {run.id}" in page and "failed llm_api_error" in page and "Duration 2.00 s" in page
    assert "Error: llm_rate_limit: Rate limited by the provider." in page
    assert "POSTed to https://example.com/hook" in page and "HTTP 204" in page


def test_steps_in_order_in_pages_of_20_numbered_across_pages(signed_in, agent):
    run = make_run(agent, step_count=25)
    steps = [make_step(run, seconds=i) for i in range(25)]
    first = signed_in.get(run_url(run)).content.decode()
    assert re.findall(r'<li class="step" id="step-([^"]+)"', first) == [s.id for s in steps[:20]]
    assert "Steps 1–20 of 25" in text(first) and "Earlier steps" not in first
    later = re.search(r'href="\?after=([^"#]+)#steps">Later', first).group(1)

    second = signed_in.get(run_url(run) + f"?after={later}").content.decode()
    assert re.findall(r'<li class="step" id="step-([^"]+)"', second) == [s.id for s in steps[20:]]
    assert "Step 21" in text(second) and "Steps 21–25 of 25" in text(second)
    earlier = re.search(r'href="\?before=([^"#]+)#steps">← Earlier', second).group(1)
    back = signed_in.get(run_url(run) + f"?before={earlier}").content.decode()
    assert re.findall(r'<li class="step" id="step-([^"]+)"', back) == [s.id for s in steps[:20]]


def test_a_link_to_one_step_opens_the_page_that_starts_with_it(signed_in, agent):
    run = make_run(agent, step_count=30)
    steps = [make_step(run, seconds=i) for i in range(30)]
    page = signed_in.get(run_url(run) + f"?step={steps[23].id}").content.decode()
    assert re.findall(r'<li class="step" id="step-([^"]+)"', page)[0] == steps[23].id
    assert "Step 24" in text(page) and "Earlier steps" in page
    assert signed_in.get(run_url(run) + "?step=step-gone").status_code == 200  # an unknown step: the first page


def test_a_step_shows_its_timings_usage_and_messages_escaped(signed_in, agent):
    run = make_run(agent, step_count=1)
    step = make_step(
        run,
        status="success",
        model_handle="openai/gpt-4.1-mini",
        ttft_ns=120 * MS,
        llm_duration_ns=480 * MS,
        tool_duration_ns=35 * MS,
        total_duration_ns=530 * MS,
        tool_timings=[
            {"tool_call_id": "call-1", "name": "memory_insert", "duration_ns": 30 * MS},
            {"tool_call_id": "call-2", "name": "web_search", "duration_ns": 5 * MS},
        ],
        prompt_tokens=1200,
        completion_tokens=30,
        total_tokens=1230,
        cached_input_tokens=1024,
        reasoning_tokens=12,
        estimated_prompt_tokens=1190,
    )
    message(step, "user", content=[{"type": "text", "text": "<script>alert(1)</script> I like tea"}])
    message(
        step,
        "assistant",
        content=[{"type": "reasoning", "reasoning": "Store the fact."}],
        tool_calls=[
            {
                "id": "call-1",
                "type": "function",
                "function": {"name": "memory_insert", "arguments": '{"label": "human", "new_string": "likes tea"}'},
            }
        ],
    )
    message(
        step,
        "tool",
        tool_returns=[
            {"tool_call_id": "call-1", "tool_name": "memory_insert", "status": "error", "func_response": "x" * 900}
        ],
    )
    page = signed_in.get(run_url(run)).content.decode()
    (item,) = step_items(page)
    shown = text(item)
    assert "First token 120 ms" in shown and "Model 480 ms" in shown and "Total 530 ms" in shown
    assert "Tool memory_insert 30 ms" in shown and "Tool web_search 5 ms" in shown and "All tools 35 ms" in shown
    assert "Prompt 1200 (our estimate 1190)" in shown and "Cached 1024" in shown and "Reasoning 12" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; I like tea" in item and "<script>alert" not in item
    assert "Reasoning Store the fact." in shown
    assert "Tool call memory_insert" in shown and "&quot;new_string&quot;: &quot;likes tea&quot;" in item
    # A long tool return opens collapsed, with its status.
    assert re.search(r"<details><summary><strong>Return of memory_insert</strong> <span[^>]*>error</span>", item)


def test_a_step_without_reported_usage_shows_our_estimate(signed_in, agent):
    run = make_run(agent)
    make_step(run, usage_reported=False, estimated_prompt_tokens=777)
    shown = text(signed_in.get(run_url(run)).content.decode())
    assert "Prompt ≈ 777 (our estimate: the provider reported no usage)" in shown
    # The run's totals are unknown, not zero.
    assert "Tokens unknown (the provider reported no usage; each step shows our estimate)" in shown
    assert "0 prompt" not in shown


def test_the_page_reads_the_same_number_of_queries_for_any_number_of_steps(signed_in, agent):
    run = make_run(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(run_url(run)).status_code == 200
        return len(captured)

    step = make_step(run)
    message(step, "user", content=[{"type": "text", "text": "hi"}])
    trace(step)
    few = queries()
    for i in range(1, 15):
        more = make_step(run, seconds=i)
        message(more, "user", content=[{"type": "text", "text": "hi"}])
        trace(more)
    assert queries() == few


# --- feedback ----------------------------------------------------------------------------------------------------


def feedback_url(step) -> str:
    return f"/ade/agents/{step.agent_id}/runs/{step.run_id}/steps/{step.id}/feedback/"


def test_thumbs_down_with_a_comment_is_saved(signed_in, agent):
    step = make_step(make_run(agent))
    response = signed_in.post(
        feedback_url(step), {"verdict": "negative", "comment": "It forgot the <b>name</b>."}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'value="negative" aria-pressed="true"', body) and 'value="positive" aria-pressed="false"' in body
    assert "It forgot the &lt;b&gt;name&lt;/b&gt;." in body and "Feedback saved." in body
    step.refresh_from_db()
    assert (step.feedback, step.feedback_comment) == ("negative", "It forgot the <b>name</b>.")

    signed_in.post(feedback_url(step), {"verdict": "keep", "comment": "Forgot the name."}, **HTMX)
    step.refresh_from_db()
    assert (step.feedback, step.feedback_comment) == ("negative", "Forgot the name.")
    page = signed_in.get(run_url(step.run)).content.decode()
    assert "Forgot the name.</textarea>" in page

    signed_in.post(feedback_url(step), {"verdict": "clear", "comment": "ignored"}, **HTMX)
    step.refresh_from_db()
    assert (step.feedback, step.feedback_comment) == (None, None)


def test_a_comment_too_long_is_refused_with_nothing_stored(signed_in, agent):
    step = make_step(make_run(agent), feedback="positive", feedback_comment="Good.")
    long = "y" * 2001
    response = signed_in.post(feedback_url(step), {"verdict": "negative", "comment": long}, **HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "The comment is 2,001 characters long; keep it to 2,000 or fewer." in body
    assert f">{long}</textarea>" in body and 'aria-invalid="true"' in body
    step.refresh_from_db()
    assert (step.feedback, step.feedback_comment) == ("positive", "Good.")


def test_a_bad_verdict_is_refused(signed_in, agent):
    step = make_step(make_run(agent))
    response = signed_in.post(feedback_url(step), {"verdict": "great"}, **HTMX)
    assert response.status_code == 422 and step.__class__.objects.get(pk=step.pk).feedback is None


def test_the_api_takes_a_comment_beside_the_sdk_fields(api, agent):
    step = make_step(make_run(agent))
    url = f"/v1/steps/{step.id}/feedback"
    response = api.patch(url, {"feedback": "negative", "tags": ["rude"], "comment": "Too curt."}, "application/json")
    assert response.status_code == 200 and response.json()["feedback"] == "negative"
    assert response.json()["tags"] == ["rude"]
    step.refresh_from_db()
    assert step.feedback_comment == "Too curt."

    response = api.patch(url, {"comment": "z" * 2001}, content_type="application/json")
    assert response.status_code == 422 and "2,000" in response.json()["detail"]
    step.refresh_from_db()
    assert step.feedback_comment == "Too curt."
    api.patch(url, {"tags": ["slow"]}, content_type="application/json")  # no comment given: the comment stays
    step.refresh_from_db()
    assert step.feedback_comment == "Too curt." and step.tags == ["rude", "slow"]
    api.patch(url, {"comment": None}, content_type="application/json")
    step.refresh_from_db()
    assert step.feedback_comment is None and step.feedback == "negative"


# --- traces ------------------------------------------------------------------------------------------------------


def test_the_page_lists_traces_without_their_bodies_which_load_on_opening(signed_in, agent):
    step = make_step(make_run(agent))
    tr = trace(step, request_json={"messages": [{"role": "user", "content": "<script>alert('x')</script> needle"}]})
    page = signed_in.get(run_url(step.run)).content.decode()
    assert "needle" not in page  # the bodies are not on the page
    assert "http://127.0.0.1:9/v1/chat/completions" in page and "42 ms" in page
    body_url = reverse("ade-trace-body", args=[agent.id, step.run_id, tr.id, "request"])
    assert f'action="{reverse("ade-step-feedback", args=[agent.id, step.run_id, step.id])}"' in page
    assert f'href="{reverse("ade-step-trace-json", args=[agent.id, step.run_id, step.id])}"' in page
    assert f'hx-get="{body_url}" hx-trigger="toggle once"' in page

    body = signed_in.get(body_url, **HTMX).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; needle" in body and "<script>" not in body
    assert '\n  "messages": [\n' in htmllib.unescape(body)  # pretty-printed
    alone = signed_in.get(body_url)  # the "open it alone" link: the JSON itself
    assert alone["Content-Type"].startswith("application/json") and json.loads(alone.content) == tr.request_json
    assert signed_in.get(body_url.replace("/request/", "/headers/")).status_code == 404


def test_a_truncated_trace_says_it_was_cut(signed_in, agent, settings):
    settings.TRACE_MAX_BYTES = 262144
    step = make_step(make_run(agent))
    trace(step, truncated=True)
    page = text(signed_in.get(run_url(step.run)).content.decode())
    assert "This trace was cut: each side is kept up to LETTA_TRACE_MAX_BYTES (256.0 KB)" in page


def test_a_step_without_a_trace_says_why(signed_in, agent, settings):
    settings.TRACE_KEEP_DAYS = 7
    make_step(make_run(agent))
    page = text(signed_in.get(run_url(Run.objects.get(agent=agent))).content.decode())
    assert "No trace is stored for this step. Traces are kept 7 days" in page
    assert "LETTA_TRACE_KEEP_DAYS ; 0 stores none" in page


def test_a_step_with_several_calls_downloads_them_all_in_order(signed_in, agent):
    step = make_step(make_run(agent))
    first = trace(step, response_json={"error": {"status": 400, "message": "context too long"}})
    second = trace(step)
    response = signed_in.get(f"/ade/agents/{agent.id}/runs/{step.run_id}/steps/{step.id}/trace.json")
    assert response["Content-Disposition"] == f'attachment; filename="trace-{step.id}.json"'
    data = json.loads(response.content)
    assert [t["id"] for t in data] == [first.id, second.id]
    assert data[0]["response_json"]["error"]["message"] == "context too long"
    assert data[1]["request_json"] == second.request_json and data[1]["endpoint"].endswith("/chat/completions")


def test_summarization_calls_appear_under_the_run(signed_in, agent):
    run = make_run(agent)
    ProviderTrace.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        run=run,
        call_type=ProviderTrace.CallType.SUMMARIZATION,
        endpoint="http://127.0.0.1:9/v1/chat/completions",
        request_json={"messages": []},
    )
    step = make_step(run)
    trace(step)
    orphan = ProviderTrace.objects.create(
        organization_id=agent.organization_id, agent=agent, run=run, step_id="step-never-recorded"
    )
    page = signed_in.get(run_url(run)).content.decode()
    outside = re.search(r'<section id="run-compactions".*?</section>', page, re.S).group(0)
    assert "Calls outside a step" in text(outside) and "summarization" in text(outside)
    assert f'id="trace-{orphan.id}"' in outside and outside.count('class="trace"') == 2


def test_an_approval_answer_shows_under_the_run(signed_in, agent):
    run = make_run(agent)
    common = {"organization_id": agent.organization_id, "agent": agent, "run": run}
    Message.objects.create(role="approval", approvals=[{"approve": False, "reason": "Not <that> file."}], **common)
    Message.objects.create(
        role="tool",
        tool_returns=[{"tool_call_id": "c-9", "tool_name": "rm", "status": "error", "func_response": "denied"}],
        **common,
    )
    page = signed_in.get(run_url(run)).content.decode()
    outside = text(re.search(r'<section id="run-outside".*?</section>', page, re.S).group(0))
    assert "Approval denied Not <that> file." in outside and "Return of rm error denied" in outside


def test_without_htmx_the_forms_land_back_on_the_run(signed_in, agent):
    run = make_run(agent, status=Run.Status.RUNNING)
    step = make_step(run)
    response = signed_in.post(feedback_url(step), {"verdict": "positive", "comment": ""})
    assert response.status_code == 302 and response["Location"] == run_url(run) + f"?step={step.id}#step-{step.id}"
    assert Step.objects.get(pk=step.pk).feedback == "positive"
    response = signed_in.post(f"/ade/agents/{agent.id}/runs/{run.id}/cancel/")
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert Run.objects.get(pk=run.pk).cancel_requested
    assert "Cancelling…" in signed_in.get(run_url(run)).content.decode()
