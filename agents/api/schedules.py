"""Scheduled messages over HTTP (`/v1/agents/{id}/schedule`), in the shapes of letta-client's `agents.schedule`.

Letta serves these only in its cloud; the rules (times, cron in UTC, the cap, delivery) are agents/schedules.py's.
"""

from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import schedules
from agents.api.views import edit_actor, get_agent, validated
from agents.models import ScheduledMessage


# The shapes below document the routes (agents/api/schema.py); agents/schedules.py checks the requests.
class ScheduleSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["one-time", "recurring"])
    scheduled_at = serializers.FloatField(
        required=False, help_text="One-time: a Unix time in seconds, or milliseconds when above 1e11."
    )
    cron_expression = serializers.CharField(
        required=False, help_text="Recurring: five cron fields (minute hour day month weekday), evaluated in UTC."
    )


class ScheduledRequestSerializer(serializers.Serializer):
    messages = serializers.ListField(child=serializers.DictField())
    callback_url = serializers.CharField(required=False, allow_null=True)
    include_return_message_types = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    max_steps = serializers.IntegerField(required=False, allow_null=True)


class ScheduleCreateSerializer(ScheduledRequestSerializer):
    schedule = ScheduleSerializer()


class ScheduleCreatedSerializer(serializers.Serializer):
    id = serializers.CharField()
    next_scheduled_at = serializers.CharField(allow_null=True)


class ScheduledMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    agent_id = serializers.CharField()
    message = ScheduledRequestSerializer()
    next_scheduled_time = serializers.CharField(allow_null=True, help_text="ISO 8601, UTC; null once delivered.")
    schedule = ScheduleSerializer()


class ScheduleListSerializer(serializers.Serializer):
    has_next_page = serializers.BooleanField()
    scheduled_messages = ScheduledMessageSerializer(many=True)


class ScheduleListQuerySerializer(serializers.Serializer):
    after = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)


def _time(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def schedule_data(schedule: ScheduledMessage) -> dict:
    request = schedule.request
    if schedule.kind == ScheduledMessage.Kind.RECURRING:
        when = {"type": "recurring", "cron_expression": schedule.cron_expression}
    else:
        when = {"type": "one-time", "scheduled_at": schedule.scheduled_at}
    return {
        "id": schedule.id,
        "agent_id": schedule.agent_id,
        "message": {
            "messages": request.get("messages", []),
            "callback_url": request.get("callback_url"),
            "include_return_message_types": request.get("include_return_message_types"),
            "max_steps": request.get("max_steps"),
        },
        "next_scheduled_time": _time(schedule.next_scheduled_at),
        "schedule": when,
    }


class ScheduleListView(APIView):
    """`GET` the agent's live schedules, oldest first, paged with `after` (a schedule id) and `limit`; `POST` one."""

    def get(self, request, agent_id):
        agent = get_agent(request, agent_id)
        query = validated(ScheduleListQuerySerializer, request.query_params)
        rows = schedules.live(agent).order_by("created_at", "id")
        if query.get("after"):
            cursor = rows.filter(pk=query["after"]).values_list("created_at", "id").first()
            if cursor is None:
                raise NotFound(f"Scheduled message {query['after']} not found (used as a pagination cursor).")
            rows = rows.filter(created_at__gt=cursor[0]) | rows.filter(created_at=cursor[0], id__gt=cursor[1])
        page = list(rows[: query["limit"] + 1])
        return Response(
            {
                "has_next_page": len(page) > query["limit"],
                "scheduled_messages": [schedule_data(s) for s in page[: query["limit"]]],
            }
        )

    def post(self, request, agent_id):
        agent = get_agent(request, agent_id)
        body = request.data if isinstance(request.data, dict) else {}
        schedule = schedules.create(agent, body, actor_id=edit_actor(request).person_id)
        return Response({"id": schedule.id, "next_scheduled_at": _time(schedule.next_scheduled_at)})


class ScheduleDetailView(APIView):
    def get(self, request, agent_id, scheduled_message_id):
        return Response(schedule_data(schedules.get(get_agent(request, agent_id), scheduled_message_id)))

    def delete(self, request, agent_id, scheduled_message_id):
        schedules.delete(get_agent(request, agent_id), scheduled_message_id)
        return Response({"success": True})
