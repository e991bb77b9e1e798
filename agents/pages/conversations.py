"""The conversation picker above an agent's chat: switch threads, start a new one, rename one, fork one.

Each action calls the service the `/v1/conversations` routes call (agents/conversations.py) and answers a redirect
to the agent's page on the thread it made or changed, so the page works without scripts and Back works too.
"""

from django import forms
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.access import organization_required
from accounts.errors import DomainError
from agents import conversations as service
from agents.models import Agent, Conversation
from agents.pages.agent_forms import PlainForm
from agents.pages.chat import requested_thread

# The picker lists the newest conversations; older ones stay reachable through the API (and their links).
PICKER_SIZE = 50


class RenameForm(PlainForm):
    summary = forms.CharField(label="Name", max_length=service.MAX_SUMMARY_CHARS, strip=True)


def picker_context(thread, rename_form: RenameForm | None = None) -> dict:
    conversation = thread if isinstance(thread, Conversation) else None
    rows = service.conversations_of(thread.agent.organization_id, agent_id=thread.agent.id)
    newest = list(rows.order_by("-created_at", "-id")[: PICKER_SIZE + 1])
    if conversation is not None and conversation.id not in {c.id for c in newest}:
        newest.insert(0, conversation)  # a hidden, archived or older one, opened by its link
    return {
        "conversation": conversation,
        "conversations": newest[:PICKER_SIZE],
        "more_conversations": len(newest) > PICKER_SIZE,
        "rename_form": rename_form or RenameForm(initial={"summary": conversation.summary if conversation else ""}),
    }


def thread_url(agent_id: str, conversation_id: str | None) -> str:
    url = reverse("ade-agent", args=[agent_id])
    return f"{url}?{urlencode({'conversation': conversation_id})}" if conversation_id else url


@require_POST
@organization_required
def new(request, agent_id: str):
    thread = requested_thread(request, agent_id)
    conversation = service.create_conversation(_agent(thread))
    return redirect(thread_url(agent_id, conversation.id))


@require_POST
@organization_required
def fork(request, agent_id: str):
    thread = requested_thread(request, agent_id)
    forked = service.fork_conversation(_agent(thread), thread)
    return redirect(thread_url(agent_id, forked.id))


@require_POST
@organization_required
def rename(request, agent_id: str):
    thread = requested_thread(request, agent_id)
    form = RenameForm(request.POST)
    if isinstance(thread, Conversation) and form.is_valid():
        try:
            service.update_conversation(thread, summary=form.cleaned_data["summary"])
        except DomainError as exc:
            form.add_error("summary", exc.message)
        else:
            return redirect(thread_url(agent_id, thread.id))
    elif not isinstance(thread, Conversation):
        form.add_error(None, "The default conversation is the agent's own and keeps its name.")
    # The agent's page imports this module for its picker, hence the import here.
    from agents.pages.context import DETAIL, page_context

    return render(request, DETAIL, page_context(thread, preview="", **picker_context(thread, form)), status=422)


def _agent(thread) -> Agent:
    """The stored agent (the thread's copy may carry a conversation's model settings)."""
    return Agent.objects.get(pk=thread.agent.pk)


urlpatterns = [
    path("agents/<str:agent_id>/conversations/new/", new, name="ade-agent-conversation-new"),
    path("agents/<str:agent_id>/conversations/fork/", fork, name="ade-agent-conversation-fork"),
    path("agents/<str:agent_id>/conversations/rename/", rename, name="ade-agent-conversation-rename"),
]
