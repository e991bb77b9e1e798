"""The routes that run the agent loop: plain async Django views, not DRF.

DRF views are sync: under ASGI each would occupy a worker thread for the whole run, i.e. for every second the
provider takes to answer. These views await `run_agent` / `summarize_agent` on the event loop instead, so a
waiting conversation holds no thread and no database connection (DESIGN: hundreds of concurrent conversations
per process). They authenticate with the same `APIKeyAuthentication` as the DRF views and answer errors in the
same `{"detail": ...}` shape (422 for a request that does not validate).
"""

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import ValidationError

from accounts.errors import DomainError
from accounts.selectors import get_owned
from agents.api import streaming
from agents.api.async_views import api_view
from agents.api.run_serializers import LettaAsyncRequestSerializer, RunStreamSerializer
from agents.api.serializers import LettaRequestSerializer, run_data
from agents.api.views import AgentMessageListView, validated
from agents.llm.errors import status_for
from agents.models import Run
from agents.runtime import background, event_log, event_wakeups
from agents.runtime.loop import RunResult, run_agent
from agents.runtime.request_options import RequestOptions
from agents.runtime.summarize import summarize_agent
from letta_project.db import release_connection, released

_list_messages = AgentMessageListView.as_view()


def _streaming_flags(body: dict, *, stream_route: bool) -> None:
    """`include_pings` is a streaming-only flag the serializer does not know: refuse it without streaming (422,
    like `stream_tokens` and `background`). `/messages/stream` always streams."""
    if stream_route:
        body["streaming"] = True
    elif not body.get("streaming") and body.get("include_pings") is not None:
        raise ValidationError("include_pings needs streaming=true.")
    if body.get("include_pings") is not None and not isinstance(body["include_pings"], bool):
        raise ValidationError({"include_pings": "Must be a boolean."})


@api_view("POST", body=True)
async def _send(request, agent_id: str, *, stream_route: bool):
    return await send(request, agent_id, stream_route=stream_route)


async def send(request, agent_id: str, *, stream_route: bool, conversation_id: str | None = None):
    """A send to the agent's default thread or to the conversation named; `request` is authenticated and its
    JSON body parsed (`api_view`)."""
    body = request.json
    _streaming_flags(body, stream_route=stream_route)
    data = validated(LettaRequestSerializer, body)
    data["conversation_id"] = conversation_id
    wanted = data.get("include_return_message_types")
    if data["streaming"]:
        return await _stream(agent_id, request.organization_id, data, include_pings=body.get("include_pings", True))
    result = await run_agent(**_run_request(agent_id, request.organization_id, data))
    if result.stop_reason == "llm_api_error":
        return _provider_failed(result)
    response = result.response()
    if wanted:
        response["messages"] = [m for m in response["messages"] if m["message_type"] in wanted]
    return JsonResponse(response)


def _run_request(agent_id: str, organization_id: str, data: dict) -> dict:
    """The arguments of `run_agent` a validated LettaRequest asks for."""
    return {
        "agent_id": agent_id,
        "messages": data.get("messages"),
        "input": data.get("input"),
        "organization_id": organization_id,
        "max_steps": data["max_steps"],
        "client_tools": data.get("client_tools"),
        "options": RequestOptions.from_request(data),
        "stream_tokens": data.get("stream_tokens", False),
        "wait": data["wait"],
        "conversation_id": data.get("conversation_id"),
    }


def _provider_failed(result: RunResult) -> JsonResponse:
    """The provider failed the run: answer its status (the reference's `{"error": {type, message, detail}}`),
    so the SDK raises the matching error. The run and what its earlier steps stored are kept; `run_id` leads
    to them. A retry would send the input again once steps were stored, so the SDK is told not to retry then."""
    error = result.error
    response = JsonResponse(
        {
            "detail": error["message"],
            "run_id": result.run_id,
            "stop_reason": result.stop_reason,
            "error": {"type": error["error_type"], "message": error["message"], "detail": error.get("detail")},
        },
        status=status_for(error["error_type"]),
    )
    if result.usage.get("step_count"):
        response["x-should-retry"] = "false"
    return response


async def _stream(agent_id: str, organization_id: str, data: dict, *, include_pings: bool):
    """Start the run in its own task; answer a JSON error if it is refused before its first event, else SSE.

    With `background=true` the run is a background run, queued for a worker (agents/runtime/background.py): this
    response follows its kept events (numbered with `seq_id`) like `POST /v1/runs/{id}/stream`, whichever process
    runs it, so this client, or any other, can resume the stream after a disconnect."""
    request = _run_request(agent_id, organization_id, data)
    wanted = data.get("include_return_message_types")
    if data["background"]:
        # A refusal (unknown agent, busy agent, pending approval) is raised here and answered as JSON.
        run = await background.start_detached(**request)
        return streaming.sse_response(
            _follow(run.id, after=0, include_pings=include_pings, poll_interval=None, batch_size=100, wanted=wanted)
        )
    run = streaming.StreamedRun(lambda on_event, on_start: run_agent(on_event=on_event, on_start=on_start, **request))
    # A refusal before the run is accepted (unknown agent, busy agent, pending approval) is raised here and answered
    # as JSON; once it is, the stream begins (its first ping names the run) without waiting for the model.
    first = await run.first(streaming.FIRST_EVENT_WAIT)
    await sync_to_async(release_connection)()  # the run has its own; the response only reads the run's queue
    return streaming.sse_response(run.events(first, include_pings=include_pings, wanted=wanted))


