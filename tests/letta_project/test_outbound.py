"""The outbound-request policy: what a URL a user supplies may reach, and what the caller is told."""

import http.server
import threading

import pytest

from letta_project import outbound


@pytest.fixture(scope="module")
def local_site():
    """A plain HTTP server on 127.0.0.1: /page answers, /hop redirects to /page, /loop redirects to itself."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/hop":
                self.send_response(302)
                self.send_header("Location", "/page")
                self.end_headers()
            elif self.path == "/loop":
                self.send_response(302)
                self.send_header("Location", "/loop")
                self.end_headers()
            elif self.path == "/to-metadata":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
            else:
                body = b"x" * 5000 if self.path == "/big" else b"hello from the page"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1/health/",
        "http://localhost/",
        "http://example.com@127.0.0.1:9/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_private_and_loopback_addresses_are_refused_by_default(url, settings):
    settings.OUTBOUND_ALLOW = []
    with pytest.raises(outbound.OutboundRefused, match="not allowed"):
        outbound.check_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "ftp://example.com/", "not a url"])
def test_only_http_urls_can_be_requested(url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url(url)


def test_an_unresolvable_host_is_refused_with_its_name():
    with pytest.raises(outbound.OutboundRefused, match="could not be resolved"):
        outbound.check_url("http://no-such-host.invalid/")


def test_the_operator_can_allow_a_host_or_a_network(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    assert outbound.check_url("http://127.0.0.1:5/").addresses == ["127.0.0.1"]
    settings.OUTBOUND_ALLOW = ["localhost"]
    assert outbound.check_url("http://localhost:5/").host == "localhost"


def test_fetch_refuses_a_local_site_by_default(local_site, settings):
    settings.OUTBOUND_ALLOW = []
    with pytest.raises(outbound.OutboundRefused):
        outbound.fetch_sync(local_site + "/page")


def test_fetch_follows_redirects_and_caps_the_body(local_site, settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    got = outbound.fetch_sync(local_site + "/hop")
    assert (got.status, got.body, got.url) == (200, b"hello from the page", local_site + "/page")
    big = outbound.fetch_sync(local_site + "/big", max_bytes=100)
    assert (len(big.body), big.truncated) == (100, True)


def test_every_redirect_hop_is_checked(local_site, settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    with pytest.raises(outbound.OutboundRefused, match="169.254.169.254"):
        outbound.fetch_sync(local_site + "/to-metadata")


def test_a_redirect_loop_ends_with_a_clear_error(local_site, settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    with pytest.raises(outbound.OutboundError, match="Too many redirects"):
        outbound.fetch_sync(local_site + "/loop", max_redirects=3)


def test_a_failed_connection_says_so_without_the_socket_error(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    with pytest.raises(outbound.OutboundError) as caught:
        outbound.fetch_sync("http://127.0.0.1:9/")
    assert str(caught.value) == "Could not connect to 127.0.0.1."


def test_a_redirect_can_be_answered_instead_of_followed(local_site, settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    got = outbound.fetch_sync(local_site + "/to-metadata", follow_redirects=False)
    assert got.status == 302 and got.url == local_site + "/to-metadata" and got.redirects == []
