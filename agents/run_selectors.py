"""Reads of an agent's runs for the ADE's inspector: keyset pages of runs and of a run's steps, and what the shown
steps produced (messages, provider traces) fetched for those steps only.

Trace bodies can be hundreds of kilobytes each, so lists read traces without `request_json`/`response_json`;
a body is read when someone opens it (`trace_of`) or downloads a step's traces (`step_traces`).
"""

from collections import defaultdict

from django.db.models import Q, QuerySet
from django.http import Http404
from rest_framework.exceptions import NotFound

from accounts.selectors import get_owned
from agents.api.pagination import page_window
from agents.models import Agent, Message, ProviderTrace, Run, Step

KEY = ("created_at", "id")
TRACE_BODIES = ("request_json", "response_json")
# The Runs tab's status filter: "running" means any active run (created and not started counts as running).
STATUS_FILTERS = {
    "running": Run.ACTIVE,
    "completed": (Run.Status.COMPLETED,),
    "failed": (Run.Status.FAILED,),
    "cancelled": (Run.Status.CANCELLED,),
}


def run_of(agent: Agent, run_id: str) -> Run:
    """The agent's run, or 404: a run of another agent or organization is not found."""
    return get_owned(Run, agent.organization_id, run_id, "Run", agent=agent)


def step_of(run: Run, step_id: str) -> Step:
    return get_owned(Step, run.organization_id, step_id, "Step", run=run)


def keyset(queryset: QuerySet, *, after: str | None, before: str | None, order: str, size: int, what: str) -> dict:
    """One page of `size` rows in creation order (pagination.page_window); an unknown cursor is a 404."""
    try:
        return page_window(queryset, fields=KEY, after=after, before=before, order=order, size=size, what=what)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc


def agent_runs(agent: Agent, *, status: str | None = None) -> QuerySet[Run]:
    runs = Run.objects.filter(agent=agent)
    if status in STATUS_FILTERS:
        runs = runs.filter(status__in=STATUS_FILTERS[status])
    return runs


def active_run(agent: Agent) -> Run | None:
    return Run.objects.filter(agent=agent, status__in=Run.ACTIVE).first()


def run_steps(run: Run) -> QuerySet[Step]:
    return Step.objects.filter(run=run)


def usage_unreported(run: Run) -> bool:
    """Whether the run's token counts are unknown rather than zero: it has steps and no provider answer of any of
    them reported usage."""
    steps = run.steps.all()
    return steps.exists() and not steps.filter(usage_reported=True).exists()


def steps_before(run: Run, step: Step) -> int:
    """How many of the run's steps precede `step`: a step's number on a later page (a run has at most a few
    thousand steps, counted on the run's index)."""
    earlier = Q(created_at__lt=step.created_at) | Q(created_at=step.created_at, id__lt=step.id)
    return Step.objects.filter(run=run).filter(earlier).count()


def messages_by_step(step_ids: list[str]) -> dict[str, list[Message]]:
    grouped = defaultdict(list)
    for message in Message.objects.filter(step_id__in=step_ids).order_by("sequence_id"):
        grouped[message.step_id].append(message)
    return grouped


def messages_outside_steps(run: Run, limit: int = 50) -> list[Message]:
    """The run's messages stored without a step: a person's approval answer and the returns of the calls it ran
    (a run has a handful; the limit keeps a pathological one from loading them all)."""
    return list(Message.objects.filter(run=run, step__isnull=True).order_by("sequence_id")[:limit])


def traces_by_step(agent: Agent, step_ids: list[str]) -> dict[str, list[ProviderTrace]]:
    """The shown steps' traces, in call order, without their bodies."""
    grouped = defaultdict(list)
    traces = ProviderTrace.objects.filter(agent=agent, step_id__in=step_ids).defer(*TRACE_BODIES)
    for trace in traces.order_by(*KEY):
        grouped[trace.step_id].append(trace)
    return grouped


def run_level_traces(run: Run) -> list[ProviderTrace]:
    """The run's provider calls shown under the run rather than a step, without their bodies: its compactions'
    summarization calls, and any call whose step was never recorded (its process died mid-step)."""
    steps = Step.objects.filter(run=run).values("id")
    outside = Q(call_type=ProviderTrace.CallType.SUMMARIZATION) | Q(step_id__isnull=True) | ~Q(step_id__in=steps)
    traces = ProviderTrace.objects.filter(run=run).filter(outside)
    return list(traces.defer(*TRACE_BODIES).order_by(*KEY))


def trace_of(run: Run, trace_id: str) -> ProviderTrace:
    return get_owned(ProviderTrace, run.organization_id, trace_id, "Trace", run=run)


def step_traces(step: Step) -> list[ProviderTrace]:
    return list(ProviderTrace.objects.filter(agent_id=step.agent_id, step_id=step.id).order_by(*KEY))
