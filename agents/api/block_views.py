"""Memory blocks over HTTP: the `/v1/blocks` collection (blocks live on their own and can be shared by agents),
the agents that hold a block, attaching or detaching a block to an agent, and the revision history of a block (or
of all an agent's blocks) with restore.

Every write goes through `agents.services` (which calls `memory.services`), so limits, read-only flags and
revisions hold here as on every other path, and each agent holding the block gets its system message recompiled.
"""

from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.selectors import get_owned
from agents import services
from agents.api import serializers as s
from agents.api.pagination import cursor_page
from agents.api.views import AgentAttachView, agent_states, edit_actor, get_agent, validated
from agents.memory_history import agent_history, block_history
from agents.models import Agent
from memory import services as memory_services
from memory.models import Block
from memory.selectors import blocks_matching


class BlockCreateSerializer(s.CreateBlockSerializer):
    """BlockCreate: CreateBlock plus the template flag. Template/project/deployment ids are accepted and ignored:
    this server has no templates or projects."""

    is_template = serializers.BooleanField(required=False, default=False)


class BlockModifySerializer(s.BlockUpdateSerializer):
    is_template = serializers.BooleanField(required=False)


class BlockListQuerySerializer(s.ListQuerySerializer):
    order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="asc")
    order_by = serializers.ChoiceField(choices=["created_at"], required=False)
    label = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    label_search = serializers.CharField(required=False)
    value_search = serializers.CharField(required=False)
    description_search = serializers.CharField(required=False)
    templates_only = serializers.BooleanField(required=False, default=False)
    match_all_tags = serializers.BooleanField(required=False, default=False)
    identity_id = serializers.CharField(required=False)
    connected_to_agents_count_gt = serializers.IntegerField(required=False, min_value=0)
    connected_to_agents_count_lt = serializers.IntegerField(required=False, min_value=0)
    show_hidden_blocks = serializers.BooleanField(required=False, default=False)


def _block(request, block_id: str) -> Block:
    return get_owned(Block, organization_of(request), block_id, "Block")


def _matching_blocks(request):
    query = validated(BlockListQuerySerializer, request.query_params)
    params = request.query_params
    if query.get("name") or query.get("identity_id") or params.getlist("identifier_keys"):
        # Letta's `name` is a template name; neither templates nor identities exist here, so nothing matches.
        return query, Block.objects.none()
    try:
        counts_eq = [int(n) for n in params.getlist("connected_to_agents_count_eq")]
    except ValueError:
        raise serializers.ValidationError({"connected_to_agents_count_eq": "Must be whole numbers."}) from None
    blocks = blocks_matching(
        organization_of(request),
        tags=params.getlist("tags"),
        connected_to_agents_count_eq=counts_eq or None,
        include_hidden=query["show_hidden_blocks"],
        **{
            key: query.get(key)
            for key in (
                "label",
                "label_search",
                "value_search",
                "description_search",
                "templates_only",
                "match_all_tags",
                "connected_to_agents_count_gt",
                "connected_to_agents_count_lt",
            )
        },
    )
    return query, blocks


class BlockListView(APIView):
    """`GET /v1/blocks/` (filters, cursors; oldest first by default, as Letta) and `POST /v1/blocks/`."""

    def get(self, request):
        query, blocks = _matching_blocks(request)
        fields = ("created_at", "id")
        page = cursor_page(blocks, query, what="Block", fields=fields)
        return Response([s.block_data(b) for b in page])

    def post(self, request):
        data = validated(BlockCreateSerializer, request.data)
        block = memory_services.create_block(
            organization_id=organization_of(request), actor=edit_actor(request), **data
        )
        return Response(s.block_data(block))


class BlockCountView(APIView):
    def get(self, request):
        return Response(_matching_blocks(request)[1].count())


class BlockDetailView(APIView):
    def get(self, request, block_id):
        return Response(s.block_data(_block(request, block_id)))

    def patch(self, request, block_id):
        block = _block(request, block_id)
        data = validated(BlockModifySerializer, request.data)
        block = services.update_block(block, actor=edit_actor(request), **data)
        return Response(s.block_data(block))

    def delete(self, request, block_id):
        services.delete_block(_block(request, block_id))
        return Response(None)