@csrf_exempt
async def agent_messages(request, agent_id: str):
    """`GET` lists the history (the DRF view), `POST` sends a LettaRequest and answers the LettaResponse, or
    server-sent events with `streaming=true`."""
    if request.method == "GET":
        return await sync_to_async(_list_messages)(request, agent_id=agent_id)
    return await _send(request, agent_id, stream_route=False)


@csrf_exempt
async def agent_messages_stream(request, agent_id: str):
    """`POST /v1/agents/{id}/messages/stream`: the same send, always answered as server-sent events."""
    return await _send(request, agent_id, stream_route=True)


@api_view("POST", body=True)
async def agent_messages_async(request, agent_id: str):
    """`POST /v1/agents/{id}/messages/async`: validate like a send, start a background run, answer its Run at
    once. A refused start (unknown agent, busy agent, pending approval) answers its error instead."""
    run = await start_async(agent_id, request.organization_id, request.json)
    return JsonResponse(run_data(run))


def check_async(body: dict) -> dict:
    """The body of a `/messages/async` request, validated (a 422 ValidationError if refused)."""
    return validated(LettaAsyncRequestSerializer, body)


async def start_async(agent_id: str, organization_id: str, body: dict, *, metadata: dict | None = None) -> Run:
    """What `/messages/async` does with its JSON body (scheduled messages are delivered through it too): validate
    it, accept a background run for a worker, answer the Run. Raises a refusal (busy agent, ...) as the route does.
    `metadata` is stored on the run as it is created (a scheduled delivery's occurrence)."""
    data = check_async(body)
    return await background.start_detached(
        **_run_request(agent_id, organization_id, data),
        callback_url=data.get("callback_url") or None,
        metadata=metadata,
    )


class StreamExpired(DomainError):
    status_code = 410
    code = "expired"


def background_run(organization_id: str, run_id: str) -> Run:
    run = get_owned(Run, organization_id, run_id, "Run")
    if not run.background:
        raise DomainError(
            f"Run {run_id} was not started in background mode, so its stream was not kept. Read what it stored "
            f"with GET /v1/runs/{run_id}/messages, or start runs with streaming=true and background=true "
            "(or /messages/async) to be able to resume them."
        )
    if event_log.expired(run):
        raise StreamExpired(
            f"The stream of run {run_id} expired: events are kept for {settings.RUN_EVENTS_KEEP_SECONDS // 3600} h "
            f"after a run ends. Read what it stored with GET /v1/runs/{run_id}/messages."
        )
    return run


@api_view("POST", body=True)
async def run_stream(request, run_id: str):
    """`POST /v1/runs/{id}/stream` `{starting_after, include_pings, poll_interval, batch_size}`: the events of a
    background run after `starting_after`, then its live ones until it ends, framed like the live stream."""
    options = validated(RunStreamSerializer, request.json)
    run = await sync_to_async(background_run)(request.organization_id, run_id)
    return follow_run(run, options)


def follow_run(run: Run, options: dict):
    """The SSE response that replays a background run's kept events after `starting_after`, then follows it."""
    return streaming.sse_response(
        _follow(
            run.id,
            after=options["starting_after"],
            include_pings=options["include_pings"] is not False,
            poll_interval=options["poll_interval"],
            batch_size=options["batch_size"] or 100,
        )
    )


async def _follow(
    run_id: str,
    *,
    after: int,
    include_pings: bool,
    poll_interval: float | None,
    batch_size: int,
    wanted: list[str] | None = None,
):
    """The kept events of a background run after `after`, then its new ones as its recorder announces them. It looks
    at the event log again after `poll_interval` seconds at most (the server's choice when None) even if nothing was
    announced: that is how a lost announcement, or the end of a run whose process died, is still met."""
    if include_pings:
        yield streaming.frame(streaming.ping(run_id))
    quiet_since = asyncio.get_running_loop().time()
    async with event_wakeups.watching(run_id) as watch:
        while True:
            # Given back between looks: a reader may follow a run for minutes, and must not hold a pooled connection.
            events, run = await sync_to_async(released(event_log.read_events))(run_id, after=after, limit=batch_size)
            if run is None:  # deleted with its agent meanwhile
                yield streaming.frame(
                    {
                        "message_type": "error_message",
                        "run_id": run_id,
                        "error_type": "not_found",
                        "message": f"Run {run_id} was deleted.",
                        "detail": None,
                    }
                )
                yield streaming.DONE_FRAME
                return
            if not events and event_log.abandoned(run):
                events = event_log.ending_of(run, after)
            for event in events:
                after = event["seq_id"]
                kind = event.get("message_type")
                if not wanted or kind in streaming.CONTROL_TYPES or kind in wanted:
                    yield streaming.frame(event)
                if event.get("message_type") == event_log.LAST_EVENT:
                    yield streaming.DONE_FRAME
                    return
            now = asyncio.get_running_loop().time()
            if events:
                quiet_since = now
                if len(events) == batch_size:  # there may be more written already
                    continue
            elif include_pings and now - quiet_since >= streaming.PING_INTERVAL:
                yield streaming.frame(streaming.ping(run_id))
                quiet_since = now
            await watch.wait(after, poll_interval or event_wakeups.fallback_interval(run_id))


@api_view("POST")
async def summarize(request, agent_id: str):
    """`POST /v1/agents/{id}/summarize`: compact the agent's context now -> `{summary, num_messages_*}`.
    The body (`compaction_settings`) is not read: compaction uses the server's settings for now."""
    return JsonResponse(await summarize_agent(agent_id, request.organization_id))
