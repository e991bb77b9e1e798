"""The routes that run the agent loop: plain async Django views, not DRF.

DRF views are sync: under ASGI each would occupy a worker thread for the whole run, i.e. for every second the
provider takes to answer. These views await `run_agent` / `summarize_agent` on the event loop instead, so a
waiting conversation holds no thread and no database connection (DESIGN: hundreds of concurrent conversations
per process). They authenticate with the same `APIKeyAuthentication` as the DRF views and answer errors in the
same `{"detail": ...}` shape (422 for a request that does not validate).
"""

import json

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import APIException, NotAuthenticated, ValidationError

from accounts.api_errors import describe_errors
from accounts.authentication import MISSING_KEY_MESSAGE, APIKeyAuthentication
from agents.api import streaming
from agents.api.serializers import LettaRequestSerializer
from agents.api.views import AgentMessageListView
from agents.runtime.errors import RunRefused
from agents.runtime.loop import run_agent
from agents.providers import list_models
from agents.runtime.summarize import summarize_agent

BACKGROUND_NOT_IMPLEMENTED = (
    "Background streaming (background=true) is not implemented by this server yet; stream without it "
    "(the run still finishes if the client disconnects)."
)
_list_messages = AgentMessageListView.as_view()


def _organization(request) -> str:
    """The organization of the request's API key; raises DRF's 401 errors like the DRF views do."""
    result = APIKeyAuthentication().authenticate(request)
    if result is None:
        raise NotAuthenticated(MISSING_KEY_MESSAGE)
    return result[0].organization_id


def _error(status: int, detail: str, **extra) -> JsonResponse:
    response = JsonResponse({"detail": detail, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def _api_error(exc: APIException) -> JsonResponse:
    if isinstance(exc, ValidationError):
        return _error(422, describe_errors(exc.detail))
    return _error(exc.status_code, str(exc.detail))


def _refused(exc: RunRefused) -> JsonResponse:
    # The message is the detail; the structured parts (run_id of the busy run, pending_request_id) ride beside
    # it, so `detail` stays a string for every client.
    extra = {"code": exc.code, **exc.detail} if exc.detail else {}
    return _error(exc.status_code, exc.message, **extra)


async def _authenticated_body(request) -> tuple[str, dict]:
    organization_id = await sync_to_async(_organization)(request)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ValidationError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.")
    return organization_id, body


def _streaming_flags(body: dict, *, stream_route: bool) -> None:
    """`include_pings` is a streaming-only flag the serializer does not know: refuse it without streaming (422,
    like `stream_tokens` and `background`). `/messages/stream` always streams."""
    if stream_route:
        body["streaming"] = True
    elif not body.get("streaming") and body.get("include_pings") is not None:
        raise ValidationError("include_pings needs streaming=true.")
    if body.get("include_pings") is not None and not isinstance(body["include_pings"], bool):
        raise ValidationError({"include_pings": "Must be a boolean."})


async def _send(request, agent_id: str, *, stream_route: bool):
    if request.method != "POST":
        return _error(405, f'Method "{request.method}" not allowed.')
    try:
        organization_id, body = await _authenticated_body(request)
        _streaming_flags(body, stream_route=stream_route)
        serializer = LettaRequestSerializer(data=body)
        serializer.is_valid(raise_exception=True)
    except APIException as exc:
        return _api_error(exc)
    data = serializer.validated_data
    wanted = data.get("include_return_message_types")
    if data["streaming"]:
        if data["background"]:
            return _error(501, BACKGROUND_NOT_IMPLEMENTED)
        return await _stream(agent_id, organization_id, data, include_pings=body.get("include_pings", True))
    try:
        result = await run_agent(
            agent_id, data.get("messages"), input=data.get("input"), organization_id=organization_id,
            max_steps=data["max_steps"], client_tools=data.get("client_tools"),
        )
    except RunRefused as exc:
        return _refused(exc)
    response = result.response()
    if wanted:
        response["messages"] = [m for m in response["messages"] if m["message_type"] in wanted]
    return JsonResponse(response)


async def _stream(agent_id: str, organization_id: str, data: dict, *, include_pings: bool):
    """Start the run in its own task; answer a JSON error if it is refused before its first event, else SSE."""
    run = streaming.StreamedRun(lambda on_event: run_agent(
        agent_id, data.get("messages"), input=data.get("input"), organization_id=organization_id,
        max_steps=data["max_steps"], client_tools=data.get("client_tools"), stream_tokens=data["stream_tokens"],
        on_event=on_event,
    ))
    try:
        first = await run.first(streaming.FIRST_EVENT_WAIT)
    except RunRefused as exc:
        return _refused(exc)
    except APIException as exc:
        return _api_error(exc)
    return streaming.sse_response(
        run.events(first, include_pings=include_pings, wanted=data.get("include_return_message_types"))
    )


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


@csrf_exempt
async def summarize(request, agent_id: str):
    """`POST /v1/agents/{id}/summarize`: compact the agent's context now -> `{summary, num_messages_*}`."""
    if request.method != "POST":
        return _error(405, f'Method "{request.method}" not allowed.')
    try:
        # The body (`compaction_settings`) is not read: compaction uses the server's settings for now.
        organization_id = await sync_to_async(_organization)(request)
    except APIException as exc:
        return _api_error(exc)
    try:
        return JsonResponse(await summarize_agent(agent_id, organization_id))
    except RunRefused as exc:
        return _refused(exc)


async def models(request):
    """`GET /v1/models/`: the models every configured provider lists, as handles agents can use."""
    if request.method != "GET":
        return _error(405, f'Method "{request.method}" not allowed.')
    try:
        organization_id = await sync_to_async(_organization)(request)
    except APIException as exc:
        return _api_error(exc)
    return JsonResponse(await list_models(organization_id), safe=False)
