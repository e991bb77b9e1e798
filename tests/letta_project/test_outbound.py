"""The outbound-request policy: what a URL a user supplies may reach, and what the caller is told."""

import asyncio
import datetime
import http.server
import os
import ssl
import tempfile
import threading

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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
            elif self.path == "/host":
                body = self.headers["Host"].encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
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


def _resolving(monkeypatch, answers: dict[str, list[str]]) -> None:
    """The policy's own lookups answer `answers` (a name no real DNS knows), as a hostile DNS server could."""
    real = outbound._resolve
    monkeypatch.setattr(outbound, "_resolve", lambda host, port: answers.get(host) or real(host, port))


def test_the_request_goes_to_the_address_that_was_checked_not_to_a_new_lookup(local_site, settings, monkeypatch):
    # Only the check knows this name: were it looked up again to connect, the request could not be made at all.
    port = local_site.rsplit(":", 1)[1]
    _resolving(monkeypatch, {"checked.invalid": ["127.0.0.1"]})
    settings.OUTBOUND_ALLOW = ["checked.invalid"]

    page = outbound.fetch_sync(f"http://checked.invalid:{port}/host")

    assert page.status == 200 and page.body == f"checked.invalid:{port}".encode()  # the Host it was sent with


def test_each_checked_address_is_tried_in_turn(local_site, settings, monkeypatch):
    port = local_site.rsplit(":", 1)[1]
    _resolving(monkeypatch, {"two.invalid": ["127.0.0.2", "127.0.0.1"]})  # nothing listens on the first
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]

    assert outbound.fetch_sync(f"http://two.invalid:{port}/page").body == b"hello from the page"


def test_a_name_that_resolves_to_a_private_address_is_refused_before_anything_is_sent(monkeypatch, settings):
    settings.OUTBOUND_ALLOW = []
    _resolving(monkeypatch, {"rebound.invalid": ["10.0.0.7"]})

    with pytest.raises(outbound.OutboundRefused, match="rebound.invalid"):
        outbound.fetch_sync("http://rebound.invalid/")


def test_tls_is_verified_against_the_name_while_the_checked_address_is_dialled(tls_site, settings, monkeypatch):
    name, port, trust = tls_site
    _resolving(monkeypatch, {name: ["127.0.0.1"], "other.invalid": ["127.0.0.1"]})
    settings.OUTBOUND_ALLOW = [name, "other.invalid"]

    async def get(host: str) -> int:
        transport = outbound.CheckedTransport(verify=trust)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            return (await client.get(f"https://{host}:{port}/page")).status_code

    assert asyncio.run(get(name)) == 200
    with pytest.raises(httpx.ConnectError, match="certificate"):
        asyncio.run(get("other.invalid"))  # the certificate is not for that name


@pytest.fixture(scope="module")
def tls_site(local_site):
    """An HTTPS server on 127.0.0.1 whose certificate names `tls.invalid` only, and a context that trusts it."""
    name = "tls.invalid"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as folder:
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert_path, "wb") as out:
            out.write(certificate.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as out:
            out.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        serving.load_cert_chain(cert_path, key_path)
        trust = ssl.create_default_context(cafile=cert_path)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = serving.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield name, server.server_address[1], trust
    server.shutdown()
