"""Caps on what a request may bring in: its body's size, and how deeply its JSON nests.

A body over its cap is refused with a 413 naming the cap and its setting before Django reads it: `asgi_body_limit`
wraps the ASGI application and decides from Content-Length, or, for a body sent without one (chunked), by counting
the chunks and stopping at the cap; `BodyLimitMiddleware` answers the refusal (JSON under /v1/, a page or an htmx
fragment in the ADE) and also refuses from Content-Length under servers that do not go through the ASGI wrapper
(Django's test client, WSGI). Agent-file uploads have their own, larger cap, held per file by `UploadCapHandler`.

Request JSON is parsed in one place, `parse_json`, which the API's DRF parser and the plain async views both call:
JSON nested deeper than MAX_JSON_DEPTH is refused with a 400, so a value nested thousands deep neither overflows the
parser's stack (a 500) nor any later walk of it (storing, rendering, sending it to a provider).
"""

import asyncio
import functools
import json

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.html import format_html

from accounts.errors import DomainError

# Letta's own agent files nest about 10 deep, tool schemas a few more; 100 leaves room for any real document while
# staying far below Python's recursion limit (about 1,000), which every recursive walk of a value shares.
MAX_JSON_DEPTH = 100
# The routes that take an agent file as a multipart upload (the API and the ADE's import page).
UPLOAD_ROUTES = {"api-agent-import", "ade-agent-import"}
# Set on the ASGI scope when a body without Content-Length passed its cap: Django then answers the refusal.
OVER_LIMIT_KEY = "letta.body_over_limit"


class RequestTooLarge(DomainError):
    status_code = 413
    code = "request_too_large"


class JSONTooDeep(DomainError, ValueError):
    """JSON nested deeper than MAX_JSON_DEPTH: a 400, and a ValueError for code that words invalid JSON itself."""

    code = "json_too_deep"

    @classmethod
    def of(cls, subject: str) -> "JSONTooDeep":
        return cls(f"{subject} is nested too deeply: lists and objects may nest at most {MAX_JSON_DEPTH} levels.")


def size_text(size: int) -> str:
    """A byte count as people read it: 2,621,440 is "2.5 MB" (binary megabytes, as Django's defaults are)."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


# ------------------------------------------------------------------------------------------------ body size


def body_cap(path: str) -> tuple[int, str]:
    """The largest body `path` takes and the setting that says so."""
    if path.rstrip("/").endswith("/import") and _route_name(path) in UPLOAD_ROUTES:
        # The file, plus room for the form's other fields and the multipart framing.
        return settings.MAX_AGENT_FILE_BYTES + settings.MAX_REQUEST_BYTES, "LETTA_MAX_AGENT_FILE_BYTES"
    return settings.MAX_REQUEST_BYTES, "LETTA_MAX_REQUEST_BYTES"


def _route_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def too_large_message(path: str) -> str:
    cap, setting = body_cap(path)
    if setting == "LETTA_MAX_AGENT_FILE_BYTES":
        return upload_message()
    return f"The request body is larger than the {size_text(cap)} limit ({setting})."


def upload_message(size: int | None = None) -> str:
    """Why an agent file is refused for its size (`size` when it is known)."""
    cap = size_text(settings.MAX_AGENT_FILE_BYTES)
    what = f"is {size_text(size)}, over" if size is not None else "is larger than"
    return (
        f"The agent file {what} the {cap} limit (LETTA_MAX_AGENT_FILE_BYTES). Export it again with its messages "
        "stripped (scrub_messages=true) to make it smaller."
    )


def asgi_body_limit(app):
    """Wrap an ASGI application so that a body over its cap is never read: Django is handed an empty body and a
    flag on the scope, and `BodyLimitMiddleware` answers the 413."""

    async def limited(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        cap, _ = body_cap(scope["path"])
        length = _content_length(scope)
        if length is not None:
            if length > cap:
                return await app({**scope, OVER_LIMIT_KEY: True}, _empty_body(receive), send)
            return await app(scope, receive, send)
        # No Content-Length: a chunked body (or none). Read it up to the cap, then hand what was read on.
        read, size = [], 0
        while True:
            message = await receive()
            read.append(message)
            size += len(message.get("body", b""))
            if size > cap:
                return await app({**scope, OVER_LIMIT_KEY: True}, _empty_body(receive), send)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if size:
            # Now that its length is known, say it: DRF reads no body from a request without Content-Length.
            scope = {**scope, "headers": [*scope.get("headers", []), (b"content-length", str(size).encode())]}
        return await app(scope, _replay(read, receive), send)

    return limited


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _empty_body(receive):
    sent = False

    async def empty():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # Django then listens for a disconnect until its answer is sent; the real receive would hand it the rest of
        # the body, which is never to be read. The 413 is immediate, so that listener is simply left waiting (Django
        # cancels it once the answer is sent).
        await asyncio.Event().wait()

    return empty


def _replay(messages: list, receive):
    pending = list(messages)

    async def replayed():
        return pending.pop(0) if pending else await receive()

    return replayed


def cap_daphne_bodies() -> None:
    """Keep daphne (Twisted) from holding a body over its cap: daphne buffers a whole body and hands it to the
    application as queued chunks before the application runs, about twelve times the body's size in memory (a
    100 MB upload took 1.3 GB, whatever the application did). Its request now keeps nothing of a body whose
    Content-Length is over the path's cap, nor of a chunked one once it passes the cap, dropping the rest as it
    arrives; `asgi_body_limit` then answers the 413 from the Content-Length, as for any other server."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server
        return
    if getattr(WebRequest, "_letta_capped", False):
        return
    got_length = WebRequest.gotLength

    def capped_got_length(self, length):
        got_length(self, length)
        path = getattr(self.channel, "_path", b"/").split(b"?", 1)[0].decode("latin-1")
        cap, _ = body_cap(path)
        if length is not None and length > cap:
            self.content = _CappedContent(self.content, 0)
        elif length is None:
            # Chunked: once past the cap, what was kept is dropped and the request says it is over the cap, as a
            # Content-Length the application reads (the chunks were decoded, so the header changes nothing else).
            over = functools.partial(self.requestHeaders.setRawHeaders, b"content-length", [str(cap + 1).encode()])
            self.content = _CappedContent(self.content, cap, over)

    WebRequest.gotLength = capped_got_length
    WebRequest._letta_capped = True


