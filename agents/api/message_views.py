"""Messages across an organization's agents (`/v1/messages`): one stored message, the whole history paged, and
full-text search through recall memory (`agents.recall`), the same index the conversation_search tool reads."""

from django.http import Http404
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from agents import recall
from agents.api import serializers as s
from agents.api.views import full_text_search, get_agent, message_page, validated
from agents.letta_messages import to_letta_messages
from agents.models import Message
from tools.builtin.core_tools import ToolInputError

# A stored message's role -> the search result's message_type (recall searches only these roles).
_RESULT_TYPES = {
    "user": "user_message",
    "summary": "user_message",
    "assistant": "assistant_message",
    "system": "system_message",
}


class MessageSearchSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True)
    agent_id = serializers.CharField(required=False, allow_null=True)
    conversation_id = serializers.CharField(required=False, allow_null=True)
    start_date = serializers.CharField(required=False, allow_null=True)
    end_date = serializers.CharField(required=False, allow_null=True)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=recall.MAX_LIMIT, default=50)
    search_mode = serializers.ChoiceField(choices=["vector", "fts", "hybrid"], required=False, default="hybrid")


def organization_message(request, message_id: str, **scope) -> Message:
    # Looked up by its public id, not its primary key (the sequence), so not through get_owned; same 404.
    message = Message.objects.for_organization(organization_of(request)).filter(id=message_id, **scope).first()
    if message is None:
        raise Http404(f"Message {message_id} not found.")
    return message


def message_parts(message: Message) -> list[dict]:
    """One stored message as the LettaMessages it fans out into (MessageRetrieveResponse is a list)."""
    return [{**part, "seq_id": message.sequence_id} for part in to_letta_messages(message)]


class MessageListView(APIView):
    """`GET /v1/messages/`: every agent's history in the organization, paged by stored message like an agent's."""

    def get(self, request):
        messages = Message.objects.for_organization(organization_of(request))
        if request.query_params.get("conversation_id"):
            messages = messages.none()  # this server has no conversations, so no message belongs to one
        return Response(message_page(request, messages, chronological=True))


class MessageDetailView(APIView):
    def get(self, request, message_id):
        return Response(message_parts(organization_message(request, message_id)))


class MessageSearchView(APIView):
    """`POST /v1/messages/search`: full-text search of user, assistant and summary messages, best first.

    Messages carry no embeddings here, so `hybrid` (the default) ranks by full text alone and `vector` is refused.
    """

    def post(self, request):
        data = full_text_search(
            validated(MessageSearchSerializer, request.data),
            "Vector search over messages is not available on this server: messages are not "
            "embedded. Use search_mode 'fts' or 'hybrid' (full-text ranking).",
        )
        messages = Message.objects.for_organization(organization_of(request))
        if data.get("agent_id"):
            messages = messages.filter(agent=get_agent(request, data["agent_id"]))
        if data.get("conversation_id"):
            messages = messages.none()
        try:
            hits = recall.matching_messages(
                messages,
                data["query"],
                limit=data["limit"],
                start_date=data.get("start_date"),
                end_date=data.get("end_date"),
            )
        except ToolInputError as exc:
            raise serializers.ValidationError({"date": str(exc)}) from exc
        return Response([_search_result(message) for message, _ in hits])


class MessageSearchResultSerializer(s.ResponseSerializer):
    message_type = serializers.SerializerMethodField()
    message_id = serializers.CharField(source="id")
    agent_id = serializers.CharField()
    conversation_id = s.Always(None, s.nullable(serializers.CharField))
    created_at = serializers.DateTimeField()
    content = s.nullable(serializers.CharField, source="text")

    def get_message_type(self, message: Message) -> str:
        return _RESULT_TYPES[message.role]


_SEARCH_RESULT = MessageSearchResultSerializer()


def _search_result(message: Message) -> dict:
    return _SEARCH_RESULT.to_representation(message)
