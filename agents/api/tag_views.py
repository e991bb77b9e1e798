"""`GET /v1/tags/`: the tags in use in the organization, as a bare list of names, paged by name."""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from agents.api.pagination import value_page
from agents.api.views import validated
from agents.selectors import organization_tags


class TagListQuerySerializer(serializers.Serializer):
    after = serializers.CharField(required=False)
    before = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)
    order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="asc")
    order_by = serializers.ChoiceField(choices=["name"], required=False, default="name")
    name = serializers.CharField(required=False)
    query_text = serializers.CharField(required=False)  # deprecated alias of `name`


class TagListView(APIView):
    def get(self, request):
        query = validated(TagListQuerySerializer, request.query_params)
        tags = organization_tags(organization_of(request), search=query.get("name") or query.get("query_text"))
        return Response(
            value_page(
                tags, after=query.get("after"), before=query.get("before"), order=query["order"], limit=query["limit"]
            )
        )
