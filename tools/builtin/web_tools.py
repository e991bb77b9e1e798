"""The web tools Letta agents ask for (Letta Code's default agent attaches both): `fetch_webpage` reads a page a
model names, under the server's outbound policy, and `web_search` asks the search provider the operator
configured. Both are async and run outside the step's database transaction (see OUTSIDE_TOOLS).

Pages become text with trafilatura (Apache-2.0, the extractor Letta's own fetch_webpage uses first): it keeps a
page's main content as markdown and drops navigation, footers and scripts, which html-to-markdown converters keep.
"""

import asyncio
import functools
import json
import re
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings

from letta_project.outbound import OutboundError, OutboundRefused, fetch
from tools import search_providers
from tools.builtin.core_tools import ToolInputError
from tools.context import ToolContext

HTML_TYPES = {"text/html", "application/xhtml+xml"}
JSON_TYPES = {"application/json", "application/ld+json"}
USER_AGENT = "Mozilla/5.0 (compatible; LettaDjango/1.0; +fetch_webpage)"


async def fetch_webpage(ctx: ToolContext, url: str) -> str:
    """Fetch a webpage and convert it to markdown/text format.

    Args:
        url: The URL of the webpage to fetch and convert
    """
    url = url.strip()
    if not url:
        raise ToolInputError("fetch_webpage needs a URL, e.g. https://example.com/page.")
    if "://" not in url:
        url = "https://" + url  # models often leave the scheme out
    host = urlsplit(url).hostname or url
    try:
        page = await fetch(
            url,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/plain, application/json;q=0.9, */*;q=0.5"},
            timeout=settings.FETCH_WEBPAGE_TIMEOUT_SECONDS,
            max_bytes=settings.FETCH_WEBPAGE_MAX_BYTES,
        )
    except (OutboundRefused, OutboundError) as exc:
        raise ToolInputError(str(exc)) from None  # the policy's own words, which name the host and never echo it
    final_host = urlsplit(str(page.url or url)).hostname or host  # after redirects
    if page.status >= 400:
        raise ToolInputError(f"HTTP {page.status} from {final_host}.")
    # Extraction is CPU work on up to the byte cap: off the event loop, which serves every other conversation.
    text = await asyncio.to_thread(
        page_text, page.body, _header(page.headers, "content-type"), page_url=str(page.url or url)
    )
    if page.truncated:
        text += (
            f"\n\n[NOTE: the page is larger than {settings.FETCH_WEBPAGE_MAX_BYTES} bytes; only its beginning was "
            "read.]"
        )
    return text


def page_text(body: bytes, content_type: str | None, *, page_url: str = "") -> str:
    """A response body as text for the model: HTML as readable markdown, plain text and JSON as they are."""
    mime, charset = _parse_content_type(content_type)
    if not mime:
        mime = _sniff(body)
    if mime in HTML_TYPES:
        # Without a charset in the header, the page's own <meta charset> decides: trafilatura reads it from bytes.
        return _html_to_text(_decode(body, charset) if charset else body, page_url)
    if mime.startswith("text/") or mime in JSON_TYPES or mime.endswith("+json"):
        text = _decode(body, charset)
        return text if text.strip() else "The page is empty."
    raise ToolInputError(
        f"the page is {mime} ({len(body)} bytes), which fetch_webpage cannot read; it reads HTML, plain text and JSON."
    )


def _html_to_text(html: str | bytes, page_url: str) -> str:
    import trafilatura  # imported on first use: it loads lxml and its models, which the server need not start with

    text = trafilatura.extract(
        html,
        url=page_url or None,
        output_format="markdown",
        include_links=True,
        include_tables=True,
        config=_extraction_config(),
    )
    if not text:
        # A page the extractor finds no main content in (a bare listing, a frame set): all of its visible text.
        text = trafilatura.html2txt(html)
    return (text or "").strip() or "The page has no readable text."


@functools.cache
def _extraction_config():
    from trafilatura.settings import use_config

    config = use_config()
    # Its defaults drop a page whose main content is under 250 characters and fall back to everything, navigation
    # included; a short page's main content is what the model wants. Its own timeout uses signals, which only the
    # main thread may set: the tool's overall limit applies instead.
    for key, value in (("MIN_EXTRACTED_SIZE", "1"), ("MIN_OUTPUT_SIZE", "1"), ("EXTRACTION_TIMEOUT", "0")):
        config.set("DEFAULT", key, value)
    return config


def _parse_content_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    mime, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip('"') or None
    return mime.strip().lower(), charset


def _sniff(body: bytes) -> str:
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "text/html"
    try:
        body[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _header(headers, name: str) -> str | None:
    if headers is None:
        return None
    if hasattr(headers, "get") and (value := headers.get(name)) is not None:
        return value
    items = headers.items() if hasattr(headers, "items") else headers
    return next((value for key, value in items if key.lower() == name), None)


Category = Literal[
    "company",
    "research paper",
    "news",
    "pdf",
    "github",
    "tweet",
    "personal site",
    "linkedin profile",
    "financial report",
]


async def web_search(
    ctx: ToolContext,
    query: str,
    num_results: int = 10,
    category: Category | None = None,
    include_text: bool = False,
    include_domains: list[str] | None = None,
    exclude_domains: list[str] | None = None,
    start_published_date: str | None = None,
    end_published_date: str | None = None,
    user_location: str | None = None,
) -> str:
    """Search the web using Exa's AI-powered search engine and retrieve relevant content.

    Examples:
    web_search("Tesla Q1 2025 earnings report", num_results=5, category="financial report")
    web_search("Latest research in large language models", category="research paper", include_domains=["arxiv.org", "paperswithcode.com"])
    web_search("Letta API documentation core_memory_append", num_results=3)

    Args:
        query: The search query to find relevant web content.
        num_results: Number of results to return (1-100). Defaults to 10.
        category: Focus search on specific content types. Defaults to None.
        include_text: Whether to retrieve full page content. Defaults to False (only returns summary and highlights, since the full text usually will overflow the context window).
        include_domains: List of domains to include in search results. Defaults to None.
        exclude_domains: List of domains to exclude from search results. Defaults to None.
        start_published_date: Only return content published after this date (ISO format). Defaults to None.
        end_published_date: Only return content published before this date (ISO format). Defaults to None.
        user_location: Two-letter country code for localized results (e.g., "US"). Defaults to None.
    """  # noqa: E501 - Letta's own description, kept word for word
    if not query.strip():
        raise ToolInputError("web_search needs a query: say what to look for.")
    for name, value in (("start_published_date", start_published_date), ("end_published_date", end_published_date)):
        if value and not re.match(r"^\d{4}-\d{2}-\d{2}", value):
            raise ToolInputError(f"{name} must be an ISO date such as 2025-01-31, not '{value}'.")
    request = search_providers.SearchRequest(
        query=query.strip(),
        num_results=min(max(num_results, 1), 100),
        category=category,
        include_text=include_text,
        include_domains=include_domains or [],
        exclude_domains=exclude_domains or [],
        start_published_date=start_published_date,
        end_published_date=end_published_date,
        user_location=user_location,
    )
    try:
        results = await search_providers.search(request, exa_api_key=ctx.secrets.get("EXA_API_KEY"))
    except search_providers.SearchUnavailable as exc:
        raise ToolInputError(str(exc)) from None
    return json.dumps({"query": request.query, "results": results}, indent=2, ensure_ascii=False)
