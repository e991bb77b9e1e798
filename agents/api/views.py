"""Agents API views (DRF, sync): parse, call one service or selector, render.

Every query is scoped to the key's organization; a foreign or unknown id answers 404, never 403. The routes
that run the agent loop (send, summarize) are async Django views in `agents.api.send_views`.
"""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.errors import ConflictError, DomainError
from accounts.selectors import get_owned
from agents import services
from agents.api import serializers as s
from agents.api.pagination import cursor_page, cursor_values
from agents.letta_messages import to_letta_messages
from agents.models import Agent, Message, Run
from agents.runtime.run_lifecycle import pending_approval, request_cancel
from agents.selectors import AGENT_STATE_RELATIONS, agent_of, agents_matching, sorted_by
from agents.threads import is_default
from memory.services import EditActor


def get_agent(request, agent_id: str, *, with_relations: bool = False) -> Agent:
    """The request's organization's agent, else 404 "Agent {id} not found." (the words of the async routes'
    AgentNotFound); `with_relations` prefetches the blocks and tools an AgentState renders."""
    return agent_of(organization_of(request), agent_id, with_relations=with_relations)


def validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)  # 422 through the project's exception handler
    return serializer.validated_data


def full_text_search(data: dict, refusal: str) -> dict:
    """A validated search request, refused with `refusal` (a DomainError) when its `search_mode` is 'vector': the
    messages and tools this server searches carry no embeddings, so 'fts' and 'hybrid' both rank by full text."""
    if data["search_mode"] == "vector":
        raise DomainError(refusal)
    return data


def edit_actor(request) -> EditActor:
    return EditActor.api(getattr(request.user, "api_key_id", None))


# Base of `PATCH /v1/agents/{id}/<kind>/attach|detach/{item_id}`: the agent, then the item (each its own 404), then
# the service named for the action in `actions`; answers the agent's new AgentState unless `answer` says otherwise.
# A subclass names the services and how to fetch its item (`item(request, <kind>_id)`). A comment, not a docstring:
# drf-spectacular would publish a base class's docstring as the description of a subclass that has none.
class AgentAttachView(APIView):
    actions: dict = {}  # "attach" / "detach" -> service function (agent, item)

    def item(self, request, item_id):
        raise NotImplementedError

    def patch(self, request, agent_id, action, **item_id):
        agent = get_agent(request, agent_id)
        self.actions[action](agent, self.item(request, **item_id))
        return self.answer(request, agent_id)

    def answer(self, request, agent_id):
        return Response(s.agent_state(get_agent(request, agent_id, with_relations=True)))


def _includes(request) -> set[str]:
    return set(request.query_params.getlist("include")) | set(request.query_params.getlist("include_relationships"))


def agent_states(request, agents) -> list[dict]:
    """AgentState for each agent with the relations asked for by `include` (blocks, tools and tags always come)."""
    includes = _includes(request)
    states = [s.agent_state(a, include_secrets="agent.secrets" in includes) for a in agents]
    if "agent.pending_approval" in includes:
        for agent, state in zip(agents, states):
            pending = pending_approval(agent)
            state["pending_approval"] = (
                next((m for m in to_letta_messages(pending) if m["message_type"] == "approval_request_message"), None)
                if pending
                else None
            )
    return states


class AgentListView(APIView):
    """`GET /v1/agents/` (filters, cursors) and `POST /v1/agents/` (CreateAgent)."""

    def get(self, request):
        query = validated(s.AgentListQuerySerializer, request.query_params)
        agents, fields = sorted_by(_matching_agents(request, query), query["order_by"])
        page = cursor_page(agents, query, what="Agent", fields=fields, prefetch=AGENT_STATE_RELATIONS)
        return Response(agent_states(request, page))

    def post(self, request):
        data = validated(s.CreateAgentSerializer, request.data)
        fields = {k: v for k, v in data.items() if v is not None}
        fields.setdefault("name", _default_name())
        agent = services.create_agent(organization_id=organization_of(request), actor=edit_actor(request), **fields)
        return Response(s.agent_state(get_agent(request, agent.id, with_relations=True)))


def _matching_agents(request, query: dict):
    params = request.query_params
    return agents_matching(
        organization_of(request),
        tags=params.getlist("tags"),
        identifier_keys=params.getlist("identifier_keys"),
        **{
            key: query.get(key)
            for key in (
                "name",
                "query_text",
                "match_all_tags",
                "created_by_id",
                "last_stop_reason",
                "identity_id",
                "template_id",
                "base_template_id",
            )
        },
    )


class AgentCountView(APIView):
    """`GET /v1/agents/count`: how many agents the list would hold with the same filters, as a bare integer."""

    def get(self, request):
        query = validated(s.AgentListQuerySerializer, request.query_params)
        return Response(_matching_agents(request, query).count())


def _default_name() -> str:
    # Letta names unnamed agents; a readable unique-enough name beats a validation error.
    from accounts.ids import new_id

    return "agent-" + new_id("x").split("-")[1][:8]


