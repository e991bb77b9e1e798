"""An agent's Schedules tab: its live scheduled messages, a page at a time (kind, next time in UTC, the cron
expression of a recurring one, a preview of the message), a Cancel button for each, and a form to schedule a message
once or on a cron expression.

Each action is the service the API reaches (`agents.schedules.create` and `.delete`, as `POST` and `DELETE
/v1/agents/{id}/schedule`); a refused schedule comes back with the error beside its field, what was typed kept and
nothing stored.
"""

from datetime import UTC

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from agents import schedules, selectors
from agents.models import ScheduledMessage
from agents.pages.panel import panel_context

TEMPLATE = "agents/schedules.html"
PER_PAGE = 20
# Where each input the service names is typed on this form.
FORM_FIELD = {"messages": "message", "scheduled_at": "when", "cron_expression": "cron", "max_steps": "message"}


class ScheduleForm(forms.Form):
    message = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
        required=False,
        help_text="Sent to the agent as a user message when the time comes.",
    )
    kind = forms.ChoiceField(
        label="When",
        choices=[("one-time", "Once"), ("recurring", "On a cron schedule")],
        initial="one-time",
        widget=forms.RadioSelect,
    )
    when = forms.DateTimeField(
        label="Date and time (UTC)",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="For a one-time message.",
    )
    cron = forms.CharField(
        label="Cron expression (UTC)",
        required=False,
        max_length=schedules.MAX_CRON_CHARS,
        help_text="For a recurring message: minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def body(self) -> dict:
        """The create request the API would get for what was typed."""
        data = self.cleaned_data
        if data["kind"] == "recurring":
            when = {"type": "recurring", "cron_expression": data["cron"]}
        else:
            at = data["when"]
            if at is None:
                self.add_error("when", "Give the date and time (UTC) to send it at.")
                return {}
            when = {"type": "one-time", "scheduled_at": at.replace(tzinfo=UTC).timestamp()}
        return {"messages": [{"role": "user", "content": data["message"]}], "schedule": when}


def preview(schedule: ScheduledMessage, chars: int = 160) -> str:
    parts = []
    for message in schedule.request.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    text = " ".join(parts).strip()
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _context(request, agent, *, form=None, **extra) -> dict:
    rows = schedules.live(agent).order_by("next_scheduled_at", "id")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for schedule in page:
        schedule.preview = preview(schedule)
    return panel_context(agent, "schedules", page=page, form=form or ScheduleForm(), **extra)


def _render(request, context, status=200):
    return render(request, f"{TEMPLATE}#schedules" if request.htmx else TEMPLATE, context, status=status)


@require_GET
@organization_required
def panel(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    return _render(request, _context(request, agent))


@require_POST
@organization_required
def create(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    form = ScheduleForm(request.POST)
    body = form.body() if form.is_valid() else {}
    if body:
        try:
            schedule = schedules.create(agent, body, actor_id=str(request.user.pk))
        except schedules.ScheduleError as exc:
            form.add_error(FORM_FIELD.get(exc.field), str(exc))
        else:
            when = f"{schedule.next_scheduled_at:%Y-%m-%d %H:%M} UTC"
            return _render(request, _context(request, agent, done=f"Scheduled: next delivery {when}."))
    return _render(request, _context(request, agent, form=form), status=422)


@require_POST
@organization_required
def cancel(request, agent_id: str, schedule_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    schedules.delete(agent, schedule_id)
    return _render(request, _context(request, agent, done="Cancelled: it will not be sent."))


urlpatterns = [
    path("agents/<str:agent_id>/schedules/", panel, name="ade-agent-schedules"),
    path("agents/<str:agent_id>/schedules/new/", create, name="ade-agent-schedule-create"),
    path("agents/<str:agent_id>/schedules/<str:schedule_id>/cancel/", cancel, name="ade-agent-schedule-cancel"),
]
