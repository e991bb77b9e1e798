"""An agent's sleep-time panel: its sleep-time agent beside it (name, model, how often it runs, its last run and a
link to all its runs), and the controls to turn it on or off and to change how often it runs.

Each action is the service the API reaches (`agents.sleeptime`: `enable_sleeptime` on an agent, `PATCH` and
`DELETE /v1/groups/{id}`); a refused frequency comes back beside its field with what was typed kept, nothing stored.
"""

from django import forms
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from agents import selectors, sleeptime
from agents.models import Group
from agents.pages.panel import panel_context
from memory.services import EditActor

TEMPLATE = "agents/sleeptime.html"


class FrequencyForm(forms.Form):
    # Not min_value: the service's own words say what the number means (agents.sleeptime.check_frequency).
    frequency = forms.IntegerField(
        label="Runs after every … turns",
        help_text="How many finished turns of this agent between two runs of its sleep-time agent (Letta's "
        "sleeptime_agent_frequency).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


def _context(agent, *, form=None, **extra) -> dict:
    group = agent.sleeptime_group
    served = Group.objects.filter(sleeptime_agent=agent).select_related("manager_agent").first()
    frequency = group.sleeptime_agent_frequency if group else sleeptime.DEFAULT_FREQUENCY
    return panel_context(
        agent,
        "sleeptime",
        group=group,
        sleeper=group.sleeptime_agent if group else None,
        last_run=sleeptime.last_run(group) if group else None,
        served=served,
        form=form or FrequencyForm(initial={"frequency": frequency}),
        **extra,
    )


def _render(request, context, status=200):
    return render(request, f"{TEMPLATE}#sleeptime" if request.htmx else TEMPLATE, context, status=status)


@require_GET
@organization_required
def panel(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    return _render(request, _context(agent))


@require_POST
@organization_required
def change(request, agent_id: str):
    """One form, three buttons: `action` is "enable", "save" (the frequency) or "disable"."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    action = request.POST.get("action")
    if action == "disable":
        sleeptime.disable(agent)
        return _render(request, _context(agent, done="The sleep-time agent is off and was deleted."))
    form = FrequencyForm(request.POST)
    if not form.is_valid():
        return _render(request, _context(agent, form=form), status=422)
    try:
        if action == "enable":
            actor = EditActor.user(str(request.user.pk))
            sleeptime.enable(agent, frequency=form.cleaned_data["frequency"], actor=actor)
            done = "The sleep-time agent is on."
        else:
            group = agent.sleeptime_group
            if group is None:
                form.add_error(None, "This agent has no sleep-time agent: turn it on first.")
                return _render(request, _context(agent, form=form), status=422)
            sleeptime.update_group(group, frequency=form.cleaned_data["frequency"])
            done = "Saved."
    except sleeptime.SleeptimeError as exc:
        form.add_error("frequency" if exc.field == "sleeptime_agent_frequency" else None, str(exc))
        agent = selectors.agent_of(request.organization_id, agent_id)  # what is stored, not what was tried
        return _render(request, _context(agent, form=form), status=422)
    agent = selectors.agent_of(request.organization_id, agent_id)
    return _render(request, _context(agent, done=done))


urlpatterns = [
    path("agents/<str:agent_id>/sleeptime/", panel, name="ade-agent-sleeptime"),
    path("agents/<str:agent_id>/sleeptime/change/", change, name="ade-agent-sleeptime-change"),
]
