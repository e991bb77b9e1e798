"""fetch_webpage and web_search as the model calls them: against a local site and fake search providers started
here, which speak the real wire formats (a web server; Exa's POST /search; SearXNG's GET /search?format=json)."""

import http.server
import json
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tools.context import ToolContext
from tools.executor import execute_outside

pytestmark = pytest.mark.asyncio

ARTICLE = b"""<!doctype html><html><head><title>Otters</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About us</a> | <a href="/shop">Shop</a></nav>
<article><h1>Sea otters hold hands</h1>
<p>Sea otters hold hands while they sleep so that they do not drift apart, a habit called rafting that keeps
a group together on the open water through the night.</p>
<p>They also keep a favourite <a href="/rocks">rock</a> in a pouch of skin under the forearm for opening shells.</p>
</article><script>window.tracker = "should not appear";</script>
<footer>Copyright Example Ltd, all rights reserved</footer></body></html>"""


def serve(routes: dict):
    """Start a threaded HTTP server on 127.0.0.1 answering `routes`: path -> (status, headers, body) or a callable
    (handler) -> that triple. Returns (base_url, requests seen, stop)."""
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
            route = routes.get(urlsplit(self.path).path)
            status, headers, payload = route(self) if callable(route) else route or (404, {}, b"no such page")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", seen, server.shutdown


@pytest.fixture(scope="module")
def site():
    html = {"Content-Type": "text/html; charset=utf-8"}
    routes = {
        "/article": (200, html, ARTICLE),
        "/short": (200, html, b"<html><body><p>Just one line.</p></body></html>"),
        "/latin": (
            200,
            {"Content-Type": "text/html"},
            '<html><head><meta charset="iso-8859-1"></head><body><p>Crème brûlée.</p></body></html>'.encode("latin-1"),
        ),
        "/plain": (200, {"Content-Type": "text/plain"}, b"line one\nline two\n"),
        "/data": (200, {"Content-Type": "application/json"}, b'{"temperature": 21.5, "unit": "C"}'),
        "/big": (200, {"Content-Type": "text/plain"}, b"abcdefghij" * 1000),
        "/photo": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        "/secret-404": (404, {"Content-Type": "text/html"}, b"<p>internal stack trace: db password hunter2</p>"),
        "/slow": lambda handler: time.sleep(2) or (200, {"Content-Type": "text/plain"}, b"late"),
        "/hop": (302, {"Location": "/article"}, b""),
        "/to-private": (302, {"Location": "http://10.20.30.40/admin"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    }
    base, seen, stop = serve(routes)
    yield base, seen
    stop()


@pytest.fixture
def allow_local(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]


def ctx(name: str) -> ToolContext:
    return ToolContext(organization_id="org-test", agent_id="agent-test", tool_name=name)


async def fetch(url: str, limit: int = 50_000):
    return await execute_outside("fetch_webpage", {"url": url}, ctx("fetch_webpage"), return_char_limit=limit)


# ------------------------------------------------------------------------------------------ fetch_webpage


async def test_html_comes_back_as_readable_markdown_without_navigation_or_scripts(site, allow_local):
    base, _ = site
    result = await fetch(f"{base}/article")
    assert result.ok, result.func_return
    assert "# Sea otters hold hands" in result.func_return
    assert "rafting" in result.func_return and f"[rock]({base}/rocks)" in result.func_return
    assert "tracker" not in result.func_return and "About us" not in result.func_return


async def test_a_page_with_little_content_still_gives_its_text(site, allow_local):
    result = await fetch(f"{site[0]}/short")
    assert result.ok and "Just one line." in result.func_return


async def test_the_pages_own_charset_is_honoured(site, allow_local):
    result = await fetch(f"{site[0]}/latin")
    assert result.func_return == "Crème brûlée."


async def test_plain_text_and_json_come_back_as_they_are(site, allow_local):
    base, _ = site
    assert (await fetch(f"{base}/plain")).func_return == "line one\nline two\n"
    assert json.loads((await fetch(f"{base}/data")).func_return) == {"temperature": 21.5, "unit": "C"}


async def test_a_redirect_within_the_allowed_site_is_followed(site, allow_local):
    result = await fetch(f"{site[0]}/hop")
    assert result.ok and "Sea otters hold hands" in result.func_return


async def test_the_body_is_read_up_to_the_cap_and_the_model_is_told(site, allow_local, settings):
    settings.FETCH_WEBPAGE_MAX_BYTES = 2048
    result = await fetch(f"{site[0]}/big")
    assert result.ok
    text, note = result.func_return.split("\n\n[NOTE:")
    assert len(text) == 2048 and "larger than 2048 bytes" in note


async def test_an_http_error_names_the_status_and_host_but_not_the_upstream_body(site, allow_local):
    result = await fetch(f"{site[0]}/secret-404")
    assert result.status == "error"
    assert result.func_return == "Error: HTTP 404 from 127.0.0.1."
    assert "hunter2" not in json.dumps(result.stderr)


async def test_a_binary_type_gets_a_clear_message(site, allow_local):
    result = await fetch(f"{site[0]}/photo")
    assert result.status == "error"
    assert "image/png" in result.func_return and "cannot read" in result.func_return


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
async def test_a_redirect_to_a_private_address_is_refused_when_only_the_site_is_allowed(site, allow_local, path):
    result = await fetch(f"{site[0]}{path}")
    assert result.status == "error"
    assert "not allowed" in result.func_return and "LETTA_OUTBOUND_ALLOW" in result.func_return


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:{port}/article", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/"]
)
async def test_loopback_metadata_and_private_addresses_are_refused_by_default(site, settings, url):
    settings.OUTBOUND_ALLOW = []
    base, seen = site
    before = len(seen)
    result = await fetch(url.format(port=urlsplit(base).port))
    assert result.status == "error"
    assert "not allowed" in result.func_return and "LETTA_OUTBOUND_ALLOW" in result.func_return
    assert len(seen) == before  # refused before any request left


