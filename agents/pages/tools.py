"""An agent's Tools panel: its tools (kind, description, approval toggle, detach), the organization's library to
attach from, and the tool-rule editor with the rules in words as the loop enforces them.

Every action calls the service the API calls and answers with the whole panel (htmx swaps it): attaching,
detaching or toggling approval changes the tool choices and the approval rules the editor and the rule list show.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from accounts.errors import NotFoundError
from accounts.selectors import get_owned
from agents import selectors, services
from agents.pages.panel import panel_context
from agents.pages.tool_rule_forms import APPROVAL, approval_rules, rule_forms, rule_of
from tools.models import Tool
from tools.rules import ToolRuleError, describe_rules, parse_rules

TEMPLATE = "agents/tools.html"
LIBRARY_PAGE_SIZE = 10
_MEMORY_TYPES = {Tool.Type.LETTA_MEMORY_CORE, Tool.Type.LETTA_SLEEPTIME_CORE}


def kind_of(tool: Tool) -> str:
    """The kind a person thinks in: what they wrote (custom), what edits memory, other built-ins, MCP."""
    if tool.tool_type == Tool.Type.CUSTOM:
        return "custom"
    if tool.tool_type == Tool.Type.EXTERNAL_MCP:
        return "MCP"
    if tool.tool_type in _MEMORY_TYPES or "memory" in tool.name:
        return "memory"
    return "built-in"


@require_GET
@organization_required
def agent_tools(request, agent_id: str):
    agent = _agent(request, agent_id)
    return _render(request, agent)


@require_POST
@organization_required
def set_approval(request, agent_id: str, tool_name: str):
    agent = _agent(request, agent_id)
    try:
        services.set_tool_approval(agent, tool_name, request.POST.get("requires_approval") == "on")
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    return _changed(request, agent)


@require_POST
@organization_required
def attach(request, agent_id: str):
    agent = _agent(request, agent_id)
    services.attach_tool(agent, get_owned(Tool, request.organization_id, request.POST.get("tool_id", ""), "Tool"))
    return _changed(request, agent)


@require_POST
@organization_required
def detach(request, agent_id: str, tool_id: str):
    agent = _agent(request, agent_id)
    services.detach_tool(agent, get_owned(agent.tools.all(), request.organization_id, tool_id, "Tool"))
    return _changed(request, agent)


@require_GET
@organization_required
def library(request, agent_id: str):
    """A page of the organization's tools the agent lacks, searched by name: the library is never loaded whole."""
    agent = _agent(request, agent_id)
    if not request.htmx:
        return redirect(f"{reverse('ade-agent-tools', args=[agent.id])}?{request.GET.urlencode()}")
    return render(request, f"{TEMPLATE}#library", {"agent": agent, "library": _library(request, agent)})


@require_POST
@organization_required
def save_rules(request, agent_id: str):
    """Save the editor's rows (less the one whose Remove was pressed, plus the new row when filled in) through
    update_agent, as PATCH /v1/agents/{id} does; the agent's approval rules ride along unchanged."""
    agent = _agent(request, agent_id)
    rows, new = rule_forms(agent.tool_rules, _tool_names(agent), request.POST)
    removed = request.POST.get("remove")
    kept = [form for index, form in enumerate(rows.forms) if str(index) != removed]
    adding = removed is None
    if not rows.management_form.is_valid():
        # Only a hand-made request lacks it; saving would drop every rule, so nothing is saved.
        error = "The rule editor's form arrived incomplete; reload the page and try again."
        return _render(request, agent, rules_error=error, status=422)
    if not (all([form.is_valid() for form in kept]) and (not adding or new.is_valid())):
        return _render(request, agent, rows=rows, new=new, status=422)
    edited = [rule_of(form.cleaned_data) for form in kept]
    if adding and not new.is_blank:
        edited.append(rule_of(new.cleaned_data))
    try:
        services.update_agent(agent, tool_rules=[*edited, *approval_rules(agent.tool_rules)])
    except ToolRuleError as exc:
        return _render(request, agent, rows=rows, new=new, rules_error=str(exc), status=422)
    return _changed(request, agent, saved=True)


def _changed(request, agent, **extra):
    """After a change: the panel for htmx to swap in; without htmx, back to the panel's address, so reloading
    the page does not post the change again."""
    if request.htmx:
        return _render(request, agent, **extra)
    return redirect("ade-agent-tools", agent.id)


def _agent(request, agent_id: str):
    return selectors.agent_of(request.organization_id, agent_id)


def _tool_names(agent) -> list[str]:
    return list(agent.tools.order_by("name").values_list("name", flat=True))


def _library(request, agent):
    query = request.GET.get("q", "").strip()
    tools = Tool.objects.for_organization(agent.organization_id).exclude(agents=agent).order_by("name", "id")
    if query:
        tools = tools.filter(name__icontains=query)
    page = Paginator(tools, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "q": query, "rows": [(tool, kind_of(tool)) for tool in page]}


def _render(request, agent, *, rows=None, new=None, status=200, **extra):
    rules = agent.tool_rules or []
    if rows is None:
        rows, new = rule_forms(rules, _tool_names(agent))
    needs_approval = {r.get("tool_name") for r in rules if r.get("type") == APPROVAL}
    tools = [(tool, kind_of(tool), tool.name in needs_approval) for tool in agent.tools.order_by("name")]
    context = panel_context(
        agent,
        "tools",
        tools=tools,
        rows=rows,
        new=new,
        enforced=_enforced(rules),
        library=_library(request, agent),
        **extra,
    )
    template = f"{TEMPLATE}#panel" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


def _enforced(rules: list[dict]) -> list[str]:
    # Stored rules were parsed when saved; a row written before a parser change is shown as what it is.
    try:
        return describe_rules(parse_rules(rules))
    except ToolRuleError as exc:
        return [f"(the stored rules do not parse: {exc})"]


urlpatterns = [
    path("agents/<str:agent_id>/tools/", agent_tools, name="ade-agent-tools"),
    path("agents/<str:agent_id>/tools/library/", library, name="ade-agent-tool-library"),
    path("agents/<str:agent_id>/tools/attach/", attach, name="ade-agent-tool-attach"),
    path("agents/<str:agent_id>/tools/rules/", save_rules, name="ade-agent-tool-rules"),
    path("agents/<str:agent_id>/tools/<str:tool_id>/detach/", detach, name="ade-agent-tool-detach"),
    path("agents/<str:agent_id>/tools/<str:tool_name>/approval/", set_approval, name="ade-agent-tool-approval"),
]
