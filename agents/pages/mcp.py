"""MCP servers (organization-wide): add one (stdio or HTTP), test it, see its tools, attach them to an agent, delete.

Each action is the service `/v1/mcp-servers` calls (`tools.mcp.services`); attaching is `agents.services.attach_tool`,
as `PATCH /v1/agents/{id}/tools/attach/{tool_id}` does. Once stored, a token, header or environment value is never
sent to the browser again: the page says only which names are set.
"""

from asgiref.sync import async_to_sync
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from accounts.errors import DomainError
from accounts.selectors import get_owned
from agents import services as agent_services
from agents.models import Agent
from agents.pages.agent_forms import PlainForm
from tools.mcp import services
from tools.mcp.client import list_tools
from tools.models import MCPServer

TEMPLATE = "mcp/list.html"
PAGE_SIZE = 50
AGENT_CHOICES = 200  # the attach picker offers the most recently changed agents


def _pairs(text: str, separator: str, what: str, example: str) -> dict[str, str]:
    """`NAME<separator>value` lines as a dict; a line without the separator is an error naming it."""
    pairs = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(separator)
        if not sep or not name.strip():
            raise ValidationError(f"Each {what} line reads {example}; “{line.strip()[:60]}” does not.")
        pairs[name.strip()] = value.strip()
    return pairs


class ServerForm(PlainForm):
    mcp_server_type = forms.ChoiceField(
        label="Transport",
        choices=[("stdio", "stdio (a command)"), ("streamable_http", "Streamable HTTP"), ("sse", "SSE")],
    )
    server_name = forms.CharField(label="Name", max_length=100)
    command = forms.CharField(
        label="Command",
        required=False,
        max_length=1000,
        help_text="stdio: an installed command, e.g. mcp-server-time (it runs sandboxed, without network).",
    )
    args = forms.CharField(
        label="Arguments", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="stdio: one per line."
    )
    env = forms.CharField(
        label="Environment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="stdio: NAME=value, one per line. Stored encrypted; never shown again.",
    )
    server_url = forms.CharField(
        label="URL", required=False, max_length=2000, help_text="HTTP: e.g. https://example.com/mcp."
    )
    auth_token = forms.CharField(
        label="Authorization header",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True),
        help_text="HTTP: its whole value, e.g. Bearer sk-…. Stored encrypted; never shown again.",
    )
    custom_headers = forms.CharField(
        label="Other headers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="HTTP: Name: value, one per line. Stored encrypted; never shown again.",
    )

    def clean_env(self):
        return _pairs(self.cleaned_data["env"], "=", "environment", "NAME=value")

    def clean_custom_headers(self):
        return _pairs(self.cleaned_data["custom_headers"], ":", "header", "Name: value")

    def config(self) -> dict:
        data = self.cleaned_data
        if data["mcp_server_type"] == "stdio":
            args = [line.strip() for line in data["args"].splitlines() if line.strip()]
            return {"mcp_server_type": "stdio", "command": data["command"], "args": args, "env": data["env"]}
        return {
            "mcp_server_type": data["mcp_server_type"],
            "server_url": data["server_url"],
            "auth_header": "Authorization" if data["auth_token"] else None,
            "auth_token": data["auth_token"] or None,
            "custom_headers": data["custom_headers"],
        }


def _field_of(exc: DomainError, form: ServerForm) -> str | None:
    """The control an error belongs beside: the name for a clash, else the address the server is reached at."""
    if isinstance(exc, services.MCPServerNameTaken):
        return "server_name"
    if "command" in str(exc) or "args" in str(exc):
        return "command"
    return None if form.cleaned_data.get("mcp_server_type") == "stdio" else "server_url"


@require_GET
@organization_required
def server_list(request):
    return render(request, TEMPLATE, _context(request, ServerForm()))


@require_POST
@organization_required
def server_create(request):
    """Connect, read the tools, store: a server that cannot be reached is not added, and the error says why."""
    form = ServerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            server, report = async_to_sync(services.create_server)(
                request.organization_id, data["server_name"], form.config()
            )
        except DomainError as exc:
            form.add_error(_field_of(exc, form), str(exc))
        else:
            if not request.htmx:
                return redirect("ade-mcp-server", server_id=server.id)
            return _render(request, _context(request, ServerForm(), added=server, report=report))
    return _render(request, _context(request, form), status=422)


@require_POST
@organization_required
def server_test_new(request):
    """Connect with the typed settings and list the tools, without storing anything."""
    form = ServerForm(request.POST)
    check = None
    if form.is_valid():
        try:
            server = services.new_server(request.organization_id, form.cleaned_data["server_name"], form.config())
            tools = async_to_sync(list_tools)(server)
            check = {"ok": True, "message": _found(tools)}
        except services.MCPConfigError as exc:
            form.add_error(_field_of(exc, form), str(exc))
        except DomainError as exc:
            check = {"ok": False, "message": str(exc)}
    return _render(request, _context(request, form, check=check), status=422 if form.errors else 200)