async def test_a_closed_port_says_it_could_not_connect(allow_local):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await fetch(f"http://127.0.0.1:{port}/")
    assert result.func_return == "Error: Could not connect to 127.0.0.1."


async def test_a_page_that_does_not_answer_in_time_is_given_up(site, allow_local, settings):
    settings.FETCH_WEBPAGE_TIMEOUT_SECONDS = 0.3
    result = await fetch(f"{site[0]}/slow")
    assert result.func_return == "Error: The request to 127.0.0.1 timed out."


async def test_other_schemes_are_refused(allow_local):
    result = await fetch("file:///etc/passwd")
    assert result.status == "error" and "Only http and https" in result.func_return
    assert "root:" not in result.func_return


async def test_a_missing_url_is_a_clear_error():
    result = await execute_outside("fetch_webpage", {}, ctx("fetch_webpage"), return_char_limit=1000)
    assert result.status == "error" and "url" in result.func_return


# ------------------------------------------------------------------------------------------ web_search

EXA_ANSWER = {
    "requestId": "req_1",
    "resolvedSearchType": "neural",
    "results": [
        {
            "id": "https://example.org/otters",
            "title": "Why otters hold hands",
            "url": "https://example.org/otters",
            "publishedDate": "2024-05-01T00:00:00.000Z",
            "author": "A. Naturalist",
            "text": "Full text of the article.",
            "highlights": ["Sea otters hold hands while sleeping."],
            "highlightScores": [0.9],
            "summary": "Otters raft together.",
        }
    ],
    "costDollars": {"total": 0.005},
}


@pytest.fixture
def exa(settings):
    base, seen, stop = serve({"/search": (200, {"Content-Type": "application/json"}, json.dumps(EXA_ANSWER).encode())})
    settings.WEB_SEARCH_PROVIDER, settings.EXA_API_KEY, settings.EXA_BASE_URL = "auto", "exa-test-key", base
    settings.SEARXNG_URL = None
    settings.OUTBOUND_ALLOW = []  # the operator's provider is trusted, though it is on loopback here
    yield seen
    stop()


async def search(limit: int = 50_000, **args):
    return await execute_outside("web_search", args, ctx("web_search"), return_char_limit=limit)


