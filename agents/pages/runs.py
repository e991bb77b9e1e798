"""An agent's runs, newest first: status, stop reason, timings, tokens and steps, filtered by status, keyset-paged;
an active run can be cancelled through the function the API's cancel route calls (`request_cancel`).

Each run links to its own page (agents.pages.run), whose routes are mounted with these.
"""

from django import forms
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from agents import run_selectors, selectors
from agents.pages import run
from agents.pages.panel import panel_context
from agents.runtime.run_lifecycle import request_cancel

TEMPLATE = "agents/runs.html"
PAGE_SIZE = 25


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "All"),
            ("running", "Running"),
            ("completed", "Completed"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
    )


@require_GET
@organization_required
def agent_runs(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    status_form = StatusFilterForm(request.GET)
    status = status_form.cleaned_data["status"] if status_form.is_valid() else ""
    page = run_selectors.keyset(
        run_selectors.agent_runs(agent, status=status),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        order="desc",
        size=PAGE_SIZE,
        what="Run",
    )
    context = panel_context(
        agent,
        "runs",
        status_form=status_form,
        status=status,
        runs=page["rows"],
        newer=page["previous"],
        older=page["next"],
        active=run_selectors.active_run(agent),
    )
    return render(request, TEMPLATE, context)


@require_POST
@organization_required
def cancel_run(request, agent_id: str, run_id: str):
    """Ask the run to stop; the loop sees the request at its next check. Answers the run's status cell."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    the_run = run_selectors.run_of(agent, run_id)
    status = 200
    if request_cancel(agent.id, [the_run.id]):
        the_run.cancel_requested = True
        error = None
    else:
        the_run.refresh_from_db()
        error = f"Run {the_run.id} is no longer active ({the_run.status}): there is nothing to cancel."
        status = 422
    if not request.htmx:  # a form posted without htmx (no confirm asked) lands on the run's page
        return redirect(reverse("ade-agent-run", args=[agent.id, the_run.id]))
    context = {"agent": agent, "run": the_run, "cancel_error": error}
    return render(request, f"{TEMPLATE}#run-status", context, status=status)


urlpatterns = [
    path("agents/<str:agent_id>/runs/", agent_runs, name="ade-agent-runs"),
    path("agents/<str:agent_id>/runs/<str:run_id>/cancel/", cancel_run, name="ade-run-cancel"),
    *run.urlpatterns,
]
