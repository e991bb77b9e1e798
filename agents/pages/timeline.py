"""An agent's memory timeline: every revision of its blocks, newest first, with who made it, a diff of the value,
and restore (a new revision, so nothing is lost).

The page reads the same function as `GET /v1/agents/{id}/memory/history` (agents.memory_history), keyset-paged
on the revision id, and restores through the service `POST /v1/blocks/{id}/history/{version}/restore` calls.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from accounts.errors import DomainError
from agents import selectors, services
from agents.memory_history import agent_history
from agents.pages.panel import panel_context
from memory.services import EditActor

TEMPLATE = "agents/timeline.html"
PAGE_SIZE = 20


def _cursor(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _timeline(agent, *, block_id: str | None, after: int | None, before: int | None, **extra) -> dict:
    """The page of revisions around the cursors, and whether there are newer and older ones beyond it."""
    blocks = list(agent.blocks.order_by("label", "id"))
    if block_id and block_id not in {block.id for block in blocks}:
        raise Http404(f"Block {block_id} is not one of this agent's blocks.")
    # One row more than a page says whether another page follows, without a count over thousands of rows.
    entries = agent_history(agent, block_id=block_id, after=after, before=before, order="desc", limit=PAGE_SIZE + 1)
    if before is not None and after is None:
        has_newer, has_older = len(entries) > PAGE_SIZE, bool(entries)
        entries = entries[-PAGE_SIZE:]
    else:
        has_newer, has_older = after is not None, len(entries) > PAGE_SIZE
        entries = entries[:PAGE_SIZE]
    group = agent.sleeptime_group
    return panel_context(
        agent,
        "timeline",
        # Its edits are named as the sleep-time agent's, not just "an agent".
        sleeptime_agent_id=group.sleeptime_agent_id if group else None,
        blocks=blocks,
        block_id=block_id or "",
        entries=entries,
        newer=entries[0].id if has_newer and entries else None,
        older=entries[-1].id if has_older and entries else None,
        **extra,
    )


@require_GET
@organization_required
def timeline(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    context = _timeline(
        agent,
        block_id=request.GET.get("block") or None,
        after=_cursor(request.GET.get("after")),
        before=_cursor(request.GET.get("before")),
    )
    return render(request, f"{TEMPLATE}#timeline" if request.htmx else TEMPLATE, context)


@require_POST
@organization_required
def restore(request, agent_id: str, block_id: str, version: int):
    agent = selectors.agent_of(request.organization_id, agent_id)
    block = get_object_or_404(agent.blocks, pk=block_id)
    filtered = request.POST.get("block") or None
    try:
        block = services.restore_block_revision(block, version, actor=EditActor.user(str(request.user.pk)))
    except DomainError as exc:
        context = _timeline(agent, block_id=filtered, after=None, before=None, error=str(exc))
        return render(request, f"{TEMPLATE}#timeline" if request.htmx else TEMPLATE, context, status=422)
    message = f"Restored “{block.label}” to the value of version {version}, as version {block.version}."
    if request.htmx:
        context = _timeline(agent, block_id=filtered, after=None, before=None, restored=message)
        return render(request, f"{TEMPLATE}#timeline", context)
    query = f"?block={filtered}" if filtered else ""
    return redirect(reverse("ade-agent-timeline", args=[agent.id]) + query)


urlpatterns = [
    path("agents/<str:agent_id>/timeline/", timeline, name="ade-agent-timeline"),
    path(
        "agents/<str:agent_id>/timeline/<str:block_id>/<int:version>/restore/",
        restore,
        name="ade-timeline-restore",
    ),
]