async def test_web_search_asks_exa_with_letta_parameters_and_returns_letta_result_shape(exa):
    result = await search(
        query="otters",
        num_results=3,
        category="news",
        include_domains=["example.org"],
        start_published_date="2024-01-01",
    )
    assert result.ok, result.func_return
    sent = exa[-1]
    assert sent["method"] == "POST" and sent["headers"]["x-api-key"] == "exa-test-key"
    body = json.loads(sent["body"])
    assert body["query"] == "otters" and body["numResults"] == 3 and body["category"] == "news"
    assert body["includeDomains"] == ["example.org"] and body["startPublishedDate"] == "2024-01-01"
    assert body["contents"]["text"] is False and "highlights" in body["contents"]
    answer = json.loads(result.func_return)
    assert answer == {
        "query": "otters",
        "results": [
            {
                "title": "Why otters hold hands",
                "url": "https://example.org/otters",
                "published_date": "2024-05-01T00:00:00.000Z",
                "author": "A. Naturalist",
                "highlights": ["Sea otters hold hands while sleeping."],
                "summary": "Otters raft together.",
            }
        ],
    }


async def test_full_text_only_when_asked_and_num_results_clamped(exa):
    result = await search(query="otters", include_text=True, num_results=500)
    assert json.loads(result.func_return)["results"][0]["text"] == "Full text of the article."
    assert json.loads(exa[-1]["body"])["numResults"] == 100


async def test_an_agents_own_exa_key_is_used_as_in_letta(exa, settings):
    settings.EXA_API_KEY = None
    context = ToolContext(organization_id="o", agent_id="a", secrets={"EXA_API_KEY": "agents-own-key"})
    result = await execute_outside("web_search", {"query": "otters"}, context, return_char_limit=50_000)
    assert result.ok and exa[-1]["headers"]["x-api-key"] == "agents-own-key"


async def test_a_provider_error_is_named_without_its_body(settings):
    base, _, stop = serve({"/search": (401, {"Content-Type": "application/json"}, b'{"error": "key sk-live-123"}')})
    settings.WEB_SEARCH_PROVIDER, settings.EXA_API_KEY, settings.EXA_BASE_URL = "exa", "wrong", base
    try:
        result = await search(query="otters")
    finally:
        stop()
    assert result.status == "error" and "refused this server's credentials (HTTP 401)" in result.func_return
    assert "sk-live-123" not in result.func_return


async def test_searxng_results_are_filtered_by_domain_and_counted(settings):
    def answer(handler):
        params = parse_qs(urlsplit(handler.path).query)
        assert params["format"] == ["json"]
        results = [
            {"url": f"https://{host}/{i}", "title": f"{params['q'][0]} {i}", "content": f"snippet {i}", "engine": "x"}
            for i, host in enumerate(["a.example", "docs.b.example", "c.example", "a.example"])
        ]
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"query": params["q"][0], "results": results}).encode(),
        )

    base, seen, stop = serve({"/search": answer})
    settings.WEB_SEARCH_PROVIDER, settings.EXA_API_KEY, settings.SEARXNG_URL = "auto", None, base
    try:
        result = await search(query="otters", num_results=2, exclude_domains=["b.example"])
    finally:
        stop()
    assert result.ok, result.func_return
    answer_ = json.loads(result.func_return)
    assert [r["url"] for r in answer_["results"]] == ["https://a.example/0", "https://c.example/2"]
    assert answer_["results"][0]["highlights"] == ["snippet 0"]
    assert seen[-1]["method"] == "GET"


async def test_a_search_provider_that_does_not_answer_in_time_is_given_up(settings):
    base, _, stop = serve({"/search": lambda handler: time.sleep(2) or (200, {}, b"{}")})
    settings.WEB_SEARCH_PROVIDER, settings.EXA_API_KEY, settings.EXA_BASE_URL = "exa", "k", base
    settings.WEB_SEARCH_TIMEOUT_SECONDS = 0.3
    try:
        result = await search(query="otters")
    finally:
        stop()
    assert result.status == "error" and "did not answer in time" in result.func_return


async def test_unconfigured_search_tells_the_model_what_the_operator_sets(settings):
    settings.WEB_SEARCH_PROVIDER, settings.EXA_API_KEY, settings.SEARXNG_URL = "auto", None, None
    result = await search(query="otters")
    assert result.status == "error"
    assert "web search is not configured on this server" in result.func_return
    assert "EXA_API_KEY" in result.func_return and "LETTA_SEARXNG_URL" in result.func_return


async def test_an_empty_query_or_a_bad_date_is_a_clear_error(settings):
    settings.EXA_API_KEY = "k"
    assert "needs a query" in (await search(query="  ")).func_return
    assert "ISO date" in (await search(query="x", end_published_date="last week")).func_return
