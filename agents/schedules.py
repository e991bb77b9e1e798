"""Scheduled messages (Letta cloud's `agents.schedule`): messages sent to an agent later, once or on a cron schedule.

The API (agents/api/schedules.py) and the ADE's Schedules tab call these functions. A schedule is delivered by the
task queue, not by a loop of our own: creating one queues a task to run at its time (`run_after`); the task sends the
stored request through the very path of `POST /v1/agents/{id}/messages/async` (a background run: in the runs list,
its callback fired, its max_steps obeyed), and a recurring schedule queues the task of its next time.

- Times: a one-time `scheduled_at` is a Unix time in seconds, or in milliseconds when above 1e11 (a seconds value
  that large is the year 5138); cron expressions are evaluated in UTC.
- A task carries the occurrence it delivers (`due`) and re-reads the schedule first: deleted (how a schedule is
  cancelled) or already past that occurrence, it does nothing. It claims the occurrence with a conditional UPDATE
  on `next_scheduled_at`, so two workers never deliver the same one twice.
- Delivered once even when a worker dies mid-delivery. The claim records the occurrence (`delivering_due`) until
  its run exists, and the run carries it in its metadata (`scheduled_message_id`, `scheduled_for`). A worker that
  finds the dead worker's task (worker.fail_abandoned) calls `recover`: a run made for the occurrence is recorded
  as its delivery; otherwise the occurrence is given back and queued again, for whichever worker comes next. A
  worker that was only frozen past its lease, and wakes to deliver it as well, is refused by the database (a run's
  occurrence is unique).
- A server that was down delivers a missed occurrence once, late: the next one is the cron time after now, not
  after the missed one, so there is no burst.
- An agent busy with another run (one run per agent) is tried again LETTA_SCHEDULE_RETRY_SECONDS later.
"""

import logging
import math
from datetime import UTC, datetime, timedelta

from asgiref.sync import sync_to_async
from cronsim import CronSim, CronSimError
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.api_errors import describe_errors
from accounts.errors import DomainError
from agents.models import Agent, Run, ScheduledMessage
from agents.runtime.errors import AgentBusyError, RunRefused
from agents.runtime.inputs import normalize

log = logging.getLogger(__name__)

# A one-time time this far in the past is still taken (clocks differ; a request takes time) and delivered at once;
# older, it is refused as a mistake.
PAST_GRACE = timedelta(minutes=1)
# Above this, `scheduled_at` is milliseconds since the epoch.
MILLISECONDS_ABOVE = 1e11
MAX_CRON_CHARS = 200
REQUEST_FIELDS = ("messages", "callback_url", "include_return_message_types", "max_steps")


class ScheduleError(DomainError):
    """A schedule refused; nothing was stored. `field` names the input at fault, so a form shows it there."""

    status_code = 422

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------------------------------- times


def one_time_at(scheduled_at, now: datetime) -> datetime:
    """The moment a one-time `scheduled_at` (seconds, or milliseconds above 1e11, since the epoch) names."""
    refused = ScheduleError(
        "scheduled_at", f"scheduled_at must be a Unix time in seconds or milliseconds, not {scheduled_at!r:.40}."
    )
    if isinstance(scheduled_at, bool) or not isinstance(scheduled_at, int | float):
        raise refused
    try:
        number = float(scheduled_at)
        if not math.isfinite(number):
            raise refused
        when = datetime.fromtimestamp(number / 1000 if number > MILLISECONDS_ABOVE else number, UTC)
    except (OverflowError, ValueError, OSError):
        raise ScheduleError(
            "scheduled_at", f"scheduled_at {scheduled_at!r:.40} is not a time this server can hold."
        ) from None
    if when < now - PAST_GRACE:
        raise ScheduleError(
            "scheduled_at",
            f"scheduled_at {when:%Y-%m-%d %H:%M:%S} UTC is in the past: give a time from now on "
            "(a Unix time in seconds, or milliseconds).",
        )
    return when


def next_cron_time(expression: str, after: datetime) -> datetime:
    """The first time strictly after `after` that the cron expression names, in UTC."""
    if not isinstance(expression, str) or not expression.strip():
        raise ScheduleError(
            "cron_expression", "cron_expression is required for a recurring schedule, e.g. '0 9 * * *'."
        )
    if len(expression) > MAX_CRON_CHARS:
        raise ScheduleError("cron_expression", f"cron_expression is longer than {MAX_CRON_CHARS} characters.")
    start = after.astimezone(UTC).replace(second=0, microsecond=0)
    try:
        return next(CronSim(expression.strip(), start)).astimezone(UTC)
    except (CronSimError, StopIteration) as exc:
        detail = f": {exc}" if str(exc) else ""
        raise ScheduleError(
            "cron_expression",
            f"cron_expression {expression!r} is not a cron expression this server can evaluate{detail}. Use five "
            "fields: minute hour day-of-month month day-of-week, evaluated in UTC (e.g. '*/15 * * * *').",
        ) from None


