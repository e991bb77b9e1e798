"""An agent's archival memory: passages newest first, hybrid search, add and delete.

Each action is the API's: the list pages with `memory.archival.list_passages` cursors (never the whole archive),
search is `agents.passages.search_agent_passages` (the ranking of the agent's archival_memory_search tool), adding
is `agents.passages.insert_passage` and deleting `agents.passages.delete_agent_passage`.
"""

from datetime import datetime

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import organization_required
from agents import passages, selectors
from agents.pages.agent_forms import TextareaField
from agents.pages.panel import panel_context
from memory import archival
from memory.archival import PassageNotFoundError
from memory.services import MemoryEditError

TEMPLATE = "agents/archival.html"
PAGE_SIZE = 20
SEARCH_RESULTS = 20


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class PanelForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)  # labels read "Tags", not "Tags:"


class PassageForm(PanelForm):
    # Not stripped or required here: the service refuses an empty text, in its own words.
    text = TextareaField(label="Passage", required=False, rows=4)
    tags = forms.CharField(required=False, help_text="Separated by commas.")


class SearchForm(PanelForm):
    """Its ids start "search_", so they differ from the add form's on the same page (both have `tags`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="search_%s", **kwargs)

    query = forms.CharField(label="Search for", error_messages={"required": "Type what to look for."})
    tags = forms.CharField(label="Only with tags", required=False, help_text="Separated by commas.")
    tag_match_mode = forms.ChoiceField(
        label="Tag match", choices=[("any", "any of the tags"), ("all", "all of the tags")], required=False
    )


@require_http_methods(["GET", "POST"])
@organization_required
def agent_archival(request, agent_id: str):
    """The list (a page of it for htmx: `older`/`newer` name the passage the page starts beyond), or on POST a new
    passage, after which the list starts again from the newest."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    if request.method == "POST":
        return _add(request, agent)
    page = passage_page(agent, older_than=request.GET.get("older"), newer_than=request.GET.get("newer"))
    if request.htmx:
        return render(request, f"{TEMPLATE}#passages", {"agent": agent, "page": page})
    return _render_page(request, agent, page=page)


def _add(request, agent) -> HttpResponse:
    form = PassageForm(request.POST)
    form.is_valid()
    try:
        passage = passages.insert_passage(
            agent, text=form.cleaned_data["text"], tags=split_tags(form.cleaned_data["tags"])
        )
    except MemoryEditError as exc:
        form.add_error("text", str(exc))
        if request.htmx:
            return render(request, f"{TEMPLATE}#add_form", {"agent": agent, "add_form": form}, status=422)
        return _render_page(request, agent, add_form=form, status=422)
    if not request.htmx:
        return redirect("ade-agent-archival", agent.id)
    context = {"agent": agent, "add_form": PassageForm(), "added": passage, "page": passage_page(agent), "oob": True}
    return render(request, f"{TEMPLATE}#added", context)


@require_GET
@organization_required
def search_archival(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    form = SearchForm(request.GET)
    results = None
    if form.is_valid():
        data = form.cleaned_data
        results = passages.search_agent_passages(
            agent,
            data["query"],
            tags=split_tags(data["tags"]) or None,
            tag_match_mode=data["tag_match_mode"] or "any",
            top_k=SEARCH_RESULTS,
        )
        for hit in results:
            hit["created_at"] = datetime.fromisoformat(hit["timestamp"])
    status = 200 if form.is_valid() else 422
    if request.htmx:
        return render(
            request, f"{TEMPLATE}#search", {"agent": agent, "search_form": form, "results": results}, status=status
        )
    return _render_page(request, agent, search_form=form, results=results, status=status)


@require_POST
@organization_required
def delete_passage(request, agent_id: str, passage_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    try:
        passages.delete_agent_passage(agent, passage_id)
    except PassageNotFoundError as exc:
        raise Http404(str(exc)) from exc
    if request.htmx:
        return HttpResponse("")  # the row's outerHTML: it disappears
    return redirect("ade-agent-archival", agent.id)


def passage_page(agent, *, older_than: str | None = None, newer_than: str | None = None) -> dict:
    """PAGE_SIZE passages newest first: the newest, those just older than `older_than`, or those just newer than
    `newer_than` (passage ids); one more is read to know whether the list goes on."""
    if agent.archive_id is None:
        return {"passages": [], "older": None, "newer": None, "total": 0}
    try:
        if newer_than:
            rows = archival.list_passages(agent.archive_id, ascending=True, after=newer_than, limit=PAGE_SIZE + 1)
            more_newer, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
            more_older = True
        else:
            rows = archival.list_passages(agent.archive_id, ascending=False, after=older_than, limit=PAGE_SIZE + 1)
            more_older, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
            more_newer = bool(older_than)
    except PassageNotFoundError as exc:
        raise Http404(str(exc)) from exc
    return {
        "passages": rows,
        "older": rows[-1].id if rows and more_older else None,
        "newer": rows[0].id if rows and more_newer else None,
        "total": archival.count_passages([agent.archive_id]),
    }


def _render_page(request, agent, *, status: int = 200, **parts) -> HttpResponse:
    context = {"add_form": PassageForm(), "search_form": SearchForm(), "results": None, **parts}
    context.setdefault("page", passage_page(agent))
    return render(request, TEMPLATE, panel_context(agent, "archival", **context), status=status)


urlpatterns = [
    path("agents/<str:agent_id>/archival/", agent_archival, name="ade-agent-archival"),
    path("agents/<str:agent_id>/archival/search/", search_archival, name="ade-agent-archival-search"),
    path(
        "agents/<str:agent_id>/archival/<str:passage_id>/delete/",
        delete_passage,
        name="ade-agent-archival-delete",
    ),
]
