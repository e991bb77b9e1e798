"""`GET /v1/models/` and `GET /v1/models/embedding`: the chat and embedding models of the providers the key's
organization can use, as handles agents can use.

Async: each waits on every provider's model list at once.
"""

from django.http import JsonResponse

from agents.api.async_views import api_view
from agents.providers import list_embedding_models, list_models


@api_view("GET")
async def models(request):
    return JsonResponse(await list_models(request.organization_id), safe=False)


@api_view("GET")
async def embedding_models(request):
    return JsonResponse(await list_embedding_models(request.organization_id), safe=False)