def following(schedule: ScheduledMessage, due: datetime, now: datetime) -> datetime | None:
    """The occurrence after `due` (None for a one-time schedule): the cron time after now when `due` was missed, so
    a server that was down delivers the missed occurrence once, not a burst of them."""
    if schedule.kind != ScheduledMessage.Kind.RECURRING:
        return None
    return next_cron_time(schedule.cron_expression, max(due, now))


# ---------------------------------------------------------------------------------------------- create, delete


def _parse_schedule(schedule, now: datetime) -> dict:
    if not isinstance(schedule, dict):
        raise ScheduleError(
            "schedule",
            "schedule must be {'type': 'one-time', 'scheduled_at': <Unix time>} or "
            "{'type': 'recurring', 'cron_expression': '<cron>'}.",
        )
    kind = schedule.get("type") or ("recurring" if "cron_expression" in schedule else "one-time")
    if kind == ScheduledMessage.Kind.ONE_TIME:
        if schedule.get("scheduled_at") is None:
            raise ScheduleError("scheduled_at", "scheduled_at is required for a one-time schedule (a Unix time).")
        at = one_time_at(schedule["scheduled_at"], now)
        return {"kind": kind, "scheduled_at": schedule["scheduled_at"], "next_scheduled_at": at}
    if kind == ScheduledMessage.Kind.RECURRING:
        expression = schedule.get("cron_expression")
        at = next_cron_time(expression, now)
        return {"kind": kind, "cron_expression": expression.strip(), "next_scheduled_at": at}
    raise ScheduleError("schedule", f"schedule type must be 'one-time' or 'recurring', not {kind!r}.")


def _checked_request(body: dict) -> dict:
    """The part of the body a delivery sends, refused here as `/messages/async` would refuse it then."""
    from agents.api.send_views import check_async

    request = {key: body[key] for key in REQUEST_FIELDS if body.get(key) is not None}
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ScheduleError("messages", "messages must be a list of at least one message to send.")
    if any(isinstance(m, dict) and (m.get("type") or "message") != "message" for m in messages):
        raise ScheduleError("messages", "A scheduled message must be of type 'message' (approvals cannot wait).")
    try:
        check_async(request)
        normalize(messages)
    except ValidationError as exc:
        raise ScheduleError("messages", describe_errors(exc.detail)) from None
    except RunRefused as exc:
        raise ScheduleError("messages", exc.message) from None
    if request.get("max_steps") is not None and request["max_steps"] < 1:
        raise ScheduleError("max_steps", "max_steps must be at least 1.")
    return request


@transaction.atomic
def create(agent: Agent, body: dict, *, now: datetime | None = None, actor_id: str | None = None) -> ScheduledMessage:
    """Store a schedule of `agent` from a create request's body and queue its first delivery."""
    now = now or timezone.now()
    when = _parse_schedule(body.get("schedule"), now)
    request = _checked_request(body)
    Agent.objects.select_for_update().filter(pk=agent.pk).first()  # one creator at a time counts the cap
    if live(agent).count() >= settings.SCHEDULES_PER_AGENT:
        raise ScheduleError(
            "schedule",
            f"Agent {agent.id} already has {settings.SCHEDULES_PER_AGENT} live schedules, the most it may have "
            "(LETTA_SCHEDULES_PER_AGENT): delete one first.",
        )
    schedule = ScheduledMessage.objects.create(
        organization_id=agent.organization_id, agent=agent, request=request, created_by_id=actor_id, **when
    )
    _enqueue(schedule.id, schedule.next_scheduled_at)
    return schedule


def delete(agent: Agent, schedule_id: str) -> None:
    """Delete (and so cancel) a schedule of `agent`; 404 if it has none of that id."""
    get(agent, schedule_id).delete()


def live(agent: Agent):
    return ScheduledMessage.objects.filter(agent=agent, next_scheduled_at__isnull=False)


def get(agent: Agent, schedule_id: str) -> ScheduledMessage:
    from accounts.selectors import get_owned

    return get_owned(ScheduledMessage, agent.organization_id, schedule_id, "Scheduled message", agent=agent)


def _enqueue(schedule_id: str, due: datetime) -> None:
    from agents import tasks

    tasks.deliver_scheduled_message.using(run_after=due).enqueue(schedule_id=schedule_id, due=due.isoformat())


# ----------------------------------------------------------------------------------------------------- delivery


@transaction.atomic
def claim(schedule_id: str, due: datetime, now: datetime) -> tuple[ScheduledMessage, datetime | None] | None:
    """Take the occurrence `due` of the schedule for this worker: (schedule, its next occurrence), or None when it is
    gone (deleted) or no longer at that occurrence (delivered by another worker, or a stale task). The next
    occurrence's task is queued in the same transaction, so a worker stopped mid-delivery cannot end a recurrence."""
    schedule = ScheduledMessage.objects.filter(pk=schedule_id, next_scheduled_at=due).first()
    if schedule is None:
        return None
    try:
        after = following(schedule, due, now)
    except ScheduleError:  # not expected: it was checked when stored
        after = None
    taken = ScheduledMessage.objects.filter(pk=schedule_id, next_scheduled_at=due).update(
        next_scheduled_at=after, delivering_due=due, updated_at=now
    )
    if not taken:
        return None
    if after is not None:
        _enqueue(schedule_id, after)
    return schedule, after


