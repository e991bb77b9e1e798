"""The request and response bodies of `/v1/conversations` (letta-client 1.12's `conversations` family)."""

from rest_framework import serializers

from agents.api.run_serializers import RunStreamSerializer
from agents.api.serializers import (
    IsoDateTimeField,
    ListQuerySerializer,
    ModelSettingsInput,
    ResponseSerializer,
    nullable,
    stored_positive_int,
)
from agents.models import Conversation


class ConversationSerializer(ResponseSerializer):
    id = serializers.CharField()
    agent_id = serializers.CharField()
    summary = nullable(serializers.CharField)
    description = nullable(serializers.CharField)
    model = nullable(serializers.CharField)
    model_settings = nullable(serializers.DictField)
    context_window_limit = nullable(serializers.IntegerField)
    archived = serializers.BooleanField()
    archived_at = nullable(IsoDateTimeField)
    in_context_message_ids = serializers.ListField(child=serializers.CharField(), source="message_ids")
    last_message_at = nullable(IsoDateTimeField)
    created_at = nullable(IsoDateTimeField)
    updated_at = nullable(IsoDateTimeField)
    created_by_id = nullable(serializers.CharField)
    last_updated_by_id = nullable(serializers.CharField)


_CONVERSATION = ConversationSerializer()


def conversation_data(conversation: Conversation) -> dict:
    return _CONVERSATION.to_representation(conversation)


class _Settings(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    model = serializers.CharField(required=False, allow_null=True)
    model_settings = ModelSettingsInput(required=False, allow_null=True)
    context_window_limit = stored_positive_int()


class ConversationCreateSerializer(_Settings):
    hidden = serializers.BooleanField(required=False, default=False)


class ConversationUpdateSerializer(_Settings):
    archived = serializers.BooleanField(required=False, allow_null=True)
    last_message_at = serializers.DateTimeField(required=False, allow_null=True)


class ConversationListQuerySerializer(ListQuerySerializer):
    agent_id = serializers.CharField(required=False, allow_blank=True)
    archive_status = serializers.ChoiceField(
        choices=["unarchived", "archived", "all"], required=False, default="unarchived"
    )
    order_by = serializers.ChoiceField(
        choices=["created_at", "last_run_completion", "last_message_at"], required=False, default="created_at"
    )
    summary_search = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)


class AgentDirectQuerySerializer(serializers.Serializer):
    agent_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class ForkQuerySerializer(AgentDirectQuerySerializer):
    hidden = serializers.BooleanField(required=False, default=False)
    message_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class RecompileQuerySerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(required=False, default=False)


class ConversationStreamSerializer(RunStreamSerializer):
    """`POST /v1/conversations/{id}/stream`: which run to follow (its id, the otid of a message it stored, else the
    thread's active run) and how, as for `/v1/runs/{id}/stream`."""

    agent_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    run_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    otid = serializers.CharField(required=False, allow_blank=True, allow_null=True)
