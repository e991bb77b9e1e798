"""Archives over HTTP (`/v1/archives`, their passages, attaching one to an agent) and the organization-wide
passage search (`POST /v1/passages/search`).

Passages are written and searched through `memory.archival`, exactly as the agent's archival tools do, so an
archive attached to several agents is one store they all read and write.
"""

from django.http import JsonResponse
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.selectors import get_owned
from agents import services
from agents.api import serializers as s
from agents.api.archival_views import passage_data
from agents.api.pagination import cursor_page
from agents.api.views import AgentAttachView, get_agent, validated
from agents.passages import agent_embedder, archive_embedder, insert_archive_passages
from memory import archival, archives
from memory.models import Archive, Passage
from memory.selectors import narrowed


class ArchiveCreateSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    # Accepted for compatibility; passages are embedded with the model of an agent the archive is attached to.
    embedding = serializers.CharField(required=False, allow_null=True)
    embedding_config = serializers.DictField(required=False, allow_null=True)


class ArchiveUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class ArchiveListQuerySerializer(serializers.Serializer):
    after = serializers.CharField(required=False)
    before = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)
    order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="desc")
    order_by = serializers.ChoiceField(choices=["created_at"], required=False, default="created_at")
    name = serializers.CharField(required=False)
    agent_id = serializers.CharField(required=False)


class ArchivePassageSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


class ArchivePassageBatchSerializer(serializers.Serializer):
    passages = ArchivePassageSerializer(many=True, allow_empty=False)


class OrganizationPassageSearchSerializer(serializers.Serializer):
    query = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    agent_id = serializers.CharField(required=False, allow_null=True)
    archive_id = serializers.CharField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    tag_match_mode = serializers.ChoiceField(choices=archival.TAG_MATCH_MODES, required=False, default="any")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=archival.MAX_TOP_K, default=50)
    start_date = serializers.DateTimeField(required=False, allow_null=True)
    end_date = serializers.DateTimeField(required=False, allow_null=True)


class ArchiveSerializer(s.ResponseSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = s.nullable(serializers.CharField)
    created_at = s.nullable(serializers.DateTimeField)
    updated_at = s.nullable(serializers.DateTimeField)
    created_by_id = s.nullable(serializers.CharField)
    last_updated_by_id = s.nullable(serializers.CharField)
    metadata = s.Always({}, s.nullable(serializers.DictField))
    embedding_config = s.Always(None, s.nullable(serializers.DictField))
    vector_db_provider = s.Always("native", serializers.CharField())


_ARCHIVE = ArchiveSerializer()


def archive_data(archive: Archive) -> dict:
    return _ARCHIVE.to_representation(archive)


def get_archive(request, archive_id: str) -> Archive:
    return get_owned(Archive, organization_of(request), archive_id, "Archive")


def _key_id(request):
    return getattr(request.user, "api_key_id", None)


class ArchiveListView(APIView):
    """`GET /v1/archives/` (name, agent_id, cursors) and `POST /v1/archives/`."""

    def get(self, request):
        query = validated(ArchiveListQuerySerializer, request.query_params)
        rows = narrowed(Archive.objects.for_organization(organization_of(request)), name=query.get("name"))
        if query.get("agent_id"):
            rows = rows.filter(agents=get_agent(request, query["agent_id"]))
        page = cursor_page(rows, query, what="Archive")
        return Response([archive_data(a) for a in page])

    def post(self, request):
        data = validated(ArchiveCreateSerializer, request.data)
        archive = archives.create_archive(
            organization_id=organization_of(request),
            name=data["name"],
            description=data.get("description"),
            created_by_id=_key_id(request),
        )
        return Response(archive_data(archive))


class ArchiveDetailView(APIView):
    def get(self, request, archive_id):
        return Response(archive_data(get_archive(request, archive_id)))

    def patch(self, request, archive_id):
        archive = get_archive(request, archive_id)
        data = validated(ArchiveUpdateSerializer, request.data)
        archive = archives.update_archive(archive, updated_by_id=_key_id(request), **data)
        return Response(archive_data(archive))

    def delete(self, request, archive_id):
        archives.delete_archive(get_archive(request, archive_id))
        return Response(None)


def _insert(archive: Archive, items: list[dict]) -> list[Passage]:
    return insert_archive_passages(archive, items)


class ArchivePassageListView(APIView):
    """`POST /v1/archives/{id}/passages` -> the new Passage."""

    def post(self, request, archive_id):
        archive = get_archive(request, archive_id)
        return Response(passage_data(_insert(archive, [validated(ArchivePassageSerializer, request.data)])[0]))


class ArchivePassageBatchView(APIView):
    """`POST /v1/archives/{id}/passages/batch` -> the new Passages; one invalid passage stores none."""

    def post(self, request, archive_id):
        archive = get_archive(request, archive_id)
        items = validated(ArchivePassageBatchSerializer, request.data)["passages"]
        return Response([passage_data(p) for p in _insert(archive, items)])


class ArchivePassageDetailView(APIView):
    def delete(self, request, archive_id, passage_id):
        archive = get_archive(request, archive_id)
        archival.delete_passage(passage_id, archive_id=archive.id)
        return Response(None)


class AgentArchiveAttachView(AgentAttachView):
    """`PATCH /v1/agents/{id}/archives/attach|detach/{archive_id}` -> null, as the reference answers SDK 1.x."""

    actions = {"attach": services.attach_archive, "detach": services.detach_archive}

    def item(self, request, archive_id):
        return get_archive(request, archive_id)

    def answer(self, request, agent_id):
        return JsonResponse(None, safe=False)  # a JSON `null` body, which the SDK reads as its `object`


class PassageSearchView(APIView):
    """`POST /v1/passages/search`: an agent's archive (agent_id wins), one archive, or all the organization's."""

    def post(self, request):
        data = validated(OrganizationPassageSearchSerializer, request.data)
        organization_id = organization_of(request)
        embed_fn = model = None
        if data.get("agent_id"):
            agent = get_agent(request, data["agent_id"])
            archive_ids = [agent.archive_id] if agent.archive_id else []
            if data.get("query"):
                embed_fn, model = agent_embedder(agent, data["query"])
        elif data.get("archive_id"):
            archive = get_archive(request, data["archive_id"])
            archive_ids = [archive.id]
            if data.get("query"):
                embed_fn, model = archive_embedder(archive, data["query"])
        else:
            archive_ids = Archive.objects.for_organization(organization_id).values("id")
        results = archival.search_passages(
            archive_ids=archive_ids,
            query=data.get("query") or "",
            tags=data.get("tags"),
            tag_match_mode=data["tag_match_mode"],
            top_k=data["limit"],
            start_datetime=data.get("start_date"),
            end_datetime=data.get("end_date"),
            embed_fn=embed_fn,
            embedding_model=model,
            newest_without_query=True,
        )
        passages = Passage.objects.in_bulk([r["id"] for r in results])
        return Response(
            [{"passage": passage_data(passages[r["id"]]), "score": r["relevance"], "metadata": {}} for r in results]
        )