def _found(tools) -> str:
    if not tools:
        return "Connected; it offers no tools."
    return f"Connected; it offers {len(tools)} tool{'s' if len(tools) != 1 else ''}: " + ", ".join(
        t.name for t in tools
    )


@require_GET
@organization_required
def server_detail(request, server_id: str):
    server = get_owned(MCPServer, request.organization_id, server_id, "MCP server")
    return render(request, "mcp/detail.html", _detail_context(request, server))


@require_POST
@organization_required
def server_refresh(request, server_id: str):
    """Test a stored server: connect, re-read its tools, say what changed (or why it failed)."""
    server = get_owned(MCPServer, request.organization_id, server_id, "MCP server")
    try:
        report = async_to_sync(services.refresh_server)(server)
        check = {"ok": True, "message": _changes(report)}
    except DomainError as exc:
        check = {"ok": False, "message": str(exc)}
    status = 200 if check["ok"] else 422
    template = "mcp/detail.html#tools" if request.htmx else "mcp/detail.html"
    return render(request, template, _detail_context(request, server, check=check), status=status)


def _changes(report: services.SyncReport) -> str:
    parts = [f"{len(names)} {what}" for what, names in (("added", report.added), ("removed", report.deleted)) if names]
    parts += [f"{len(report.updated)} updated"] if report.updated else []
    text = "Connected; " + (", ".join(parts) if parts else "its tools are unchanged") + "."
    if report.skipped:
        text += " Not added: " + "; ".join(f"{name} ({why})" for name, why in report.skipped.items())
    return text


class AttachForm(forms.Form):
    agent = forms.ChoiceField(label="Agent")
    tools = forms.MultipleChoiceField(label="Tools", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, agents, tools, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["agent"].choices = [("", "Choose an agent…")] + [(a.id, a.name) for a in agents]
        self.fields["tools"].choices = [(t.id, t.name) for t in tools]


@require_POST
@organization_required
def server_attach(request, server_id: str):
    server = get_owned(MCPServer, request.organization_id, server_id, "MCP server")
    form = _attach_form(request, server, request.POST)
    attached = None
    if form.is_valid():
        agent = get_owned(Agent, request.organization_id, form.cleaned_data["agent"], "Agent")
        tools = services.server_tools(server).filter(pk__in=form.cleaned_data["tools"]).order_by("name")
        with transaction.atomic():
            for tool in tools:
                agent_services.attach_tool(agent, tool)
        attached = {"agent": agent, "tools": [t.name for t in tools]}
        form = _attach_form(request, server)
    template = "mcp/detail.html#tools" if request.htmx else "mcp/detail.html"
    context = _detail_context(request, server, form=form, attached=attached)
    return render(request, template, context, status=422 if form.errors else 200)


@require_GET
@organization_required
def server_confirm_delete(request, server_id: str):
    server = get_owned(MCPServer, request.organization_id, server_id, "MCP server")
    count = services.server_tools(server).count()
    return render(request, "mcp/confirm_delete.html", {"server": server, "tool_count": count, "section": "mcp"})


@require_POST
@organization_required
def server_delete(request, server_id: str):
    services.delete_server(get_owned(MCPServer, request.organization_id, server_id, "MCP server"))
    if request.htmx:
        return _render(request, _context(request, ServerForm()))
    return redirect("ade-mcp")


def _render(request, context: dict, status: int = 200):
    template = f"{TEMPLATE}#servers" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


def _context(request, form: ServerForm, **extra) -> dict:
    servers = MCPServer.objects.for_organization(request.organization_id).order_by("server_name", "id")
    try:
        offset = max(int(request.GET.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    page = list(servers[offset : offset + PAGE_SIZE + 1])
    return {
        "form": form,
        "servers": page[:PAGE_SIZE],
        "more": offset + PAGE_SIZE if len(page) > PAGE_SIZE else None,
        "section": "mcp",
        **extra,
    }


def _attach_form(request, server: MCPServer, data=None) -> AttachForm:
    agents = Agent.objects.for_organization(request.organization_id).order_by("-updated_at")[:AGENT_CHOICES]
    return AttachForm(data, agents=agents, tools=services.server_tools(server).order_by("name"))


def _detail_context(request, server: MCPServer, **extra) -> dict:
    return {
        "server": server,
        "tools": services.server_tools(server).order_by("name"),
        "form": extra.pop("form", None) or _attach_form(request, server),
        "section": "mcp",
        **extra,
    }


urlpatterns = [
    path("mcp/", server_list, name="ade-mcp"),
    path("mcp/add/", server_create, name="ade-mcp-create"),
    path("mcp/test/", server_test_new, name="ade-mcp-test-new"),
    path("mcp/<str:server_id>/", server_detail, name="ade-mcp-server"),
    path("mcp/<str:server_id>/refresh/", server_refresh, name="ade-mcp-refresh"),
    path("mcp/<str:server_id>/attach/", server_attach, name="ade-mcp-attach"),
    path("mcp/<str:server_id>/delete/", server_delete, name="ade-mcp-delete"),
    path("mcp/<str:server_id>/delete/confirm/", server_confirm_delete, name="ade-mcp-delete-confirm"),
]
