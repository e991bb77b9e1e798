"""The run inspector in the browser: a run made through the SDK with the fake provider, opened from the Runs tab;
its step's timings and messages, a thumbs down with a comment that survives a reload, and the trace of the request
the fake provider received. By keyboard too, and at phone width."""

import pytest
from playwright.sync_api import expect

from accounts.models import Organization
from agents.models import ProviderTrace, Run, Step
from tests.api.live_server import sdk
from tests.browser.conftest import no_sideways_scroll, shot
from tests.browser.test_every_page import UNNAMED_CONTROLS
from tests.fakes import Reply
from tests.waiting import wait_until

MS = 1_000_000


@pytest.fixture
def inspected_run(make_agent, fake_openai, letta_server):
    """A finished run of two steps: a memory_insert tool call, then the reply."""
    agent = make_agent(name="scout")
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes <b>green</b> tea"})]),
        Reply(text="Noted: you like green tea."),
    )
    sdk(letta_server, Organization.default()).agents.messages.create(
        agent_id=agent.id, messages=[{"role": "user", "content": "I like green tea <script>x</script>"}]
    )
    run = Run.objects.get(agent=agent)
    first, second = Step.objects.filter(run=run).order_by("created_at", "id")
    _with_trace_and_timings(first, fake_openai.requests[0])
    return agent, run, first, second


def _with_trace_and_timings(step: Step, request_sent: dict) -> None:
    """Until the server stores traces and per-tool times itself (issue 14's backend half), add them as it would:
    the request the fake provider actually received, and the tool's own time."""
    if not ProviderTrace.objects.filter(step_id=step.id).exists():
        ProviderTrace.objects.create(
            organization_id=step.organization_id,
            agent_id=step.agent_id,
            run_id=step.run_id,
            step_id=step.id,
            provider_type="openai",
            endpoint="/v1/chat/completions",
            request_json=request_sent,
            response_json={"choices": [{"finish_reason": "tool_calls"}]},
            latency_ms=12,
        )
    if not step.tool_timings:
        Step.objects.filter(pk=step.pk).update(
            ttft_ns=step.ttft_ns or 8 * MS,
            tool_timings=[{"tool_call_id": "call-1", "name": "memory_insert", "duration_ns": 3 * MS}],
        )


def test_a_step_is_inspected_given_feedback_and_its_trace_opened(page, inspected_run):
    agent, run, first, second = inspected_run
    page.goto(f"/ade/agents/{agent.id}/")
    page.get_by_role("link", name="Runs", exact=True).click()
    row = page.locator(f"#run-{run.id}")
    expect(row).to_contain_text("completed")
    expect(row).to_contain_text("end_turn")
    page.get_by_role("link", name=f"Open run {run.id}").click()

    expect(page.get_by_role("heading", name=f"Run {run.id}")).to_be_visible()
    step = page.locator(f"#step-{first.id}")
    expect(step.get_by_role("heading", name="Step 1")).to_be_visible()
    expect(step.get_by_label("Timings of step 1")).to_contain_text("Tool memory_insert")
    expect(step.get_by_label("Timings of step 1")).to_contain_text("First token")
    expect(step).to_contain_text("I like green tea <script>x</script>")  # shown as text
    expect(step).to_contain_text("Tool call memory_insert")
    expect(step).to_contain_text('"new_string": "Likes <b>green</b> tea"')
    expect(step).to_contain_text("Return of memory_insert")
    expect(page.locator(f"#step-{second.id}")).to_contain_text("Noted: you like green tea.")

    step.get_by_label("Comment").fill("It should have asked before storing.")
    step.get_by_role("button", name="Thumbs down").click()
    expect(step.get_by_role("status")).to_have_text("Feedback saved.")
    expect(step.get_by_role("button", name="Thumbs down")).to_have_attribute("aria-pressed", "true")
    page.reload()
    step = page.locator(f"#step-{first.id}")
    expect(step.get_by_label("Comment")).to_have_value("It should have asked before storing.")
    expect(step.get_by_role("button", name="Thumbs down")).to_have_attribute("aria-pressed", "true")
    assert Step.objects.get(pk=first.pk).feedback == "negative"

    step.get_by_text("Request JSON").click()
    request_body = step.get_by_label("Request of trace", exact=False)
    expect(request_body).to_contain_text('"content": "I like green tea <script>x</script>"')
    expect(request_body).to_contain_text('"memory_insert"')  # the tool schemas the provider was offered
    expect(step.get_by_role("link", name="Download this step's trace (JSON)")).to_be_visible()
    shot(page, "inspector")


def test_the_inspector_works_by_keyboard(page, inspected_run):
    agent, run, first, _ = inspected_run
    page.goto(f"/ade/agents/{agent.id}/runs/")
    link = page.get_by_role("link", name=f"Open run {run.id}")
    link.focus()
    page.keyboard.press("Enter")
    step = page.locator(f"#step-{first.id}")
    step.get_by_role("button", name="Thumbs up").focus()
    page.keyboard.press("Enter")
    expect(step.get_by_role("button", name="Thumbs up")).to_have_attribute("aria-pressed", "true")
    step.get_by_text("Response JSON").focus()
    page.keyboard.press("Enter")
    expect(step.get_by_label("Response of trace", exact=False)).to_contain_text('"finish_reason"')


def test_the_run_page_fits_a_phone(phone, inspected_run):
    agent, run, first, _ = inspected_run
    phone.goto(f"/ade/agents/{agent.id}/runs/")
    expect(phone.locator(f"#run-{run.id}")).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.goto(f"/ade/agents/{agent.id}/runs/{run.id}/")
    step = phone.locator(f"#step-{first.id}")
    step.get_by_text("Request JSON").click()
    expect(step.get_by_label("Request of trace", exact=False)).to_be_visible()
    assert no_sideways_scroll(phone)


def test_every_control_of_the_inspector_has_a_name(page, inspected_run):
    agent, run, _, _ = inspected_run
    for url in (f"/ade/agents/{agent.id}/runs/", f"/ade/agents/{agent.id}/runs/{run.id}/"):
        page.goto(url)
        assert page.evaluate(UNNAMED_CONTROLS) == [], url


def test_an_open_run_page_shows_each_step_as_the_run_takes_it(page, make_agent, fake_openai, letta_server):
    agent = make_agent(name="follower")
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes maps"})]),
        Reply(text="Maps it is.", delay=3),
    )
    run = sdk(letta_server, Organization.default()).agents.messages.create_async(
        agent_id=agent.id, messages=[{"role": "user", "content": "I like maps"}]
    )
    wait_until(lambda: Step.objects.filter(run_id=run.id).exists(), message="the run's first step")

    page.goto(f"/ade/agents/{agent.id}/runs/{run.id}/")
    expect(page.get_by_role("heading", name="Step 1")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="still going")).to_be_visible()

    # No reload: the second step and the run's end arrive over the agent's socket.
    expect(page.get_by_role("heading", name="Step 2")).to_be_visible(timeout=15_000)
    expect(page.locator("#steps")).to_contain_text("Maps it is.")
    expect(page.locator("#run-summary")).to_contain_text("completed")
    expect(page.get_by_role("status").filter(has_text="still going")).to_have_count(0)
