"""`/v1/conversations`: an agent's threads, as letta-client 1.12's `conversations` family reaches them.

Every route takes a conversation id, or `default` with `agent_id` (agent-direct mode: the agent's own thread), or
the agent's id in the conversation's place (`agents.threads` reads all three). CRUD is DRF; the routes that run
the loop (send, compact) are async views like `send_views`, sharing its code.
"""

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.errors import ConflictError, NotFoundError
from agents import conversations as service
from agents.api import send_views
from agents.api.async_views import api_view
from agents.api.conversation_serializers import (
    AgentDirectQuerySerializer,
    ConversationCreateSerializer,
    ConversationListQuerySerializer,
    ConversationStreamSerializer,
    ConversationUpdateSerializer,
    ForkQuerySerializer,
    RecompileQuerySerializer,
    conversation_data,
)
from agents.api.pagination import cursor_page
from agents.api.views import get_agent, message_page, validated
from agents.models import Conversation, Message, Run
from agents.runtime.run_lifecycle import request_cancel
from agents.runtime.summarize import summarize_agent
from agents.services import recompile_system
from agents.threads import agent_of_thread, thread_of


def _thread(request, conversation_id: str, agent_id: str | None = None):
    """(agent, thread) for a DRF request; `agent_id` defaults to the query's."""
    agent_id = agent_id or request.query_params.get("agent_id") or None
    thread = thread_of(organization_of(request), conversation_id, agent_id)
    return thread.agent, thread


def _conversation(request, conversation_id: str) -> Conversation:
    _, thread = _thread(request, conversation_id)
    if not isinstance(thread, Conversation):
        raise NotFoundError(
            f"'{conversation_id}' is the agent's default thread, not a conversation: it has no record to read or "
            "change. Its messages are at /v1/agents/{agent_id}/messages."
        )
    return thread


class ConversationListView(APIView):
    """`GET /v1/conversations/?agent_id=&after=&limit=&order=&order_by=&summary_search=&archive_status=`,
    `POST /v1/conversations/?agent_id=` `{summary, description, model, model_settings, context_window_limit,
    hidden}`."""

    def get(self, request):
        query = validated(ConversationListQuerySerializer, request.query_params)
        organization_id = organization_of(request)
        if query.get("agent_id"):
            get_agent(request, query["agent_id"])  # 404 for an agent of another organization
        rows = service.conversations_of(
            organization_id, agent_id=query.get("agent_id"), archive_status=query["archive_status"]
        )
        rows = service.matching_summary(rows, query.get("summary_search"))
        fields = (query["order_by"], "id")
        if query["order_by"] != "created_at":
            # Conversations never run sort as the oldest: nulls first ascending, last descending.
            rows = rows.exclude(**{f"{query['order_by']}__isnull": True})
        return Response([conversation_data(c) for c in cursor_page(rows, query, what="Conversation", fields=fields)])

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        agent = get_agent(request, request.query_params.get("agent_id") or body.get("agent_id") or "")
        data = validated(ConversationCreateSerializer, request.data)
        conversation = service.create_conversation(agent, **data)
        return Response(conversation_data(conversation), status=201)


class ConversationDetailView(APIView):
    """`GET|PATCH|DELETE /v1/conversations/{id}`."""

    def get(self, request, conversation_id):
        return Response(conversation_data(_conversation(request, conversation_id)))

    def patch(self, request, conversation_id):
        conversation = _conversation(request, conversation_id)
        data = validated(ConversationUpdateSerializer, request.data)
        service.update_conversation(conversation, **data)
        return Response(conversation_data(conversation))

    def delete(self, request, conversation_id):
        service.delete_conversation(_conversation(request, conversation_id))
        return Response(status=204)


class ConversationMessageListView(APIView):
    """`GET /v1/conversations/{id}/messages`: the thread's stored history as LettaMessages, paged."""

    def get(self, request, conversation_id):
        agent, thread = _thread(request, conversation_id)
        messages = Message.objects.filter(agent=agent, conversation_id=thread.conversation_id)
        # Agent-direct mode (`default` + agent_id) is Letta's agent message list: the newest, oldest first.
        return Response(message_page(request, messages, chronological=not isinstance(thread, Conversation)))


