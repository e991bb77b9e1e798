"""The custom tool editor: Python source, its JSON schema as it is typed, a test run in the sandbox, and save.

Each part calls what the API calls: `schema_from_source` (what POST /v1/tools/ stores), `run_custom_tool` (what
POST /v1/tools/run and the agent loop run), `create_tool_from_source` / `update_tool` (POST and PATCH /v1/tools/).
"""

import json
import time

from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import organization_required
from accounts.selectors import get_owned
from agents import services
from agents.models import Agent
from agents.pages.agent_forms import json_object
from tools.models import Tool
from tools.sandbox import run_custom_tool
from tools.schema import SchemaError, check_arguments, schema_from_source
from tools.services import ToolDefinitionError, create_tool_from_source, update_tool

TEMPLATE = "tools/editor.html"
SOURCE_PLACEHOLDER = '''def roll_dice(sides: int = 6) -> str:
    """Roll a die.

    Args:
        sides: How many sides the die has.
    """
    import random
    return str(random.randint(1, sides))'''


class ToolSourceForm(forms.Form):
    source_code = forms.CharField(
        label="Python source",
        strip=False,
        help_text="One top-level function with type annotations and a Google-style docstring; its name is the tool's.",
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "placeholder": SOURCE_PLACEHOLDER}),
    )
    attach = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, agent: Agent | None = None, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        # The schema beside the source follows what is typed (htmx posts the form to the preview).
        self.fields["source_code"].widget.attrs.update(
            {
                "hx-post": reverse("ade-tool-schema"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#schema",
                "hx-swap": "outerHTML",
            }
        )
        if agent is None:
            del self.fields["attach"]
        else:
            self.fields["attach"].label = f"Attach it to {agent.name}"


class RunForm(forms.Form):
    args = forms.CharField(
        label="Arguments (JSON)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "placeholder": '{"sides": 20}'}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_args(self) -> dict:
        example = ' of names to values, e.g. {"sides": 20}'
        return json_object(self.cleaned_data["args"], subject="The arguments", example=example) or {}


@require_http_methods(["GET", "POST"])
@organization_required
def new_tool(request):
    return _editor(request, tool=None)


@require_http_methods(["GET", "POST"])
@organization_required
def edit_tool(request, tool_id: str):
    tool = get_owned(Tool, request.organization_id, tool_id, "Custom tool", tool_type=Tool.Type.CUSTOM)
    return _editor(request, tool=tool)


def _editor(request, *, tool: Tool | None):
    agent = _coming_from(request)
    if request.method == "GET":
        form = ToolSourceForm(initial={"source_code": tool.source_code if tool else ""}, agent=agent)
        return _render(request, form, tool=tool, agent=agent, saved="saved" in request.GET)
    form = ToolSourceForm(request.POST, agent=agent)
    if form.is_valid():
        try:
            saved = _save(request, tool, form.cleaned_data["source_code"])
        except ToolDefinitionError as exc:
            form.add_error("source_code", str(exc))
        else:
            if agent is not None and form.cleaned_data.get("attach"):
                services.attach_tool(agent, saved)
                return redirect("ade-agent-tools", agent.id)
            query = f"?agent={agent.id}&saved=1" if agent else "?saved=1"
            return redirect(reverse("ade-tool", args=[saved.id]) + query)
    return _render(request, form, tool=tool, agent=agent, status=422)


def _save(request, tool: Tool | None, source: str) -> Tool:
    if tool is None:
        return create_tool_from_source(organization_id=request.organization_id, source_code=source)
    return update_tool(tool, {"source_code": source})


def _coming_from(request) -> Agent | None:
    """The agent whose Tools panel opened the editor (to attach the tool to and go back to), if any."""
    agent_id = request.GET.get("agent") or request.POST.get("agent")
    return get_owned(Agent, request.organization_id, agent_id, "Agent") if agent_id else None


def _render(request, form, *, tool, agent, status=200, **extra):
    context = {
        "form": form,
        "run_form": RunForm(),
        "tool": tool,
        "agent": agent,
        "section": "agents",
        **_schema_context(form["source_code"].value() or ""),
        **extra,
    }
    return render(request, TEMPLATE, context, status=status)


def _schema_context(source: str) -> dict:
    if not source.strip():
        return {}
    try:
        return {"schema_json": json.dumps(schema_from_source(source), indent=2)}
    except SchemaError as exc:
        return {"schema_error": str(exc)}


@require_POST
@organization_required
def schema_preview(request):
    """The schema of the source as typed so far, or why there is none yet (never stores anything)."""
    return render(request, f"{TEMPLATE}#schema", _schema_context(request.POST.get("source_code", "")))


@require_POST
@organization_required
async def test_run(request):
    """Run the source as typed with the JSON arguments, as POST /v1/tools/run does. Async, like that route: a tool
    may take up to TOOL_TIMEOUT_SECONDS in its sandbox, and a sync view would hold the shared thread meanwhile."""
    form = RunForm(request.POST)
    context, status = {"run_form": form}, 422
    if form.is_valid():
        context, status = await _run(form, request.POST.get("source_code", ""), request.organization_id)
    return await sync_to_async(render)(request, f"{TEMPLATE}#run", context, status=status)


async def _run(form: RunForm, source: str, organization_id: str) -> tuple[dict, int]:
    try:
        schema = schema_from_source(source)
    except SchemaError as exc:
        return {"run_form": form, "run_error": f"Fix the source before running it: {exc}"}, 422
    args = form.cleaned_data["args"]
    if problems := check_arguments(schema, args):
        form.add_error("args", f"{schema['name']}() {'; '.join(problems)}.")
        return {"run_form": form}, 422
    started = time.perf_counter()
    result = await run_custom_tool(
        source,
        schema["name"],
        args,
        schema=schema,
        return_char_limit=1_000_000,
        timeout_seconds=settings.TOOL_TIMEOUT_SECONDS,
        organization_id=organization_id,
    )
    duration_ms = (time.perf_counter() - started) * 1000
    return {"run_form": form, "result": result, "duration_ms": duration_ms, "ran": schema["name"]}, 200


urlpatterns = [
    path("tools/new/", new_tool, name="ade-tool-new"),
    path("tools/schema/", schema_preview, name="ade-tool-schema"),
    path("tools/run/", test_run, name="ade-tool-run"),
    path("tools/<str:tool_id>/", edit_tool, name="ade-tool"),
]
