"""`GET /v1/models/embedding`: the embedding models of the providers the key's organization can use.

Async, like `GET /v1/models/` (run_views.models): it waits on every provider's model list at once.
"""

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from rest_framework.exceptions import APIException

from agents.api.run_views import _api_error, _error, _organization
from agents.providers import list_embedding_models


async def embedding_models(request):
    if request.method != "GET":
        return _error(405, f'Method "{request.method}" not allowed.')
    try:
        organization_id = await sync_to_async(_organization)(request)
    except APIException as exc:
        return _api_error(exc)
    return JsonResponse(await list_embedding_models(organization_id), safe=False)
