"""The one policy for requests the server makes to a URL a user supplied (a tool's fetch, an MCP server over HTTP,
a tool's network grant, a run's callback, an API-created provider's base URL).

A user-supplied URL must not turn the server into a scanner of its own network: every address a host resolves to
is checked, on the first request and on every redirect, and loopback, private, link-local (cloud metadata lives
there), multicast, reserved and unspecified addresses are refused unless the operator allows that host, address or
network in `LETTA_OUTBOUND_ALLOW`. Errors say what was refused or what failed in words of our own: an upstream body
or a socket error's text never reaches the caller. Addresses the operator configured (a provider from the
environment, a search backend) are trusted by their callers and do not come through here.

Requests go through `CheckedTransport`, which checks each request's host as it is sent (the first one, every
redirect) and connects to the very address it checked, never to a second resolution of the name: a hostile DNS
server that answers a public address to the check and a private one to the connection (rebinding) gets nowhere.
TLS is still verified against the host's name. The sandbox's egress proxy does the same for tool code.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

from accounts.errors import DomainError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
# Cloud metadata endpoints that are not in a private or link-local range everywhere (AWS's IPv6 one is ULA, but
# name it anyway: it is what an attacker tries).
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class OutboundRefused(DomainError):
    """The URL may not be requested: a scheme other than http(s), a host that does not resolve, or an address the
    policy keeps private."""

    code = "outbound_refused"


class OutboundError(DomainError):
    """The request was allowed but failed (connection, timeout, too many redirects); the message is safe to show."""

    status_code = 502
    code = "outbound_failed"


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    addresses: list[str]


@dataclass(slots=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    truncated: bool = False
    redirects: list[str] = field(default_factory=list)


def _allowed_networks(allow) -> list:
    networks = []
    for entry in [*getattr(settings, "OUTBOUND_ALLOW", []), *allow]:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # a host name, matched by name below
    return networks


def _allowed_names(allow) -> set[str]:
    return {str(entry).strip().lower().rstrip(".") for entry in [*getattr(settings, "OUTBOUND_ALLOW", []), *allow]}


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and ip not in _METADATA


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"The host '{host}' could not be resolved.") from exc
    return sorted({info[4][0].split("%")[0] for info in infos})


def check_host(host: str, port: int, *, allow=()) -> list[str]:
    """The addresses `host` resolves to, if every one of them may be reached; otherwise OutboundRefused."""
    name = host.strip("[]").lower().rstrip(".")
    if not name:
        raise OutboundRefused("The URL has no host.")
    addresses = _resolve(name, port)
    if name in _allowed_names(allow):
        return addresses
    networks = _allowed_networks(allow)
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if is_public(address) or any(ip in net for net in networks if net.version == ip.version):
            continue
        raise OutboundRefused(
            f"Requests to '{host}' are not allowed: it resolves to a loopback, private, link-local or reserved "
            "address. The operator can allow it with LETTA_OUTBOUND_ALLOW."
        )
    return addresses


def check_url(url: str, *, allow=()) -> Target:
    target = _target_of(url)
    return Target(host=target.host, port=target.port, addresses=check_host(target.host, target.port, allow=allow))


def _target_of(url: str) -> Target:
    """The host and port `url` names (no addresses yet), or OutboundRefused for a URL that cannot be requested."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"'{url[:200]}' is not a valid URL.") from exc
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(f"Only http and https URLs can be requested, not '{parts.scheme or url[:50]}'.")
    return Target(host=parts.hostname or "", port=port or (443 if parts.scheme == "https" else 80), addresses=[])


class CheckedTransport:
    """An httpx transport (or, with `http=httpx2`, one of the httpx2 that the mcp, openai and anthropic SDKs use)
    that sends each request to an address the policy allowed for its host, trying them in turn, with the request's
    Host header and TLS name left as the URL's. A refused host raises OutboundRefused before anything is sent."""

    def __init__(self, *, allow=(), http=httpx, **options):
        self._allow = allow
        self._http = http
        self._inner = http.AsyncHTTPTransport(**options)

    async def handle_async_request(self, request):
        url = request.url
        if url.scheme not in ("http", "https"):
            raise OutboundRefused(f"Only http and https URLs can be requested, not '{url.scheme}'.")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await asyncio.to_thread(check_host, url.host, port, allow=self._allow)
        failure = OutboundRefused(f"The host '{url.host}' resolved to no address.")
        for address in addresses:
            pinned = self._http.Request(
                request.method,
                url.copy_with(host=address),
                headers=request.headers,  # its Host is the URL's name, set when the request was made
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": url.host},
            )
            try:
                return await self._inner.handle_async_request(pinned)
            except self._http.ConnectError as exc:  # nothing was sent: the next address may answer
                failure = exc
        raise failure

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()


def _describe(exc: Exception, host: str) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"The request to {host} timed out."
    if isinstance(exc, httpx.ConnectError):
        return f"Could not connect to {host}."
    return f"The request to {host} failed."


async def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict | None = None,
    body: bytes | None = None,
    timeout: float = 10,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = 5,
    follow_redirects: bool = True,
    allow=(),
) -> Fetched:
    """Request `url` under the policy, following redirects by hand so each hop is checked (or, with
    `follow_redirects=False`, answering the redirect itself); read at most `max_bytes` of the final body
    (`truncated` says whether there was more)."""
    redirects: list[str] = []
    transport = CheckedTransport(allow=allow)
    async with httpx.AsyncClient(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        for _ in range(max_redirects + 1):
            target = _target_of(url)
            try:
                async with client.stream(method, url, headers=headers, content=body) as response:
                    if follow_redirects and response.status_code in _REDIRECTS and "location" in response.headers:
                        redirects.append(url)
                        url = urljoin(url, response.headers["location"])
                        if response.status_code == 303:
                            method, body = "GET", None
                        continue
                    content, truncated = await _read_capped(response, max_bytes)
                    return Fetched(
                        status=response.status_code,
                        headers=dict(response.headers),
                        body=content,
                        url=url,
                        truncated=truncated,
                        redirects=redirects,
                    )
            except httpx.HTTPError as exc:
                raise OutboundError(_describe(exc, target.host)) from exc
    raise OutboundError(f"Too many redirects (more than {max_redirects}) starting from {redirects[0]}.")


async def _read_capped(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        room = max_bytes - size
        if len(chunk) > room:
            chunks.append(chunk[:room])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def fetch_sync(url: str, **kwargs) -> Fetched:
    """`fetch` for synchronous code (a thread without a running event loop)."""
    return asyncio.run(fetch(url, **kwargs))
