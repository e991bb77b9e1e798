"""The chat beside the context window viewer: send, cancel and answer approvals, and read the history.

A send starts a background run exactly as `POST /v1/agents/{id}/messages/async` does and answers at once; the reply
reaches the page over the agent's websocket (agents/events.py lists what it carries), rendered by static/js/chat.js.
That script renders the history too, from the same LettaMessage conversion the API uses, so each message type has
one renderer. History is keyset-paged on the stored message's sequence_id: never counted, never loaded whole.

Every view works on one thread of the agent: its default one, or the conversation named by the `conversation`
parameter (agents/pages/conversations.py switches, creates, renames and forks them).
"""

from asgiref.sync import sync_to_async
from django import forms
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from accounts.errors import DomainError
from agents import selectors
from agents.letta_messages import to_letta_messages
from agents.models import Message, Run
from agents.pages.agent_forms import PlainForm, TextareaField
from agents.runtime import background
from agents.runtime.emitter import run_summary
from agents.runtime.errors import AgentBusyError
from agents.runtime.run_lifecycle import active_run_id, request_cancel
from agents.threads import load_thread
from memory.history import value_diff
from memory.models import BlockRevision

TEMPLATE = "agents/chat.html"
PAGE_SIZE = 30  # stored messages per page of history
CATCH_UP_LIMIT = 200  # stored messages per catch-up answer; the page asks again while there are more


class SendForm(PlainForm):
    role = forms.ChoiceField(label="Send as", choices=[("user", "User"), ("system", "System message")], initial="user")
    text = TextareaField(label="Message", rows=3, error_messages={"required": "Type a message before sending."})

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Type a message before sending: this one is only blank space.")
        return text


class ApprovalForm(PlainForm):
    """One answer for every call of an approval request (its `tool_call_id`s, as hidden inputs)."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    reason = forms.CharField(label="Reason (told to the agent when you deny)", required=False, max_length=2000)


# ----------------------------------------------------------------------------------------------- history


def conversation_param(request) -> str | None:
    """The conversation a chat request is about (None: the agent's default thread)."""
    return request.POST.get("conversation") or request.GET.get("conversation") or None


def requested_thread(request, agent_id: str):
    """The agent's thread a chat request names (a foreign or unknown conversation is a 404)."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    try:
        return load_thread(agent, conversation_param(request))
    except DomainError as exc:
        raise Http404(exc.message) from None


def history_rows(thread):
    """The thread's stored messages the chat shows: all but its compiled system prompt (a system message that no
    run stored; one sent as a system message belongs to its run)."""
    rows = Message.objects.filter(agent=thread.agent, conversation_id=thread.conversation_id)
    return rows.exclude(role=Message.Role.SYSTEM, run__isnull=True)


def as_chat(rows: list[Message]) -> dict:
    """Rows (oldest first) as the LettaMessages the API lists, with the records of their runs that have ended."""
    messages = [{**part, "seq_id": row.sequence_id} for row in rows for part in to_letta_messages(row)]
    run_ids = {row.run_id for row in rows if row.run_id}
    runs = Run.objects.filter(pk__in=run_ids).exclude(status__in=Run.ACTIVE) if run_ids else []
    return {"messages": messages, "runs": {run.id: run_summary(run) for run in runs}}


def older_page(thread, before: int | None) -> dict:
    """The PAGE_SIZE stored messages before the cursor (the newest without one), oldest first; one row more
    than a page says whether older ones remain, without counting them."""
    rows = history_rows(thread)
    if before is not None:
        rows = rows.filter(sequence_id__lt=before)
    rows = list(rows.order_by("-sequence_id")[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE][::-1]
    return {**as_chat(rows), "has_more": has_more, "oldest": rows[0].sequence_id if rows else before}


def newer_page(thread, after: int) -> dict:
    """What a page that last showed message `after` missed: the messages stored since, and the active run."""
    rows = list(history_rows(thread).filter(sequence_id__gt=after).order_by("sequence_id")[: CATCH_UP_LIMIT + 1])
    has_more = len(rows) > CATCH_UP_LIMIT
    rows = rows[:CATCH_UP_LIMIT]
    return {
        **as_chat(rows),
        "has_more": has_more,
        "newest": rows[-1].sequence_id if rows else after,
        "active_run": active_run(thread),
    }


def active_run(thread) -> dict | None:
    run_id = active_run_id(thread.agent.id, thread.conversation_id)
    if run_id is None:
        return None
    config = Run.objects.filter(pk=run_id).values_list("request_config", flat=True).first() or {}
    return {"run_id": run_id, "stream_tokens": bool(config.get("stream_tokens"))}


def chat_context(thread) -> dict:
    """What the chat needs when the agent's page loads: the newest messages of the thread, its active run, the
    tool names."""
    tools = list(thread.agent.tools.values_list("name", flat=True))
    return {
        "send_form": SendForm(),
        "conversation_id": thread.conversation_id,
        "chat_data": {**older_page(thread, None), "active_run": active_run(thread), "tools": tools},
    }


def _cursor(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@require_GET
@organization_required
def messages(request, agent_id: str):
    """`?before=SEQ`: the page of history before it; `?after=SEQ`: the catch-up after it (plus the active run)."""
    thread = requested_thread(request, agent_id)
    after = _cursor(request.GET.get("after"))
    if after is not None:
        return JsonResponse(newer_page(thread, after))
    return JsonResponse(older_page(thread, _cursor(request.GET.get("before"))))


@require_GET
@organization_required
def revisions(request, agent_id: str):
    """The memory edits of one tool call (`?tool_call=`) or one step (`?step=`), as diffs of the blocks."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    rows = BlockRevision.objects.filter(agent_id=agent.id).select_related("block").order_by("id")
    if tool_call := request.GET.get("tool_call"):
        rows = rows.filter(tool_call_id=tool_call)
    elif step := request.GET.get("step"):
        rows = rows.filter(step_id=step)
    else:
        rows = rows.none()
    edits = [{"revision": r, "diff": value_diff(r.value_before, r.value_after)} for r in rows[:20]]
    return render(request, f"{TEMPLATE}#revisions", {"agent": agent, "edits": edits})


