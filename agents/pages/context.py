"""An agent's page opens on its chat (agents/pages/chat.py) beside its context window viewer: what the next request
to the provider would hold. Both show one thread: the agent's default one, or the conversation `?conversation=`
names (the picker above the chat, agents/pages/conversations.py)."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import organization_required
from agents.context_display import context_display
from agents.context_window import context_overview
from agents.pages.chat import chat_context, requested_thread
from agents.pages.conversations import picker_context
from agents.pages.panel import panel_context
from agents.pages.providers import window_note

DETAIL = "agents/detail.html"


@require_GET
@organization_required
def agent_detail(request, agent_id: str):
    thread = requested_thread(request, agent_id)
    return render(request, DETAIL, page_context(thread, preview=""))


@require_GET
@organization_required
def agent_context(request, agent_id: str):
    """The viewer alone, for htmx to swap in: on the refresh button, a preview message, a `context-changed`
    event (the page sends it after each step of a run of the thread and at its end), or coming back to the tab."""
    thread = requested_thread(request, agent_id)
    preview = request.GET.get("preview", "").strip()
    if request.htmx:
        return render(request, f"{DETAIL}#context", _detail_context(thread, preview=preview))
    return render(request, DETAIL, page_context(thread, preview=preview))


def page_context(thread, *, preview: str, **extra) -> dict:
    """Everything the agent's first tab renders for one thread."""
    return {**_detail_context(thread, preview=preview), **chat_context(thread), **picker_context(thread), **extra}


def _detail_context(thread, *, preview: str) -> dict:
    overview = context_overview(thread.agent, preview or None, thread=thread)
    return panel_context(
        thread.agent,
        "context",
        context=context_display(overview),
        preview=preview,
        conversation_id=thread.conversation_id,
        window=window_note(thread.agent),
    )


urlpatterns = [
    path("agents/<str:agent_id>/", agent_detail, name="ade-agent"),
    path("agents/<str:agent_id>/context/", agent_context, name="ade-agent-context"),
]
