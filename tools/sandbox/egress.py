"""Network for a sandboxed tool: none unless granted, then only to the granted hosts, through a proxy we run.

The sandbox has its own empty network namespace (not even the server's loopback). A run with a grant gets a unix
socket bound into it; the runner forwards 127.0.0.1 connections to it, and the proxy here (HTTP CONNECT and plain
HTTP) lets a request through only to a granted host, connecting itself to an address `letta_project.outbound`
checked (loopback, private, link-local and metadata addresses are refused unless the grant names that host or
address exactly, or the operator's LETTA_OUTBOUND_ALLOW lists it).

Grants come from the operator (LETTA_TOOL_NETWORK) and from the caller (`NetworkGrant`), merged. The operator's
format: `;`-separated `ORG/TOOL=HOSTS`, where ORG is an organization id or `*`, TOOL a tool name or `*`, and HOSTS
a `,`-separated list of `host`, `host:port`, `*.domain` (any subdomain) or `*` (any public address), e.g.
`*/get_weather=api.weather.gov:443;org-1a2b/*=*.github.com,api.openai.com`.
"""

import asyncio
import contextlib
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

HEAD_LIMIT = 64 * 1024
CONNECT_TIMEOUT = 10
_DROPPED_HEADERS = (b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive")


@dataclass(frozen=True, slots=True)
class NetworkGrant:
    hosts: list[str] = field(default_factory=list)


@functools.cache
def _parse(spec: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    grants = []
    for entry in filter(None, (part.strip() for part in spec.split(";"))):
        scope, _, hosts = entry.partition("=")
        organization, _, tool = scope.strip().partition("/")
        names = tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
        grants.append((organization.strip() or "*", tool.strip() or "*", names))
    return tuple(grants)


def granted_hosts(organization_id: str | None, tool_name: str, network: NetworkGrant | None) -> tuple[str, ...]:
    """Every host pattern this run may reach: the operator's grants for its organization and tool, and the
    caller's."""
    hosts = list(network.hosts if network else ())
    for organization, tool, names in _parse(settings.TOOL_NETWORK or ""):
        if organization in ("*", organization_id) and tool in ("*", tool_name):
            hosts += names
    return tuple(dict.fromkeys(h.lower() for h in hosts))


def _split(pattern: str) -> tuple[str, int | None]:
    host, sep, port = pattern.rpartition(":")
    if sep and port.isdigit() and not host.endswith(":"):
        return host.strip("[]"), int(port)
    return pattern.strip("[]"), None


def matches(hosts: tuple[str, ...], host: str, port: int) -> bool:
    host = host.lower().rstrip(".")
    for pattern in hosts:
        name, wanted_port = _split(pattern)
        if wanted_port is not None and wanted_port != port:
            continue
        if name == "*" or name == host or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


def named_exactly(hosts: tuple[str, ...]) -> tuple[str, ...]:
    """Hosts a grant names without a wildcard: the only ones that may resolve to a private address."""
    return tuple(name for name, _ in map(_split, hosts) if "*" not in name)


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


async def _check(hosts: tuple[str, ...], host: str, port: int) -> list[str]:
    from letta_project.outbound import OutboundRefused, check_host

    if not host or not matches(hosts, host, port):
        raise _Refused(403, f"{host}:{port} is not in this tool's network grant")
    try:
        return await asyncio.to_thread(check_host, host, port, allow=named_exactly(hosts))
    except OutboundRefused as exc:
        raise _Refused(403, str(exc)) from None


def _origin_request(method: str, target: str, version: str, headers: bytes) -> tuple[str, int, bytes]:
    url = urlsplit(target)
    if url.scheme != "http" or not url.hostname:
        raise _Refused(400, "the proxy takes CONNECT or an absolute http:// URL")
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    kept = [
        line
        for line in headers.split(b"\r\n")
        if line and line.split(b":", 1)[0].strip().lower() not in _DROPPED_HEADERS
    ]
    head = f"{method} {path} {version}\r\n".encode() + b"\r\n".join(kept + [b"Connection: close"]) + b"\r\n\r\n"
    return url.hostname, url.port or 80, head


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _handle(hosts: tuple[str, ...], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT)
        line, _, headers = head[:-4].partition(b"\r\n")
        method, target, version = line.decode("latin-1").split(" ", 2)
        if method.upper() == "CONNECT":
            host, port = _split(target)
            port = port or 443
            first = b""
        else:
            host, port, first = _origin_request(method, target, version, headers)
        addresses = await _check(hosts, host, port)
        up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(addresses[0], port), CONNECT_TIMEOUT)
    except _Refused as exc:
        return await _answer(writer, exc.status, f"Refused by the tool sandbox: {exc}")
    except (ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError):
        return await _answer(writer, 400, "Refused by the tool sandbox: not a proxy request it understands")
    except (OSError, TimeoutError):
        return await _answer(writer, 502, "The tool sandbox's proxy could not connect to the host")
    if first:
        up_writer.write(first)
    else:
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _answer(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    body = message.encode() + b"\n"
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(Exception):
        await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def proxy(hosts: tuple[str, ...]):
    """A proxy for one run, listening on a fresh unix socket (its path is yielded); closed with the run."""
    directory = tempfile.mkdtemp(prefix="tool-egress-")
    path = os.path.join(directory, "egress.sock")
    tasks: set[asyncio.Task] = set()

    async def accept(reader, writer):
        task = asyncio.current_task()
        tasks.add(task)
        try:
            await _handle(hosts, reader, writer)
        finally:
            tasks.discard(task)

    server = await asyncio.start_unix_server(accept, path=path, limit=HEAD_LIMIT)
    os.chmod(directory, 0o755)
    os.chmod(path, 0o777)  # the sandbox's user must be able to connect
    try:
        yield path
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        shutil.rmtree(directory, ignore_errors=True)
