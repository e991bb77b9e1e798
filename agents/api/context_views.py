"""Routes that act on an agent's context window as a whole: its overview, resetting its messages, recompiling its
system prompt, and the (refused) editing of a stored message."""

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import services
from agents.api import serializers as s
from agents.api.message_views import message_parts, organization_message
from agents.api.views import get_agent, validated
from agents.context_window import context_overview
from agents.threads import is_default, load_thread


class AgentContextView(APIView):
    """`GET /v1/agents/{id}/context[?conversation_id=]`: the ContextWindowOverview of the next request in the
    agent's default thread, or in the conversation named."""

    def get(self, request, agent_id):
        agent = get_agent(request, agent_id)
        thread = load_thread(agent, _conversation_param(request))
        return Response(context_overview(thread.agent, thread=thread))


def _conversation_param(request) -> str | None:
    value = request.query_params.get("conversation_id") or None
    return None if value is None or is_default(value) else value


class ResetMessagesSerializer(serializers.Serializer):
    add_default_initial_messages = serializers.BooleanField(required=False, default=False)


class RecompileQuerySerializer(serializers.Serializer):
    update_timestamp = serializers.BooleanField(required=False, default=False)
    dry_run = serializers.BooleanField(required=False, default=False)


class ResetMessagesView(APIView):
    """`PATCH /v1/agents/{id}/reset-messages` -> AgentState with only the system message in context."""

    def patch(self, request, agent_id):
        agent = get_agent(request, agent_id)
        data = validated(ResetMessagesSerializer, request.data if isinstance(request.data, dict) else {})
        services.reset_messages(agent, **data)  # AgentBusyError: 409 naming the run
        return Response(s.agent_state(get_agent(request, agent_id, with_relations=True)))


class RecompileView(APIView):
    """`POST /v1/agents/{id}/recompile?update_timestamp=&dry_run=` -> the system prompt, as a JSON string."""

    def post(self, request, agent_id):
        agent = get_agent(request, agent_id)
        query = validated(RecompileQuerySerializer, request.query_params)
        return Response(services.recompile_system(agent, **query))


class MessageDetailView(APIView):
    """`/v1/agents/{id}/messages/{message_id}`: read one stored message; history is not rewritten."""

    def patch(self, request, agent_id, message_id):
        get_agent(request, agent_id)
        return Response(
            {
                "detail": "Messages are immutable: a stored message cannot be modified. To change what the agent "
                "sees, edit its memory blocks, or reset its messages with PATCH "
                f"/v1/agents/{agent_id}/reset-messages."
            },
            status=status.HTTP_405_METHOD_NOT_ALLOWED,
        )

    def get(self, request, agent_id, message_id):
        """One stored message of the agent, as the LettaMessages it fans out into."""
        agent = get_agent(request, agent_id)
        return Response(message_parts(organization_message(request, message_id, agent=agent)))
