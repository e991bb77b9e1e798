"""Memory blocks over HTTP: the `/v1/blocks` collection (blocks live on their own and can be shared by agents),
the agents that hold a block, and attaching or detaching a block to an agent.

Every write goes through `agents.services` (which calls `memory.services`), so limits, read-only flags and
revisions hold here as on every other path, and each agent holding the block gets its system message recompiled.
"""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.selectors import get_owned
from agents import services
from agents.api import serializers as s
from agents.api.pagination import cursor_page
from agents.api.views import AgentAttachView, agent_states, edit_actor, validated
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
