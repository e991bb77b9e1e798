"""Groups over HTTP (`/v1/groups`, `GET /v1/agents/{id}/groups`), as Letta serves them.

This server keeps groups of one kind, `sleeptime`: made by `enable_sleeptime` on an agent, changed here (how often
the sleep-time agent runs), deleted here or by `enable_sleeptime=false` (agents/sleeptime.py does all three).
"""

from django.db.models import Q
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.errors import DomainError
from accounts.selectors import get_owned
from agents import sleeptime
from agents.api import serializers as s
from agents.api.pagination import cursor_page
from agents.api.views import get_agent, validated
from agents.models import Group

MANAGER_TYPES = ["round_robin", "supervisor", "dynamic", "sleeptime", "voice_sleeptime", "swarm"]


class GroupListQuerySerializer(serializers.Serializer):
    manager_type = serializers.ChoiceField(choices=MANAGER_TYPES, required=False, allow_null=True)
    after = serializers.CharField(required=False)
    before = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)
    order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="asc")
    order_by = serializers.ChoiceField(choices=["created_at"], required=False, default="created_at")
    project_id = serializers.CharField(required=False, allow_null=True)
    show_hidden_groups = serializers.BooleanField(required=False, allow_null=True)


class ManagerConfigUpdateSerializer(serializers.Serializer):
    manager_type = serializers.ChoiceField(choices=MANAGER_TYPES, required=False, default="sleeptime")
    # Checked by agents.sleeptime (a clear message for 0 or less), not here.
    sleeptime_agent_frequency = serializers.IntegerField(
        required=False, allow_null=True, min_value=-s.MAX_STORED_INT, max_value=s.MAX_STORED_INT
    )


class GroupUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=10_000)
    manager_config = ManagerConfigUpdateSerializer(required=False, allow_null=True)
    agent_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


def get_group(request, group_id: str) -> Group:
    return get_owned(Group, organization_of(request), group_id, "Group")


def _page(request, groups, query_serializer) -> Response:
    query = validated(query_serializer, request.query_params)
    if query.get("manager_type") not in (None, Group.ManagerType.SLEEPTIME):
        groups = groups.none()  # the only kind this server makes
    page = cursor_page(groups, query, what="Group")
    return Response([s.group_data(group) for group in page])


class GroupListView(APIView):
    """`GET /v1/groups/`; `POST` is refused: a sleep-time group is made by `enable_sleeptime` on its agent."""

    def get(self, request):
        return _page(request, Group.objects.for_organization(organization_of(request)), GroupListQuerySerializer)

    def post(self, request):
        raise DomainError(
            "This server makes groups of one kind, sleeptime, and only through the agent: create or update the "
            "agent with enable_sleeptime=true (PATCH /v1/agents/{agent_id})."
        )


class GroupCountView(APIView):
    def get(self, request):
        return Response(Group.objects.for_organization(organization_of(request)).count())


class GroupDetailView(APIView):
    def get(self, request, group_id):
        return Response(s.group_data(get_group(request, group_id)))

    def patch(self, request, group_id):
        group = get_group(request, group_id)
        data = validated(GroupUpdateSerializer, request.data)
        if data.get("agent_ids") is not None and data["agent_ids"] != group.agent_ids:
            raise DomainError(
                "A sleep-time group's agents cannot be changed: turn sleep-time off and on again on the agent "
                f"({group.manager_agent_id}) to get a new sleep-time agent."
            )
        config = data.get("manager_config") or {}
        if config.get("manager_type", "sleeptime") != Group.ManagerType.SLEEPTIME:
            raise DomainError(
                f"Group {group.id} is a sleeptime group; its manager_config takes manager_type 'sleeptime' and "
                "sleeptime_agent_frequency."
            )
        group = sleeptime.update_group(
            group, frequency=config.get("sleeptime_agent_frequency"), description=data.get("description")
        )
        return Response(s.group_data(group))

    def delete(self, request, group_id):
        sleeptime.delete_group(get_group(request, group_id))
        return Response(None)


class AgentGroupListView(APIView):
    """`GET /v1/agents/{id}/groups`: the groups the agent manages or takes part in."""

    def get(self, request, agent_id):
        agent = get_agent(request, agent_id)
        groups = Group.objects.filter(Q(manager_agent=agent) | Q(sleeptime_agent=agent))
        return _page(request, groups, GroupListQuerySerializer)
