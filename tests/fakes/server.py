"""Shared plumbing of the fake providers: HTTP server thread, reply queue and request log.

Each provider subclass only knows its wire format (see openai_server.py / anthropic_server.py).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .script import Reply, as_reply, new_id


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of simultaneous connects must not overflow the listen backlog (SYN retries cost ~1s).
    request_queue_size = 1024
    provider: FakeProvider

    def handle_error(self, request, client_address):
        # Clients hanging up mid-stream or closing pooled connections is normal in tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs; httpx pools connections
    disable_nagle_algorithm = True  # otherwise small SSE writes stall ~40ms on delayed ACKs
    server: _Server

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.server.provider.handle(self, "GET", urlsplit(self.path).path, None)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = None
        self.server.provider.handle(self, "POST", urlsplit(self.path).path, body)

    def send_json(self, status: int, obj: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_sse(self, events: Iterable[bytes], headers: dict[str, str] | None = None) -> None:
        # Chunked framing keeps the connection reusable after the stream ends.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        for event in events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        self.wfile.write(b"0\r\n\r\n")


class FakeProvider:
    """One running fake provider server. Subclasses implement the wire format hooks."""

    default_models: tuple[str, ...] = ()
    api_prefix = ""  # appended to the root URL to form what the SDK wants as base_url
    completion_path = ""
    request_id_header = "x-request-id"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[dict] = []
        self.responder: Callable[[dict], Reply] | None = None
        self.models: list[str] = list(self.default_models)
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.provider = self
        self.root_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.base_url = self.root_url + self.api_prefix
        # A short poll interval makes close() (shutdown) return promptly instead of after ~0.5s.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=f"fake-{self.root_url}", daemon=True
        )
        self._thread.start()

    # --- test-facing API -------------------------------------------------

    def script(self, *replies: Reply | str) -> None:
        with self._lock:
            self._queue.extend(as_reply(r) for r in replies)

    @property
    def requests(self) -> list[dict]:
        """Snapshot of the model request bodies received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> dict | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.responder = None
            self.models = list(self.default_models)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"

    # --- request handling ------------------------------------------------

    def next_reply(self, request: dict) -> Reply:
        # Logging and popping under one lock ties the n-th request to the n-th scripted reply.
        with self._lock:
            self._requests.append(request)
            reply = self._queue.popleft() if self._queue else None
            responder = self.responder
        if reply is None:
            reply = as_reply(responder(request)) if responder else Reply(text="ok")
        return reply

    def response_headers(self, reply: Reply | None = None) -> dict[str, str]:
        return {self.request_id_header: new_id("req_"), **(reply.headers if reply else {})}

    def handle(self, h: Handler, method: str, path: str, body: dict | None) -> None:
        if method == "POST" and body is None:
            return self.send_error(h, Reply(status=400, error_message="Could not parse the JSON body of your request."))
        if method == "GET" and path == "/v1/models":
            page = self.models_page([self.model_entry(m) for m in self.models])
            return h.send_json(200, page, self.response_headers())
        if method == "GET" and path.startswith("/v1/models/"):
            model = path.removeprefix("/v1/models/")
            if model in self.models:
                return h.send_json(200, self.model_entry(model), self.response_headers())
            return self.send_error(h, Reply(status=404, error_message=f"The model '{model}' does not exist"))
        if method == "POST" and path == self.completion_path:
            rejection = self.precheck(h)
            if rejection is not None:
                return self.send_error(h, rejection)
            try:
                reply = self.next_reply(body)
            except Exception as exc:  # a broken responder must fail the test, not look like a flaky network
                traceback.print_exc()
                failure = Reply(status=500, error_message=f"fake responder raised {exc!r}")
                failure.headers["x-should-retry"] = "false"
                return self.send_error(h, failure)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.is_error:
                return self.send_error(h, reply)
            if body.get("stream"):
                return h.send_sse(self.stream_events(body, reply), self.response_headers(reply))
            return h.send_json(200, self.completion(body, reply), self.response_headers(reply))
        if not self.handle_extra(h, method, path, body):
            self.send_error(h, Reply(status=404, error_message=f"Unknown request URL: {method} {path}"))

    def send_error(self, h: Handler, reply: Reply) -> None:
        h.send_json(reply.status, self.error_body(reply), self.response_headers(reply))

    # --- wire format hooks -------------------------------------------------

    def precheck(self, h: Handler) -> Reply | None:
        return None

    def handle_extra(self, h: Handler, method: str, path: str, body: dict | None) -> bool:
        return False

    def completion(self, request: dict, reply: Reply) -> dict:
        raise NotImplementedError

    def stream_events(self, request: dict, reply: Reply) -> Iterable[bytes]:
        raise NotImplementedError

    def error_body(self, reply: Reply) -> dict:
        raise NotImplementedError

    def model_entry(self, model: str) -> dict:
        raise NotImplementedError

    def models_page(self, entries: list[dict]) -> dict:
        raise NotImplementedError