class ConversationCancelView(APIView):
    """`POST /v1/conversations/{id}/cancel[?agent_id=]` -> `{run_id: "cancelled"}` for the thread's active run."""

    def post(self, request, conversation_id):
        query = validated(AgentDirectQuerySerializer, request.query_params)
        agent, thread = _thread(request, conversation_id, query.get("agent_id"))
        cancelled = request_cancel(agent.id, conversation_id=thread.conversation_id, one_thread=True)
        if not cancelled:
            where = f"Conversation {thread.conversation_id}" if thread.conversation_id else f"Agent {agent.id}"
            raise ConflictError(f"{where} has no active run to cancel.")
        return Response(cancelled)


class ConversationForkView(APIView):
    """`POST /v1/conversations/{id}/fork?agent_id=&hidden=&message_id=` -> the new Conversation."""

    def post(self, request, conversation_id):
        query = validated(ForkQuerySerializer, request.query_params)
        agent, thread = _thread(request, conversation_id, query.get("agent_id"))
        fork = service.fork_conversation(
            agent,
            thread,
            up_to_message_id=query.get("message_id") or None,
            hidden=query["hidden"],
        )
        return Response(conversation_data(fork), status=201)


class ConversationRecompileView(APIView):
    """`POST /v1/conversations/{id}/recompile?dry_run=` `{agent_id}` -> the thread's system prompt, a JSON string."""

    def post(self, request, conversation_id):
        query = validated(RecompileQuerySerializer, request.query_params)
        body = validated(AgentDirectQuerySerializer, request.data if isinstance(request.data, dict) else {})
        agent, thread = _thread(request, conversation_id, body.get("agent_id"))
        return Response(recompile_system(thread.agent, dry_run=query["dry_run"], thread=thread))


_list_messages = ConversationMessageListView.as_view()


@csrf_exempt
async def conversation_messages(request, conversation_id: str):
    """`GET` lists the thread's history; `POST` sends to it. Letta's conversation send streams unless the body
    says `streaming: false`."""
    if request.method == "GET":
        return await sync_to_async(_list_messages)(request, conversation_id=conversation_id)
    return await _send(request, conversation_id)


@api_view("POST", body=True)
async def _send(request, conversation_id: str):
    body = request.json
    agent, conv_id = await sync_to_async(agent_of_thread)(
        request.organization_id, conversation_id, body.pop("agent_id", None)
    )
    body.setdefault("streaming", True)
    if conv_id:
        await sync_to_async(service.touch)(conv_id)
    return await send_views.send(request, agent.id, stream_route=False, conversation_id=conv_id)


@api_view("POST", body=True)
async def conversation_compact(request, conversation_id: str):
    """`POST /v1/conversations/{id}/compact` `{agent_id, compaction_settings}` -> `{summary, num_messages_*}`."""
    agent, conv_id = await sync_to_async(agent_of_thread)(
        request.organization_id, conversation_id, request.json.get("agent_id")
    )
    return JsonResponse(await summarize_agent(agent.id, request.organization_id, conv_id))


@api_view("POST", body=True)
async def conversation_stream(request, conversation_id: str):
    """`POST /v1/conversations/{id}/stream` `{agent_id, run_id, otid, starting_after, …}`: resume the stream of a
    background run of the thread (the one named, the one that stored `otid`, else the thread's active run)."""
    options = validated(ConversationStreamSerializer, request.json)
    run = await sync_to_async(_run_to_follow)(request.organization_id, conversation_id, options)
    return send_views.follow_run(run, options)


def _run_to_follow(organization_id: str, conversation_id: str, options: dict) -> Run:
    agent, conv_id = agent_of_thread(organization_id, conversation_id, options.get("agent_id"))
    runs = Run.objects.filter(agent=agent, conversation_id=conv_id)
    if options.get("run_id"):
        run_id = options["run_id"]
    elif options.get("otid"):
        run_id = Message.objects.filter(agent=agent, otid=options["otid"]).values_list("run_id", flat=True).first()
    else:
        run_id = runs.filter(status__in=Run.ACTIVE).order_by("-created_at").values_list("id", flat=True).first()
    if not run_id or not runs.filter(pk=run_id).exists():
        where = f"conversation {conv_id}" if conv_id else f"the default conversation of agent {agent.id}"
        raise NotFoundError(f"No run to stream in {where}: name one with run_id, or start one with background=true.")
    return send_views.background_run(organization_id, run_id)
