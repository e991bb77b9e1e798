"""`GET /v1/models/embedding`: the embedding models of the providers the key's organization can use.

Async, like `GET /v1/models/` (run_views.models): it waits on every provider's model list at once.
"""

from agents.api.run_views import provider_listing
from agents.providers import list_embedding_models


async def embedding_models(request):
    return await provider_listing(request, list_embedding_models)