# ----------------------------------------------------------------------------------------------- actions


async def _start(thread, organization_id: str, messages: list[dict]) -> Run:
    """The run `POST /v1/agents/{id}/messages/async` would start in the thread for these input messages, tokens
    streamed."""
    return await background.start_detached(
        agent_id=thread.agent.id,
        organization_id=organization_id,
        messages=messages,
        stream_tokens=True,
        conversation_id=thread.conversation_id,
    )


def _refusal(exc: DomainError) -> dict:
    """A refused start as the page says it; a busy agent names its run, which the page offers to cancel."""
    if isinstance(exc, AgentBusyError):
        return {"error": "A run is in progress: wait for it to finish, or cancel it.", "busy_run": exc.run_id}
    return {"error": exc.message}


@require_POST
@organization_required
async def send(request, agent_id: str):
    thread = await sync_to_async(requested_thread)(request, agent_id)
    agent = thread.agent
    form = SendForm(request.POST)
    context, status = {"agent": agent, "send_form": form, "conversation_id": thread.conversation_id}, 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = await _start(thread, request.organization_id, [{"role": data["role"], "content": data["text"]}])
        except DomainError as exc:
            context.update(_refusal(exc))
        else:
            fresh = SendForm(initial={"role": data["role"]})
            context = {"agent": agent, "send_form": fresh, "started": run.id, "conversation_id": thread.conversation_id}
            status = 200
    return await sync_to_async(render)(request, f"{TEMPLATE}#send_form", context, status=status)


@require_POST
@organization_required
async def approve(request, agent_id: str):
    """Answer an approval request from the page: the same approval input the API accepts, as a new run."""
    thread = await sync_to_async(requested_thread)(request, agent_id)
    agent = thread.agent
    form = ApprovalForm(request.POST)
    context = {"agent": agent, "form": form}
    if not form.is_valid():
        context["error"] = "Choose Approve or Deny."
        return await sync_to_async(render)(request, f"{TEMPLATE}#approval_answer", context, status=422)
    data = form.cleaned_data
    approve_it = data["decision"] == "approve"
    answer = {"type": "approval", "approve": approve_it}
    if not approve_it and data["reason"].strip():
        answer["reason"] = data["reason"].strip()
    answers = [{**answer, "tool_call_id": call_id} for call_id in request.POST.getlist("tool_call_id")]
    try:
        await _start(thread, request.organization_id, [{"type": "approval", "approvals": answers}])
    except DomainError as exc:
        context.update(_refusal(exc))
        return await sync_to_async(render)(request, f"{TEMPLATE}#approval_answer", context, status=422)
    context["answered"] = "Approved: the run continues." if approve_it else "Denied: the agent is told why."
    return await sync_to_async(render)(request, f"{TEMPLATE}#approval_answer", context)


@require_POST
@organization_required
def cancel(request, agent_id: str):
    """Cancel the thread's active run, through the function the API's cancel routes call."""
    thread = requested_thread(request, agent_id)
    cancelled = request_cancel(thread.agent.id, conversation_id=thread.conversation_id, one_thread=True)
    note = "Cancelling the run…" if cancelled else "No run is in progress."
    return render(request, f"{TEMPLATE}#cancel_note", {"note": note})


urlpatterns = [
    path("agents/<str:agent_id>/chat/send/", send, name="ade-agent-chat-send"),
    path("agents/<str:agent_id>/chat/approve/", approve, name="ade-agent-chat-approve"),
    path("agents/<str:agent_id>/chat/cancel/", cancel, name="ade-agent-chat-cancel"),
    path("agents/<str:agent_id>/chat/messages/", messages, name="ade-agent-chat-messages"),
    path("agents/<str:agent_id>/chat/revisions/", revisions, name="ade-agent-chat-revisions"),
]
