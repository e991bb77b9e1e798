"""The search backend behind the built-in `web_search` tool: Exa (the provider Letta's own web_search uses) or a
self-hosted SearXNG instance, whichever the operator configured (settings "Built-in web tools").

The provider's URL comes from the operator, not from a user or a model, so it is trusted: it is called directly,
not through the outbound policy that refuses private addresses (a SearXNG on the same host is the usual set-up).
What the model gets back is Letta's result shape: {"query", "results": [{"title", "url", "published_date",
"author", "highlights", "summary", "text"}]}, with the keys a provider has no value for left out.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from django.conf import settings

# A search answer is a page of snippets; anything much larger is a misbehaving server.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024


class SearchUnavailable(Exception):
    """The search could not be made or answered; `str()` is safe to show the model (no upstream body)."""


@dataclass(slots=True)
class SearchRequest:
    query: str
    num_results: int = 10
    category: str | None = None
    include_text: bool = False
    include_domains: list[str] = field(default_factory=list)
    exclude_domains: list[str] = field(default_factory=list)
    start_published_date: str | None = None
    end_published_date: str | None = None
    user_location: str | None = None


def configured_provider(exa_api_key: str | None = None) -> str | None:
    """The backend to ask: "exa", "searxng", or None when none is configured. An agent's own EXA_API_KEY secret
    counts, as in Letta."""
    choice = settings.WEB_SEARCH_PROVIDER
    if choice != "auto":
        return choice
    if exa_api_key or settings.EXA_API_KEY:
        return "exa"
    if settings.SEARXNG_URL:
        return "searxng"
    return None


NOT_CONFIGURED = (
    "web search is not configured on this server; the operator sets EXA_API_KEY (Exa) or LETTA_SEARXNG_URL "
    "(a SearXNG instance) to enable it, or the agent's owner adds an EXA_API_KEY secret to the agent."
)


async def search(request: SearchRequest, *, exa_api_key: str | None = None) -> list[dict]:
    """Results from the configured backend; `exa_api_key` (the agent's own secret) takes the place of the
    server's."""
    exa_api_key = exa_api_key or settings.EXA_API_KEY
    provider = configured_provider(exa_api_key)
    if provider == "exa" and exa_api_key:
        return await _exa(request, exa_api_key)
    if provider == "searxng" and settings.SEARXNG_URL:
        return await _searxng(request)
    raise SearchUnavailable(NOT_CONFIGURED)


async def _exa(request: SearchRequest, api_key: str) -> list[dict]:
    body = {
        "query": request.query,
        "numResults": request.num_results,
        "type": "auto",
        # As Letta asks: highlights and a summary per result, the full text only on request (it overflows context).
        "contents": {
            "text": request.include_text,
            "highlights": {"numSentences": 2, "highlightsPerUrl": 3, "query": request.query},
            "summary": {"query": f"Summarize the key information from this content related to: {request.query}"},
        },
    }
    optional = {
        "category": request.category,
        "includeDomains": request.include_domains,
        "excludeDomains": request.exclude_domains,
        "startPublishedDate": request.start_published_date,
        "endPublishedDate": request.end_published_date,
        "userLocation": request.user_location,
    }
    body.update({key: value for key, value in optional.items() if value})
    url = settings.EXA_BASE_URL.rstrip("/") + "/search"
    answer = await _call("POST", url, json=body, headers={"x-api-key": api_key})
    results = []
    for item in answer.get("results") or []:
        if not isinstance(item, dict):
            continue
        result = {
            "title": item.get("title"),
            "url": item.get("url"),
            "published_date": item.get("publishedDate"),
            "author": item.get("author"),
        }
        if request.include_text and item.get("text"):
            result["text"] = item["text"]
        for key in ("highlights", "summary"):
            if item.get(key):
                result[key] = item[key]
        results.append(result)
    return results


async def _searxng(request: SearchRequest) -> list[dict]:
    """SearXNG's JSON API (its `json` format must be enabled in the instance's settings.yml). It has no categories,
    publication dates or full text in Exa's sense: domains are filtered here, the other options are not used."""
    params = {"q": request.query, "format": "json"}
    if request.user_location:
        params["language"] = f"all-{request.user_location.upper()}"
    url = settings.SEARXNG_URL.rstrip("/") + "/search"
    answer = await _call("GET", url, params=params)
    results = []
    for item in answer.get("results") or []:
        if not isinstance(item, dict) or not _domain_wanted(item.get("url") or "", request):
            continue
        result = {"title": item.get("title"), "url": item.get("url"), "published_date": item.get("publishedDate")}
        if item.get("content"):
            result["highlights"] = [item["content"]]
        results.append(result)
        if len(results) >= request.num_results:
            break
    return results


def _domain_wanted(url: str, request: SearchRequest) -> bool:
    host = (urlsplit(url).hostname or "").lower()

    def under(domains: list[str]) -> bool:
        return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)

    if request.include_domains and not under(request.include_domains):
        return False
    return not under(request.exclude_domains)


async def _call(method: str, url: str, **kwargs) -> dict:
    host = urlsplit(url).hostname or url
    try:
        async with httpx.AsyncClient(timeout=settings.WEB_SEARCH_TIMEOUT_SECONDS) as client:
            async with client.stream(method, url, **kwargs) as response:
                if response.status_code >= 400:
                    raise SearchUnavailable(_status_message(response.status_code, host))
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise SearchUnavailable(f"the search provider at {host} sent an oversized answer.")
    except httpx.TimeoutException:
        raise SearchUnavailable(f"the search provider at {host} did not answer in time; try again later.") from None
    except httpx.HTTPError:
        raise SearchUnavailable(f"could not reach the search provider at {host}; try again later.") from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise SearchUnavailable(f"the search provider at {host} sent an answer that is not JSON.") from None
    if not isinstance(answer, dict):
        raise SearchUnavailable(f"the search provider at {host} sent an unexpected answer.")
    return answer


def _status_message(status: int, host: str) -> str:
    if status in (401, 403):
        return f"the search provider at {host} refused this server's credentials (HTTP {status}); tell the operator."
    if status == 429:
        return f"the search provider at {host} is rate-limiting this server (HTTP 429); try again later."
    return f"the search provider at {host} answered HTTP {status}."
