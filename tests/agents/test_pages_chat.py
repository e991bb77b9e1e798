"""The chat on the agent's first tab, through Django's test client: send, refusals, approvals, cancel, the history
pages, the catch-up after a reconnect, the memory diffs, and the events only the websocket carries.

The browser stories (live rendering, the socket itself) are in tests/browser/test_chat.py."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from accounts.models import Organization
from agents.models import Message, Run, RunEvent
from agents.pages import chat
from agents.runtime.background import run_detached
from agents.runtime.loop import run_agent
from agents.runtime.run_lifecycle import cancel_signal, request_cancel
from memory.services import EditActor, update_block
from tests.fakes import Reply
from tests.waiting import await_until

PAGE_EVENTS = {"run_started", "step_finished", "run_finished"}


@pytest.fixture
def foreign_agent(providers):
    from agents import services

    other = Organization.objects.create(name="other")
    return services.create_agent(organization_id=other.id, name="theirs", model="openai/gpt-4.1-mini")


def _chat_data(html: str) -> dict:
    start = html.index('<script id="chat-data" type="application/json">') + len(
        '<script id="chat-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def _store_messages(agent, count: int) -> None:
    Message.objects.bulk_create(
        [
            Message(
                organization_id=agent.organization_id,
                agent=agent,
                role="user",
                content=[{"type": "text", "text": f"message {i}"}],
                text=f"message {i}",
            )
            for i in range(count)
        ]
    )


def _active_run(agent) -> Run:
    return Run.objects.create(organization_id=agent.organization_id, agent=agent, status=Run.Status.RUNNING)


# ----------------------------------------------------------------------------------------------- the page


def test_the_first_tab_holds_the_chat_beside_a_viewer_that_says_it_sends_nothing(signed_in, make_agent):
    agent = make_agent()
    html = signed_in.get(f"/ade/agents/{agent.id}/").content.decode()
    assert 'id="chat"' in html and 'id="context"' in html
    assert html.index('id="chat"') < html.index('id="context"')  # on a phone the chat comes first
    assert '<label for="id_text">Message</label>' in html and '<label for="id_role">Send as</label>' in html
    assert "Preview the next request; nothing is sent" in html
    assert "visibilityState" not in html  # that filter needs eval; static/js/chat.js sends the event instead
    data = _chat_data(html)
    assert data["messages"] == [] and data["has_more"] is False and data["active_run"] is None
    assert "memory_insert" in data["tools"]


def test_the_chat_opens_on_the_newest_messages_and_pages_back_by_sequence_id(signed_in, make_agent):
    agent = make_agent()
    _store_messages(agent, 75)
    data = _chat_data(signed_in.get(f"/ade/agents/{agent.id}/").content.decode())
    assert [m["content"] for m in data["messages"]] == [f"message {i}" for i in range(45, 75)]
    assert data["has_more"] is True

    seen = [m["content"] for m in data["messages"]]
    cursor = data["oldest"]
    while True:
        page = signed_in.get(f"/ade/agents/{agent.id}/chat/messages/", {"before": cursor}).json()
        seen = [m["content"] for m in page["messages"]] + seen
        cursor = page["oldest"]
        if not page["has_more"]:
            break
    assert seen == [f"message {i}" for i in range(75)]  # every message once, in order


def test_the_history_leaves_out_the_compiled_system_prompt_but_shows_a_sent_system_message(signed_in, make_agent):
    agent = make_agent()
    run = _active_run(agent)
    Message.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        run=run,
        role="system",
        content=[{"type": "text", "text": "Be brief."}],
    )
    data = _chat_data(signed_in.get(f"/ade/agents/{agent.id}/").content.decode())
    assert [m["message_type"] for m in data["messages"]] == ["system_message"]
    assert data["messages"][0]["content"] == "Be brief."
    assert data["active_run"] == {"run_id": run.id, "stream_tokens": False}  # "running", with Cancel, on load


def test_catch_up_answers_what_was_stored_after_a_sequence_id_and_the_active_run(signed_in, make_agent):
    agent = make_agent()
    _store_messages(agent, 3)
    newest = (
        Message.objects.filter(agent=agent, role="user")
        .order_by("sequence_id")
        .values_list("sequence_id", flat=True)[1]
    )
    run = _active_run(agent)

    page = signed_in.get(f"/ade/agents/{agent.id}/chat/messages/", {"after": newest}).json()

    assert [m["content"] for m in page["messages"]] == ["message 2"]
    assert page["newest"] == page["messages"][0]["seq_id"] and page["has_more"] is False
    assert page["active_run"]["run_id"] == run.id


def test_a_finished_run_comes_with_its_record(signed_in, make_agent):
    agent = make_agent()
    run = Run.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        status=Run.Status.COMPLETED,
        stop_reason="end_turn",
        step_count=2,
        total_tokens=120,
        total_duration_ns=1_500_000_000,
    )
    Message.objects.create(organization_id=agent.organization_id, agent=agent, run=run, role="user", content=[])
    data = _chat_data(signed_in.get(f"/ade/agents/{agent.id}/").content.decode())
    assert data["runs"][run.id] == {
        "run_id": run.id,
        "status": "completed",
        "stop_reason": "end_turn",
        "step_count": 2,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 120,
        "duration_ms": 1500,
        "error": None,
    }


def test_a_memory_edit_is_shown_as_a_diff_linking_to_the_timeline(signed_in, make_agent):
    agent = make_agent()
    human = agent.blocks.get(label="human")
    actor = EditActor("agent", agent_id=agent.id, step_id="step-1", tool_call_id="call-1", tool_name="memory_insert")
    update_block(human.id, actor=actor, value="Name: unknown\nLikes <b>jazz</b>")
    revision = human.revisions.latest("id")

    by_call = signed_in.get(f"/ade/agents/{agent.id}/chat/revisions/", {"tool_call": "call-1"}).content.decode()
    by_step = signed_in.get(f"/ade/agents/{agent.id}/chat/revisions/", {"step": "step-1"}).content.decode()

    assert by_call == by_step
    assert "<ins>+ Likes &lt;b&gt;jazz&lt;/b&gt;</ins>" in by_call
    assert f'href="/ade/agents/{agent.id}/timeline/#revision-{revision.id}"' in by_call
    assert signed_in.get(f"/ade/agents/{agent.id}/chat/revisions/", {"tool_call": "other"}).content.strip() == b""


def test_another_organizations_agent_is_not_found(signed_in, foreign_agent):
    base = f"/ade/agents/{foreign_agent.id}/chat"
    assert signed_in.get(f"{base}/messages/").status_code == 404
    assert signed_in.get(f"{base}/revisions/", {"step": "x"}).status_code == 404
    assert signed_in.post(f"{base}/send/", {"role": "user", "text": "hi"}).status_code == 404
    assert signed_in.post(f"{base}/cancel/").status_code == 404
    assert signed_in.post(f"{base}/approve/", {"decision": "approve", "tool_call_id": "x"}).status_code == 404


# ----------------------------------------------------------------------------------------------- refusals


def test_an_empty_message_is_refused_next_to_the_box(signed_in, make_agent):
    agent = make_agent()
    response = signed_in.post(
        f"/ade/agents/{agent.id}/chat/send/", {"role": "user", "text": "   \n "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Type a message before sending" in response.content.decode()
    assert not Run.objects.filter(agent=agent).exists()


def test_a_busy_agent_refuses_and_offers_to_cancel_keeping_the_text(signed_in, make_agent):
    agent = make_agent()
    run = _active_run(agent)
    response = signed_in.post(
        f"/ade/agents/{agent.id}/chat/send/", {"role": "user", "text": "are you there?"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "A run is in progress" in html and f"Cancel run {run.id}" in html and 'form="chat-cancel-form"' in html
    assert ">are you there?</textarea>" in html
    assert Run.objects.filter(agent=agent).count() == 1 and not Message.objects.filter(agent=agent, role="user")


def test_an_unconfigured_provider_is_named(signed_in, make_agent):
    agent = make_agent()
    agent.model = "nowhere/some-model"
    agent.save(update_fields=["model"])
    response = signed_in.post(
        f"/ade/agents/{agent.id}/chat/send/", {"role": "user", "text": "hello"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 422 and "nowhere" in html and ">hello</textarea>" in html
    assert not Run.objects.filter(agent=agent).exists()


def test_cancel_flags_the_active_run_as_the_api_does(signed_in, make_agent):
    agent = make_agent()
    assert "No run is in progress." in signed_in.post(f"/ade/agents/{agent.id}/chat/cancel/").content.decode()
    run = _active_run(agent)
    assert "Cancelling" in signed_in.post(f"/ade/agents/{agent.id}/chat/cancel/").content.decode()
    run.refresh_from_db()
    assert run.cancel_requested


# ----------------------------------------------------------------------------------------------- runs


@pytest.fixture
async def browser(person):
    client = AsyncClient()
    await client.aforce_login(person)
    return client


async def _ended(run_id: str) -> Run:
    async def ended():
        return not (await Run.objects.aget(pk=run_id)).is_active

    await await_until(ended, message=f"run {run_id} to end")
    return await Run.objects.aget(pk=run_id)


async def _last_run(agent) -> Run:
    return await Run.objects.filter(agent=agent).alatest("created_at")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_send_starts_a_background_run_with_streamed_tokens_and_answers_at_once(browser, make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Hello!"))

    response = await browser.post(
        f"/ade/agents/{agent.id}/chat/send/", {"role": "system", "text": "Say hello."}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "></textarea>" in html and '<option value="system" selected>' in html  # emptied, role kept
    run = await _ended((await _last_run(agent)).id)
    assert run.background and run.request_config["stream_tokens"] is True and run.stop_reason == "end_turn"
    roles = [m.role async for m in Message.objects.filter(run=run).order_by("sequence_id")]
    assert roles == ["system", "assistant"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_approvals_are_answered_from_the_page_and_a_denial_reason_reaches_the_model(
    browser, make_agent, fake_openai
):
    agent = await sync_to_async(make_agent)(tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}])
    insert = ("memory_insert", {"label": "human", "new_string": "Likes jazz"})
    fake_openai.script(Reply(tool_calls=[insert]), Reply(text="Noted."), Reply(tool_calls=[insert]), Reply(text="OK."))
    url = f"/ade/agents/{agent.id}/chat/"

    await browser.post(f"{url}send/", {"role": "user", "text": "I like jazz"})
    first = await _ended((await _last_run(agent)).id)
    assert first.stop_reason == "requires_approval"
    call_id = (await Message.objects.filter(run=first, role="approval").alast()).tool_calls[0]["id"]

    refused = await browser.post(f"{url}send/", {"role": "user", "text": "hello?"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "waiting for approval of memory_insert" in refused.content.decode()

    approved = await browser.post(f"{url}approve/", {"decision": "approve", "tool_call_id": call_id})
    assert approved.status_code == 200 and "Approved" in approved.content.decode()
    await _ended((await _last_run(agent)).id)
    human = await sync_to_async(lambda: agent.blocks.get(label="human").value)()
    assert "Likes jazz" in human

    await browser.post(f"{url}send/", {"role": "user", "text": "And I like jazz a lot"})
    second = await _ended((await _last_run(agent)).id)
    call_id = (await Message.objects.filter(run=second, role="approval").alast()).tool_calls[0]["id"]
    denied = await browser.post(
        f"{url}approve/", {"decision": "deny", "tool_call_id": call_id, "reason": "Once is enough"}
    )
    assert denied.status_code == 200 and "Denied" in denied.content.decode()
    await _ended((await _last_run(agent)).id)
    assert "Once is enough" in json.dumps(fake_openai.last_request)

    again = await browser.post(f"{url}approve/", {"decision": "approve", "tool_call_id": call_id})
    assert again.status_code == 422 and "No tool call is currently awaiting approval" in again.content.decode()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_cancel_stops_a_provider_call_in_this_process_at_once(browser, make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Too late.", delay=5))
    await browser.post(f"/ade/agents/{agent.id}/chat/send/", {"role": "user", "text": "take your time"})
    run = await _last_run(agent)
    await await_until(lambda: fake_openai.requests, message="the provider call to start")

    await browser.post(f"/ade/agents/{agent.id}/chat/cancel/")

    ended = await _ended(run.id)
    assert ended.stop_reason == "cancelled"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_cancel_reaches_a_provider_call_of_this_process_without_waiting_for_the_flags_next_look(make_agent):
    agent = await sync_to_async(make_agent)()
    run = await sync_to_async(_active_run)(agent)
    with cancel_signal(run.id) as signal:
        await sync_to_async(request_cancel)(agent.id)  # on a worker thread, as the views call it
        await asyncio.wait_for(signal.wait(), timeout=5)
    assert signal.is_set()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_page_only_events_stay_out_of_sse_and_kept_streams(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(
        Reply(text="Streamed reply.", tool_calls=[("memory_insert", {"label": "human", "new_string": "x"})])
    )
    fake_openai.script(Reply(text="Done."))
    sse: list[dict] = []

    async def sink(event):
        sse.append(event)

    result = await run_detached(agent_id=agent.id, input="hi", stream_tokens=True, on_event=sink)

    kept = [e.event async for e in RunEvent.objects.filter(run_id=result.run_id).order_by("seq_id")]
    for stream in (sse, kept):
        assert not PAGE_EVENTS & {e["message_type"] for e in stream}
        assert not any("delta" in e for e in stream)
        assert "user_message" not in {e["message_type"] for e in stream}
        assert [e["message_type"] for e in stream][-2:] == ["stop_reason", "usage_statistics"]
    replies = [e for e in sse if e["message_type"] == "assistant_message"]
    assert "".join(e["content"] for e in replies) == "Streamed reply.Done."  # deltas only, no whole copy


def test_history_pages_never_load_everything(make_agent, django_assert_max_num_queries, db):
    agent = make_agent()
    _store_messages(agent, 300)
    with django_assert_max_num_queries(3):
        page = chat.older_page(agent, None)
    assert len(page["messages"]) == chat.PAGE_SIZE


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_run_is_cancelled_between_steps_too(make_agent, fake_openai):
    # A cancel requested while the agent is not waiting on the provider is seen at the next step.
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "x"})]), Reply(text="no"))

    async def cancel_on_first_step(event):
        if event["message_type"] == "tool_return_message":
            await sync_to_async(request_cancel)(agent.id)

    result = await run_agent(agent.id, input="hi", on_event=cancel_on_first_step)
    assert result.stop_reason == "cancelled"
