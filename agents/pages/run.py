"""One run of an agent: its summary and its steps in order, paged, each with its timings, usage, the messages it
produced, a person's feedback (the service `PATCH /v1/steps/{id}/feedback` calls) and its provider traces.

The page reads trace rows without their bodies; a body loads when its `<details>` opens (`trace_body`), and a
step's traces download whole as JSON (`step_trace_json`). So a run of 1,000 steps with large traces opens as fast
as a short one.
"""

import json

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from accounts.errors import DomainError
from agents import run_selectors, selectors, services
from agents.api.run_serializers import provider_trace
from agents.pages import run_display
from agents.pages.agent_forms import PlainForm, TextareaField
from agents.pages.panel import panel_context

TEMPLATE = "agents/run.html"
PAGE_SIZE = 20
VERDICTS = {"positive": "positive", "negative": "negative", "clear": None}


class FeedbackForm(PlainForm):
    # "keep" saves the comment alone; "clear" removes the verdict and the comment.
    verdict = forms.ChoiceField(choices=[(v, v) for v in ("positive", "negative", "keep", "clear")])
    comment = TextareaField(rows=2, required=False)


def _step_page(run, *, after: str | None, before: str | None, at: str | None) -> dict:
    steps = run_selectors.run_steps(run)
    first = steps.filter(id=at).first() if at else None
    if first:  # open on the page that starts with this step (a link to one step of a long run)
        steps = steps.filter(created_at__gte=first.created_at).exclude(created_at=first.created_at, id__lt=first.id)
        after = before = None
    page = run_selectors.keyset(steps, after=after, before=before, order="asc", size=PAGE_SIZE, what="Step")
    rows = page["rows"]
    number = 1 + run_selectors.steps_before(run, rows[0]) if rows and (after or before or first) else 1
    return {
        "steps": rows,
        "first_number": number,
        "last_number": number + len(rows) - 1,
        "earlier": rows[0].id if number > 1 else None,
        "later": page["next"],
    }


def _decorate(agent, steps) -> None:
    """Give each shown step what its panel shows, read for these steps only (two queries for any page)."""
    ids = [step.id for step in steps]
    messages = run_selectors.messages_by_step(ids)
    traces = run_selectors.traces_by_step(agent, ids)
    for step in steps:
        step.parts = run_display.step_parts(messages.get(step.id, []))
        step.traces = traces.get(step.id, [])
        step.tools = run_display.tool_times(step)
        step.error_text = run_display.error_text(step.error_data)


def _run_url(agent, run) -> str:
    return reverse("ade-agent-run", args=[agent.id, run.id])


def _feedback_context(agent, run, step, form=None, saved: str = "") -> dict:
    return {
        "agent": agent,
        "run": run,
        "run_url": _run_url(agent, run),
        "step": step,
        "feedback_form": form,
        "saved": saved,
    }


@require_GET
@organization_required
def run_detail(request, agent_id: str, run_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    the_run = run_selectors.run_of(agent, run_id)
    page = _step_page(
        the_run, after=request.GET.get("after"), before=request.GET.get("before"), at=request.GET.get("step")
    )
    _decorate(agent, page["steps"])
    for offset, step in enumerate(page["steps"]):
        step.number = page["first_number"] + offset
    context = panel_context(
        agent,
        "runs",
        run=the_run,
        run_url=_run_url(agent, the_run),
        run_error=run_display.error_text((the_run.metadata or {}).get("error")),
        usage_unreported=run_selectors.usage_unreported(the_run),
        summaries=run_selectors.run_level_traces(the_run),
        outside_parts=run_display.step_parts(run_selectors.messages_outside_steps(the_run)),
        trace_max_bytes=settings.TRACE_MAX_BYTES,
        trace_keep_days=settings.TRACE_KEEP_DAYS,
        **page,
    )
    return render(request, TEMPLATE, context)


@require_POST
@organization_required
def step_feedback(request, agent_id: str, run_id: str, step_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    the_run = run_selectors.run_of(agent, run_id)
    step = run_selectors.step_of(the_run, step_id)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        verdict, comment = form.cleaned_data["verdict"], form.cleaned_data["comment"]
        try:
            if verdict == "keep":
                services.record_step_feedback(step, comment=comment)
            else:
                services.record_step_feedback(
                    step, feedback=VERDICTS[verdict], comment=comment if verdict != "clear" else None
                )
        except DomainError as exc:
            step.refresh_from_db()
            form.add_error("comment", str(exc))
    if form.errors:
        context = _feedback_context(agent, the_run, step, form)
        return render(request, f"{TEMPLATE}#feedback", context, status=422)
    if not request.htmx:
        return redirect(reverse("ade-agent-run", args=[agent.id, the_run.id]) + f"?step={step.id}#step-{step.id}")
    return render(request, f"{TEMPLATE}#feedback", _feedback_context(agent, the_run, step, saved="Feedback saved."))


@require_GET
@organization_required
def trace_body(request, agent_id: str, run_id: str, trace_id: str, side: str):
    """One side of one trace, pretty-printed, for the `<details>` that asked for it."""
    if side not in ("request", "response"):
        raise Http404("A trace has a request and a response.")
    agent = selectors.agent_of(request.organization_id, agent_id)
    trace = run_selectors.trace_of(run_selectors.run_of(agent, run_id), trace_id)
    body = trace.request_json if side == "request" else trace.response_json
    text = json.dumps(body, indent=2, ensure_ascii=False)
    if not request.htmx:  # the "open it alone" link: the JSON itself, for the browser's own viewer
        return HttpResponse(text, content_type="application/json; charset=utf-8")
    return render(request, f"{TEMPLATE}#trace-body", {"trace": trace, "side": side, "body": text})


@require_GET
@organization_required
def step_trace_json(request, agent_id: str, run_id: str, step_id: str):
    """The step's traces as a JSON file: every provider call it made, in order, request and answer."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    step = run_selectors.step_of(run_selectors.run_of(agent, run_id), step_id)
    # Each in the shape `GET /v1/steps/{id}/trace` answers, so a download reads like the API.
    traces = [provider_trace(trace, step) for trace in run_selectors.step_traces(step)]
    response = JsonResponse(traces, safe=False, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="trace-{step.id}.json"'
    return response


RUN = "agents/<str:agent_id>/runs/<str:run_id>/"
urlpatterns = [
    path(RUN, run_detail, name="ade-agent-run"),
    path(RUN + "steps/<str:step_id>/feedback/", step_feedback, name="ade-step-feedback"),
    path(RUN + "steps/<str:step_id>/trace.json", step_trace_json, name="ade-step-trace-json"),
    path(RUN + "traces/<str:trace_id>/<str:side>/", trace_body, name="ade-trace-body"),
]
