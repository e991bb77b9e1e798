"""An agent's archival memory over HTTP: list, insert, search, delete (`/v1/agents/{id}/archival-memory`)."""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import passages
from agents.api import serializers as s
from agents.api.views import get_agent, validated
from memory import archival


class PassageCreateSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


class PassageListSerializer(serializers.Serializer):
    after = serializers.CharField(required=False)
    before = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)
    search = serializers.CharField(required=False)
    ascending = serializers.BooleanField(required=False, default=True)


class PassageSearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    tag_match_mode = serializers.ChoiceField(choices=["any", "all"], required=False, default="any")
    top_k = serializers.IntegerField(required=False, min_value=1, max_value=100)
    start_datetime = serializers.DateTimeField(required=False)
    end_datetime = serializers.DateTimeField(required=False)


class PassageSerializer(s.ResponseSerializer):
    id = serializers.CharField()
    text = serializers.CharField()
    tags = s.nullable(serializers.ListField, child=serializers.CharField())
    metadata = s.nullable(serializers.DictField)
    archive_id = s.nullable(serializers.CharField)
    created_at = s.nullable(serializers.DateTimeField)
    updated_at = s.nullable(serializers.DateTimeField)
    # Vectors stay on the server; a deleted passage is gone, never answered.
    embedding = s.Always(None, s.nullable(serializers.ListField, child=serializers.FloatField()))
    embedding_config = s.Always(None, s.nullable(serializers.DictField))
    is_deleted = s.Always(False, serializers.BooleanField())


_PASSAGE = PassageSerializer()


def passage_data(passage) -> dict:
    return _PASSAGE.to_representation(passage)


class ArchivalListView(APIView):
    def get(self, request, agent_id: str):
        agent = get_agent(request, agent_id)
        query = validated(PassageListSerializer, request.query_params)
        if agent.archive_id is None:
            return Response([])
        # An unknown cursor raises PassageNotFoundError: 404, as in every other list.
        rows = archival.list_passages(
            agent.archive_id,
            search=query.get("search"),
            ascending=query["ascending"],
            after=query.get("after"),
            before=query.get("before"),
            limit=query["limit"],
        )
        return Response([passage_data(p) for p in rows])

    def post(self, request, agent_id: str):
        agent = get_agent(request, agent_id)
        data = validated(PassageCreateSerializer, request.data)
        passage = passages.insert_passage(agent, text=data["text"], tags=data.get("tags"))
        return Response([passage_data(passage)])


class ArchivalSearchView(APIView):
    def get(self, request, agent_id: str):
        agent = get_agent(request, agent_id)
        raw = request.query_params.copy()
        query = validated(
            PassageSearchSerializer, {**raw.dict(), "tags": raw.getlist("tags")} if "tags" in raw else raw.dict()
        )
        results = passages.search_agent_passages(
            agent,
            query["query"],
            tags=query.get("tags"),
            tag_match_mode=query["tag_match_mode"],
            top_k=query.get("top_k"),
            start_datetime=query.get("start_datetime"),
            end_datetime=query.get("end_datetime"),
        )
        return Response({"results": results, "count": len(results)})


class ArchivalDetailView(APIView):
    def delete(self, request, agent_id: str, passage_id: str):
        agent = get_agent(request, agent_id)
        passages.delete_agent_passage(agent, passage_id)
        return Response(None)