class AgentDetailView(APIView):
    def get(self, request, agent_id):
        agent = get_agent(request, agent_id, with_relations=True)
        return Response(agent_states(request, [agent])[0])

    def patch(self, request, agent_id):
        agent = get_agent(request, agent_id)
        data = validated(s.UpdateAgentSerializer, request.data)
        services.update_agent(agent, **data)
        return Response(s.agent_state(get_agent(request, agent_id, with_relations=True)))

    def delete(self, request, agent_id):
        services.delete_agent(get_agent(request, agent_id))
        return Response(None, status=status.HTTP_200_OK)


class AgentBlockListView(APIView):
    def get(self, request, agent_id):
        agent = get_agent(request, agent_id)
        query = validated(s.ListQuerySerializer, request.query_params)
        blocks = agent.blocks.all()
        fields = ("created_at", "id")
        # Paged like every list: the SDK's auto-pager asks again with `after=<last id>` until a page is empty.
        page = cursor_page(blocks, query, what="Block", fields=fields, default_limit=100)
        return Response([s.block_data(b) for b in page])


class AgentBlockDetailView(APIView):
    def get(self, request, agent_id, label):
        agent = get_agent(request, agent_id)
        return Response(s.block_data(services.agent_block(agent, label)))

    def patch(self, request, agent_id, label):
        agent = get_agent(request, agent_id)
        data = validated(s.BlockUpdateSerializer, request.data)
        block = services.update_agent_block(agent, label, actor=edit_actor(request), **data)
        return Response(s.block_data(block))


class AgentMessageListView(APIView):
    """`GET /v1/agents/{id}/messages[?conversation_id=]`: the stored history as LettaMessages, paged by stored
    message: of every thread of the agent when no conversation is named (as Letta does: letta-evals reads a Letta
    Code run, which happens in a conversation, this way), of the default thread for `default`, else of the
    conversation named."""

    def get(self, request, agent_id):
        agent = get_agent(request, agent_id)
        messages = Message.objects.filter(agent=agent)
        conversation_id = request.query_params.get("conversation_id") or None
        if conversation_id:
            messages = messages.filter(conversation_id=None if is_default(conversation_id) else conversation_id)
        return Response(message_page(request, messages, chronological=True))


def message_page(request, messages, *, chronological: bool = False, default_order: str = "desc") -> list[dict]:
    """A page of stored messages as LettaMessages (the agent's, a run's or a step's history), as Letta pages them.

    Unlike other lists, `after`/`before` are absolute here: newer / older than the cursor message whatever the
    order (Letta's message manager filters on sequence_id alone). `order` picks which end the `limit` messages come
    from; with `chronological` (the agent's and the organization's history, which Letta reverses twice) they are
    then returned oldest first even for `desc`, so the default page is the latest N in reading order and the SDK's
    pager walks back with `before=<first id>`. The limit counts stored messages; each fans out into all its parts,
    so a cursor (a stored message's id, shared by its parts) never splits one message across pages."""
    query = validated(s.MessageListQuerySerializer, request.query_params)
    order = query["order"] if "order" in request.query_params else default_order
    if query["include_err"] is False:
        messages = messages.exclude(is_err=True)
    after = cursor_values(messages, query.get("after"), ("sequence_id",), "Message")
    before = cursor_values(messages, query.get("before"), ("sequence_id",), "Message")
    if after is not None:
        messages = messages.filter(sequence_id__gt=after[0])
    if before is not None:
        messages = messages.filter(sequence_id__lt=before[0])
    rows = list(messages.order_by("sequence_id" if order == "asc" else "-sequence_id")[: query.get("limit") or 100])
    if chronological and order == "desc":
        rows.reverse()
    in_reading_order = order == "asc" or chronological
    wanted = set(request.query_params.getlist("include_return_message_types"))
    out = []
    for row in rows:
        parts = [{**part, "seq_id": row.sequence_id} for part in to_letta_messages(row)]
        out.extend(parts if in_reading_order else reversed(parts))
    if wanted:
        out = [m for m in out if m["message_type"] in wanted]
    return out


class CancelView(APIView):
    """`POST /v1/agents/{id}/messages/cancel` `{run_ids?}` -> `{run_id: "cancelled"}`."""

    def post(self, request, agent_id):
        agent = get_agent(request, agent_id)
        run_ids = request.data.get("run_ids") if isinstance(request.data, dict) else None
        if run_ids is not None and not (isinstance(run_ids, list) and all(isinstance(r, str) for r in run_ids)):
            raise DomainError("run_ids must be a list of run ids.")
        cancelled = request_cancel(agent.id, run_ids or None)
        if not cancelled:
            raise ConflictError(f"Agent {agent.id} has no active run to cancel.")
        return Response(cancelled)


class RunDetailView(APIView):
    def get(self, request, run_id):
        run = get_owned(Run, organization_of(request), run_id, "Run")
        return Response(s.run_data(run))
