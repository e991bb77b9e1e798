"""The agents list: create (blank or from a starter), search, tag filter, paging, delete, agent files.

Every action calls the service the API calls: `create_agent` (POST /v1/agents), `delete_agent`, `import_agent`
(POST /v1/agents/import) and `export_agent` (GET /v1/agents/{id}/export).
"""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from rest_framework.exceptions import NotFound

from accounts.access import organization_required
from accounts.errors import DomainError
from agents import selectors, services
from agents.agent_file import AgentFileError, export_agent, import_agent
from agents.agent_file.errors import check_size
from agents.api.pagination import page_window
from agents.models import Agent
from agents.pages.agent_forms import CreateAgentForm, ImportForm, SearchForm, StarterForm
from agents.starters import STARTERS, STARTERS_BY_SLUG, create_from_starter
from letta_project.limits import RequestTooLarge, uploaded_files
from memory.services import BlockLimitError, EditActor

LIST = "agents/list.html"
CREATE = "agents/list_create.html"
IMPORT = "agents/list_import.html"
STARTER = "agents/list_starter.html"
PAGE_SIZE = 25


@require_GET
@organization_required
def agent_list(request):
    """Newest first, keyset-paged on (created_at, id): a deep page costs what the first does."""
    org = request.organization_id
    search = SearchForm(request.GET, tags=selectors.organization_tags(org))
    search.is_valid()
    q, tag = search.cleaned_data.get("q") or None, search.cleaned_data.get("tag") or None
    agents, fields = selectors.sorted_by(
        selectors.agents_matching(org, query_text=q, tags=[tag] if tag else None), "created_at"
    )
    page = _page(agents, fields, request.GET.get("after"), request.GET.get("before"))
    counts = selectors.block_counts([agent.id for agent in page["agents"]])
    for agent in page["agents"]:
        agent.num_blocks = counts.get(agent.id, 0)
    context = {"search": search, "filtered": bool(q or tag), "section": "agents", **page}
    # A history restore (back button after a pushed search) needs the whole page, not the results alone.
    partial = request.htmx and not request.htmx.history_restore_request
    template = f"{LIST}#results" if partial else LIST
    return render(request, template, context)


def _page(agents, fields: tuple[str, ...], after: str | None, before: str | None) -> dict:
    """One page newest first, and whether there are newer (previous) or older (next) agents beside it.

    One row more than shown is read to know whether another page follows, so no page counts all the agents.
    """
    try:
        page = page_window(
            agents, fields=fields, after=after, before=before, order="desc", size=PAGE_SIZE, what="Agent"
        )
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    return {"agents": page["rows"], "newer": page["previous"], "older": page["next"]}


@require_http_methods(["GET", "POST"])
@organization_required
def create(request):
    org = request.organization_id
    form = CreateAgentForm(_posted(request), organization_id=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agent = services.create_agent(
                organization_id=org,
                name=data["name"],
                model=data["model"],
                embedding=data["embedding"] or None,
                memory_blocks=form.memory_blocks(),
                actor=_actor(request),
            )
        except BlockLimitError as exc:
            form.add_error(_block_field(str(exc)), str(exc))
        except services.AgentConfigError as exc:  # what it refuses of a new agent is its model handle
            form.add_error("model", str(exc))
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _to_agent(request, agent)
    status = 422 if form.errors else 200
    template = f"{CREATE}#create-form" if request.htmx and request.method == "POST" else CREATE
    return render(request, template, {"form": form, "starters": STARTERS, "section": "agents"}, status=status)


def _block_field(message: str) -> str | None:
    # The service names the block it refused ("Memory block 'persona' would have ..."); its field is the control.
    return next((label for label in ("persona", "human") if f"'{label}'" in message), None)


@require_http_methods(["GET", "POST"])
@organization_required
def starter(request, slug: str):
    chosen = STARTERS_BY_SLUG.get(slug)
    if chosen is None:
        raise Http404(f"No starter agent named '{slug}'.")
    org = request.organization_id
    form = StarterForm(_posted(request), organization_id=org, initial={"name": chosen.name})
    if request.method == "POST" and form.is_valid():
        try:
            agent = create_from_starter(
                chosen,
                organization_id=org,
                name=form.cleaned_data["name"],
                model=form.cleaned_data["model"],
                actor=_actor(request),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _to_agent(request, agent)
    template = f"{STARTER}#starter-form" if request.htmx and request.method == "POST" else STARTER
    context = {"form": form, "starter": chosen, "section": "agents"}
    return render(request, template, context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@organization_required
def import_file(request):
    refused = None
    try:
        files = uploaded_files(request) if request.method == "POST" else None
    except RequestTooLarge as exc:
        files, refused = {}, exc
    form = ImportForm(_posted(request), files)
    context = {"form": form, "section": "agents"}
    if refused:
        form.add_error("file", str(refused))
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.size)  # before reading it into memory
            result = import_agent(
                upload.read(),
                organization_id=request.organization_id,
                override_existing_tools=form.cleaned_data["existing_tools"],
            )
        except AgentFileError as exc:
            form.add_error("file", str(exc))
        else:
            context["result"] = result
            context["imported"] = list(
                Agent.objects.for_organization(request.organization_id).filter(id__in=result.agent_ids)
            )
    template = f"{IMPORT}#import-form" if request.htmx and request.method == "POST" else IMPORT
    return render(request, template, context, status=422 if form.errors else 200)


@require_GET
@organization_required
def export_file(request, agent_id: str):
    """The agent's .af, the same JSON as GET /v1/agents/{id}/export, as a download named after the agent."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    response = JsonResponse(export_agent(agent))
    filename = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in agent.name) or agent.id
    response["Content-Disposition"] = f'attachment; filename="{filename}.af"'
    return response


@require_GET
@organization_required
def confirm_delete(request, agent_id: str):
    """Without JavaScript, Delete leads here: the same question hx-confirm asks, answered by a POST."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    return render(request, "agents/list_confirm_delete.html", {"agent": agent, "section": "agents"})


@require_POST
@organization_required
def delete(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    services.delete_agent(agent)
    if request.htmx:
        return HttpResponse("")  # the row swaps out
    return redirect("ade-agents")


def _posted(request):
    """The form's data: bound on a POST even when it is empty, so an empty submission shows what is missing."""
    return request.POST if request.method == "POST" else None


def _actor(request) -> EditActor:
    return EditActor.user(str(request.user.pk))


def _to_agent(request, agent):
    url = reverse("ade-agent", args=[agent.id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


urlpatterns = [
    path("", agent_list, name="ade-agents"),
    path("new/", create, name="ade-agent-create"),
    path("new/<slug:slug>/", starter, name="ade-agent-starter"),
    path("import/", import_file, name="ade-agent-import"),
    path("agents/<str:agent_id>/export/", export_file, name="ade-agent-export"),
    path("agents/<str:agent_id>/delete/", delete, name="ade-agent-delete"),
    path("agents/<str:agent_id>/delete/confirm/", confirm_delete, name="ade-agent-delete-confirm"),
]