class BlockAgentListView(APIView):
    """`GET /v1/blocks/{id}/agents`: the agents holding the block, paged like the agent list."""

    def get(self, request, block_id):
        block = _block(request, block_id)
        query = validated(s.ListQuerySerializer, request.query_params)
        agents = Agent.objects.for_organization(block.organization_id).filter(blocks__id=block.id)
        fields = ("created_at", "id")
        page = cursor_page(agents, query, what="Agent", fields=fields, prefetch=("blocks", "tools"))
        return Response(agent_states(request, page))


class AgentBlockAttachView(AgentAttachView):
    """`PATCH /v1/agents/{id}/core-memory/blocks/attach|detach/{block_id}` -> the agent's new AgentState."""

    actions = {"attach": services.attach_block, "detach": services.detach_block}

    def item(self, request, block_id):
        return _block(request, block_id)


class BlockHistoryQuerySerializer(s.ListQuerySerializer):
    before = serializers.IntegerField(
        required=False, min_value=0, help_text="A version: only revisions past it in `order` (newer, when desc)."
    )
    after = serializers.IntegerField(
        required=False, min_value=0, help_text="A version: only revisions beyond it in `order` (older, when desc)."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)


class AgentMemoryHistoryQuerySerializer(BlockHistoryQuerySerializer):
    before = serializers.IntegerField(required=False, min_value=0, help_text="A revision `id` (newer, when desc).")
    after = serializers.IntegerField(required=False, min_value=0, help_text="A revision `id` (older, when desc).")
    block_id = serializers.CharField(required=False, help_text="Only the revisions of this block of the agent.")


class BlockRevisionSerializer(s.ResponseSerializer):
    """One change to a block: who made it (for an agent's edit, the run, step and tool call), the fields it
    changed (`{name: {before, after}}`; a restore adds `restored_from_version`) and the value before and after."""

    id = serializers.IntegerField(help_text="The revision's id: the cursor of the agent's memory history.")
    block_id = serializers.CharField()
    label = serializers.CharField(help_text="The block's label now.")
    version = serializers.IntegerField(help_text="The block's version after this change.")
    created_at = s.IsoDateTimeField()
    actor_type = serializers.ChoiceField(choices=["agent", "user", "api", "system"])
    actor_id = s.nullable(serializers.CharField, help_text="The agent's, person's or API key's id.")
    actor_name = s.nullable(serializers.CharField, help_text="The person's username or the API key's name.")
    agent_id = s.nullable(serializers.CharField)
    step_id = s.nullable(serializers.CharField)
    run_id = s.nullable(serializers.CharField, help_text="The run of `step_id`, for an agent's edit.")
    tool_call_id = s.nullable(serializers.CharField)
    tool_name = s.nullable(serializers.CharField)
    field_changes = serializers.DictField()
    value_before = serializers.CharField()
    value_after = serializers.CharField()


_REVISION = BlockRevisionSerializer()


class BlockHistoryView(APIView):
    """`GET /v1/blocks/{id}/history`: the block's revisions, newest first by default, paged by version."""

    def get(self, request, block_id):
        block = _block(request, block_id)
        query = validated(BlockHistoryQuerySerializer, request.query_params)
        entries = block_history(
            block, after=query.get("after"), before=query.get("before"), order=query["order"], limit=query["limit"]
        )
        return Response([_REVISION.to_representation(entry) for entry in entries])


class BlockRestoreView(APIView):
    """`POST /v1/blocks/{id}/history/{version}/restore`: the value of that version back, as a new revision."""

    def post(self, request, block_id, version):
        block = _block(request, block_id)
        if not version.isdigit():
            raise NotFound(f"Memory block '{block.label}' has no version '{version}': versions are whole numbers.")
        block = services.restore_block_revision(block, int(version), actor=edit_actor(request))
        return Response(s.block_data(block))


class AgentMemoryHistoryView(APIView):
    """`GET /v1/agents/{id}/memory/history`: the revisions of all the agent's blocks, newest first by default."""

    def get(self, request, agent_id):
        agent = get_agent(request, agent_id)
        query = validated(AgentMemoryHistoryQuerySerializer, request.query_params)
        block_id = query.get("block_id")
        if block_id and not agent.blocks.filter(pk=block_id).exists():
            raise NotFound(f"Block {block_id} is not attached to agent {agent.id}.")
        entries = agent_history(
            agent,
            block_id=block_id,
            after=query.get("after"),
            before=query.get("before"),
            order=query["order"],
            limit=query["limit"],
        )
        return Response([_REVISION.to_representation(entry) for entry in entries])
