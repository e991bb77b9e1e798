"""Work that outlives a request, as Django tasks (`django.tasks`, stored by django-tasks-db's DatabaseBackend).

A task carries ids and the request's own JSON, never objects; its body is a thin call into the runtime, so the
same code runs whichever worker takes it (agents/runtime/worker.py). Its path is stored with each queued task:
renaming one strands what was queued under the old name.
"""

from django.tasks import task


# Queued into settings.RUN_QUEUE (`background.start_detached`); declared on the default queue, which always exists.
@task
async def execute_run(run_id: str, request: dict) -> str | None:
    """Run a background run accepted by `background.start_detached`: its stop reason (None: it was cancelled before
    a worker took it)."""
    from agents.runtime import background

    return await background.execute_queued(run_id, request)


@task
async def deliver_scheduled_message(schedule_id: str, due: str) -> str | None:
    """Deliver the occurrence `due` (ISO time) of a scheduled message as a background run (agents/schedules.py):
    the run's id, or None when there was nothing to deliver."""
    from agents import schedules

    return await schedules.deliver(schedule_id, due)