def release(schedule_id: str, due: datetime, after: datetime | None) -> bool:
    """Give back a claimed occurrence that was not delivered (its agent was busy, or its worker died): its schedule
    is at `due` again, for the next task of `due` to claim. False if the schedule was deleted or another worker
    gave it back meanwhile."""
    still = ScheduledMessage.objects.filter(pk=schedule_id, delivering_due=due)
    still = still.filter(next_scheduled_at=after) if after is not None else still.filter(next_scheduled_at__isnull=True)
    return bool(still.update(next_scheduled_at=due, delivering_due=None))


def occurrence(schedule_id: str, due: datetime) -> dict:
    """What the run delivering the occurrence `due` carries in its metadata, by which it is recognized."""
    return {"scheduled_message_id": schedule_id, "scheduled_for": due.astimezone(UTC).isoformat()}


def run_of(schedule: ScheduledMessage, due: datetime) -> str | None:
    """The id of the run made for the occurrence `due`, if one was."""
    marks = {f"metadata__{key}": value for key, value in occurrence(schedule.id, due).items()}
    return Run.objects.filter(agent_id=schedule.agent_id, **marks).values_list("id", flat=True).first()


def settle(schedule_id: str, due: datetime, run_id: str | None) -> None:
    """The occurrence `due` is no longer being delivered: delivered as the run `run_id`, or (None) refused."""
    done = models.When(delivering_due=due, then=models.Value(None, output_field=models.DateTimeField()))
    fields = {"delivering_due": models.Case(done, default=models.F("delivering_due"))}
    if run_id is not None:
        fields |= {"last_delivered_at": timezone.now(), "last_run_id": run_id}
    ScheduledMessage.objects.filter(pk=schedule_id).update(**fields)


def recover(schedule_id: str, due_text: str) -> None:
    """The worker delivering the occurrence `due_text` (ISO) died: record the run it made, or have the occurrence
    delivered again by queueing its task anew. Safe to repeat, and for two workers to do at once."""
    due = datetime.fromisoformat(due_text)
    schedule = ScheduledMessage.objects.filter(pk=schedule_id).first()
    if schedule is None:
        return
    if schedule.delivering_due == due:
        if (run_id := run_of(schedule, due)) is not None:
            settle(schedule_id, due, run_id)  # it was delivered; only the record of it was missing
            return
        if not release(schedule_id, due, schedule.next_scheduled_at):
            return  # another worker recovered it first
    elif schedule.next_scheduled_at != due:
        return  # delivered already, or missed and a later occurrence claimed (missed ones are not a burst)
    _enqueue(schedule_id, due)  # due already, so the next worker to look takes it


async def deliver(schedule_id: str, due_text: str, *, now: datetime | None = None) -> str | None:
    """Deliver the occurrence `due_text` (ISO) of a schedule, once: the id of the background run it started, or None
    (cancelled, already delivered, retried later, or refused)."""
    from agents.api.send_views import start_async
    from agents.tasks import deliver_scheduled_message

    due = datetime.fromisoformat(due_text)
    now = now or timezone.now()
    claimed = await sync_to_async(claim)(schedule_id, due, now)
    if claimed is None:
        return None
    schedule, after = claimed
    if (made := await sync_to_async(run_of)(schedule, due)) is not None:
        # Given back by `recover` while its worker, frozen past its lease rather than dead, went on to make the run.
        await sync_to_async(settle)(schedule_id, due, made)
        return made
    try:
        run = await start_async(
            schedule.agent_id, schedule.organization_id, dict(schedule.request), metadata=occurrence(schedule_id, due)
        )
    except AgentBusyError:
        # Given back (the task just queued for `after` then finds the schedule elsewhere and does nothing) and
        # tried again shortly; the retry queues the next occurrence once it delivers.
        if await sync_to_async(release)(schedule_id, due, after):
            retry = timezone.now() + timedelta(seconds=settings.SCHEDULE_RETRY_SECONDS)
            await deliver_scheduled_message.using(run_after=retry).aenqueue(schedule_id=schedule_id, due=due_text)
        return None
    except IntegrityError:
        # Its run exists after all: this worker froze past its lease after `run_of`, and the occurrence was given
        # back and delivered by another (Run's one_run_per_scheduled_occurrence). Nothing more to do.
        log.info("scheduled message %s at %s was delivered by another worker meanwhile", schedule_id, due_text)
        return None
    except Exception as exc:  # refused now though accepted then (its model removed, ...): this occurrence is lost
        log.warning("scheduled message %s could not be delivered: %s", schedule_id, exc)
        await sync_to_async(settle)(schedule_id, due, None)
        return None
    await sync_to_async(settle)(schedule_id, due, run.id)
    return run.id
