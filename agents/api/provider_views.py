"""`/v1/providers`: LLM providers an organization adds through the API, beside those the environment configures.

The API key is stored but never returned: responses say only whether one is set (`has_api_key`), so a key that
can read providers cannot collect the credentials behind them.

Beyond Letta's shape, a provider carries `context_window` (the window of its models no better source describes)
and `model_settings` (`{"<served model id>": {"context_window": 8192, "alias": "gemma"}}`); letta-client's
ProviderCreate does not know them, so the SDK sends them with `extra_body`. The services check both.
"""

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.models import Provider
from accounts.selectors import get_owned
from agents.api import serializers as s
from agents.api.async_views import api_view
from agents.api.pagination import cursor_page
from agents.api.views import validated
from agents.provider_services import (
    check_provider,
    create_provider,
    delete_provider,
    new_provider_config,
    update_provider,
)
from agents.providers import from_record
from memory.selectors import narrowed


class ModelSettingsFields(serializers.Serializer):
    """The two fields beyond Letta's shape; their ranges and rules are the services' (one place)."""

    context_window = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Tokens, 1 to LETTA_DEFAULT_CONTEXT_WINDOW; null: none (the server tells).",
    )
    model_settings = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='{"<model id the server lists>": {"context_window": 8192, "alias": "gemma"}}; replaces all.',
    )


class ProviderCreateSerializer(ModelSettingsFields):
    name = serializers.CharField(max_length=200)
    provider_type = serializers.CharField(max_length=40)
    api_key = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    base_url = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=500)
    api_version = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=40)
    region = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=40)
    access_key = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class ProviderUpdateSerializer(ModelSettingsFields):
    api_key = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    base_url = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=500)
    api_version = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=40)
    region = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=40)
    access_key = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class ProviderCheckSerializer(ProviderUpdateSerializer):
    provider_type = serializers.CharField(max_length=40)


class ProviderListQuerySerializer(s.ListQuerySerializer):
    name = serializers.CharField(required=False)
    provider_type = serializers.CharField(required=False)


class ProviderSerializer(s.ResponseSerializer):
    """Letta's Provider, without the credential."""

    id = serializers.CharField()
    name = serializers.CharField()
    provider_type = serializers.CharField()
    provider_category = s.Always("byok", serializers.ChoiceField(choices=["base", "byok"]))
    api_key = s.Always(
        None, s.nullable(serializers.CharField, help_text="Always null: a stored key is never returned.")
    )
    has_api_key = serializers.SerializerMethodField()
    access_key = s.Always(None, s.nullable(serializers.CharField, help_text="Always null."))
    base_url = s.nullable(s.BlankAsNullCharField)
    api_version = s.nullable(s.BlankAsNullCharField)
    region = s.nullable(s.BlankAsNullCharField)
    organization_id = s.nullable(serializers.CharField)
    created_at = s.nullable(s.IsoDateTimeField)
    updated_at = s.nullable(s.IsoDateTimeField)
    last_synced = s.nullable(s.IsoDateTimeField)
    context_window = s.nullable(
        serializers.IntegerField, help_text="The window of its models no better source describes; null: none."
    )
    model_settings = serializers.DictField(
        child=serializers.DictField(),
        help_text='Per model id the server lists: {"context_window": int or null, "alias": str or null}.',
    )

    def get_has_api_key(self, provider: Provider) -> bool:
        return bool(provider.api_key)


_PROVIDER = ProviderSerializer()


def provider_data(provider: Provider) -> dict:
    return _PROVIDER.to_representation(provider)


def _provider(organization_id: str, provider_id: str) -> Provider:
    return get_owned(Provider, organization_id, provider_id, "Provider")


class ProviderListView(APIView):
    def get(self, request):
        query = validated(ProviderListQuerySerializer, request.query_params)
        providers = narrowed(
            Provider.objects.for_organization(organization_of(request)),
            name=query.get("name"),
            provider_type=query.get("provider_type"),
        )
        page = cursor_page(providers, query, what="Provider")
        return Response([provider_data(p) for p in page])

    def post(self, request):
        data = validated(ProviderCreateSerializer, request.data)
        provider = create_provider(
            organization_id=organization_of(request),
            name=data["name"],
            provider_type=data["provider_type"],
            api_key=data.get("api_key"),
            base_url=data.get("base_url"),
            api_version=data.get("api_version"),
            region=data.get("region"),
            context_window=data.get("context_window"),
            model_settings=data.get("model_settings"),
        )
        return Response(provider_data(provider))


class ProviderDetailView(APIView):
    def get(self, request, provider_id: str):
        return Response(provider_data(_provider(organization_of(request), provider_id)))

    def patch(self, request, provider_id: str):
        provider = _provider(organization_of(request), provider_id)
        changes = validated(ProviderUpdateSerializer, request.data)
        return Response(provider_data(update_provider(provider, changes)))

    def delete(self, request, provider_id: str):
        delete_provider(_provider(organization_of(request), provider_id))
        return Response({"message": f"Provider id={provider_id} successfully deleted"})


@api_view("POST", body=True)
async def check_new(request):
    """`POST /v1/providers/check`: test credentials before creating a provider with them."""
    data = validated(ProviderCheckSerializer, request.json)
    # On a thread of its own: it resolves the base URL's host (no database), which may take long.
    provider = await sync_to_async(new_provider_config, thread_sensitive=False)(
        data["provider_type"], api_key=data.get("api_key"), base_url=data.get("base_url")
    )
    return JsonResponse({"message": await check_provider(provider, data["provider_type"])})


@api_view("POST", body=True)
async def check_existing(request, provider_id: str):
    """`POST /v1/providers/{id}/check`: test a stored provider's credentials."""
    provider = await sync_to_async(_provider)(request.organization_id, provider_id)
    return JsonResponse({"message": await check_provider(from_record(provider), provider.provider_type)})