class _CappedContent:
    """A request's body file that keeps nothing once more than `keep` bytes came (calling `over` then)."""

    def __init__(self, file, keep: int, over=None):
        self._file, self._room, self._over = file, keep, over

    def write(self, data: bytes) -> None:
        if self._room < 0:
            return
        self._room -= len(data)
        if self._room >= 0:
            self._file.write(data)
            return
        self._file.seek(0)
        self._file.truncate()
        if self._over:
            self._over()

    def __getattr__(self, name):
        return getattr(self._file, name)


class BodyLimitMiddleware:
    """Answer 413 to a body over its cap: flagged by `asgi_body_limit`, or announced by its Content-Length."""

    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return refusal(request) if over_cap(request) else self.get_response(request)

    async def _acall(self, request):
        if over_cap(request):
            # A page reads the signed-in user, a database query: not on the event loop.
            return await sync_to_async(refusal)(request)
        return await self.get_response(request)


def over_cap(request) -> bool:
    scope = getattr(request, "scope", None) or {}
    if scope.get(OVER_LIMIT_KEY):
        return True
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > body_cap(request.path)[0]


def refusal(request) -> HttpResponse:
    """The 413 for `request`: the API's JSON error; in the ADE, a message htmx shows at the top of the form (what
    was typed stays), or a page for a form sent without htmx."""
    message = too_large_message(request.path)
    if request.path.startswith("/v1/"):
        return JsonResponse({"detail": message}, status=413)
    message = message.replace("The request body is", "What this form sends is", 1)
    if request.headers.get("HX-Request"):
        fragment = format_html('<p class="field-error" role="alert">{}</p>', message)
        return HttpResponse(fragment, status=413, headers={"HX-Reswap": "afterbegin"})
    return HttpResponse(render_to_string("413.html", {"message": message}, request=request), status=413)


class UploadCapHandler(FileUploadHandler):
    """Stop reading a multipart upload once a file in it passes LETTA_MAX_AGENT_FILE_BYTES (agent files are the
    only uploads); `uploaded_files` then says so. First in FILE_UPLOAD_HANDLERS, so no later handler stores it."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MAX_AGENT_FILE_BYTES:
            self.request.upload_over_cap = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def uploaded_files(request):
    """`request.FILES` (its form fields parsed too), or RequestTooLarge when `UploadCapHandler` stopped the upload or
    the form's other fields pass LETTA_MAX_REQUEST_BYTES."""
    try:
        files = request.FILES
    except RequestDataTooBig:
        raise RequestTooLarge(too_large_message("/")) from None
    if getattr(request, "upload_over_cap", False):
        raise RequestTooLarge(upload_message())
    return files


# ------------------------------------------------------------------------------------------------ JSON


def parse_json(raw: bytes | str, *, subject: str = "The request body's JSON", strict: bool = True):
    """Parsed JSON from a request (a body, a form field, an uploaded file), refusing nesting deeper than
    MAX_JSON_DEPTH (JSONTooDeep: a 400, and a ValueError) and, when `strict`, NaN and Infinity (not JSON).
    Malformed JSON raises ValueError, worded by the caller; `subject` names the JSON in the too-deep message."""
    try:
        value = json.loads(raw, parse_constant=_no_constant if strict else None)
    except RecursionError:
        raise JSONTooDeep.of(subject) from None
    if depth_over(value, MAX_JSON_DEPTH):
        raise JSONTooDeep.of(subject)
    return value


def depth_over(value, limit: int) -> bool:
    """Whether lists and objects in `value` nest more than `limit` deep (without recursing, whatever the depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
