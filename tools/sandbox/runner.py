"""Runs inside the sandbox (stdlib only, bound read-only at /run/letta/runner.py): defines the tool's source, calls
the function, and writes the outcome as JSON to an inherited pipe, a channel of its own, so nothing the tool
prints on stdout can hide or forge it. When the run has a network grant, a small forwarder listens on 127.0.0.1
and hands every connection to the server's egress proxy through the unix socket bound into the sandbox (the
sandbox has no other network); HTTP_PROXY and HTTPS_PROXY point the tool's HTTP clients at it.
"""

import json
import linecache
import os
import socket
import sys
import threading
import traceback

EGRESS_SOCKET = "/run/letta/egress.sock"


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve(listener: socket.socket) -> None:
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(EGRESS_SOCKET)
        except OSError:
            client.close()
            continue
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()


def start_forwarder() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ[name] = proxy
    threading.Thread(target=_serve, args=(listener,), daemon=True).start()


def call(payload: dict) -> dict:
    namespace = {"__name__": "__tool__"}
    filename = "<tool " + payload["name"] + ">"
    source = payload["source"]
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        exec(compile(source, filename, "exec"), namespace)
        func = namespace.get(payload["name"])
        if not callable(func):
            raise NameError("the source defines no function named " + repr(payload["name"]))
        value = func(**payload["args"])
        try:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = repr(value)
        return {"status": "success", "value": text}
    except BaseException as exc:  # the tool's failure, whatever it is, is its result
        lines = traceback.format_exception(exc)
        return {"status": "error", "value": type(exc).__name__ + ": " + str(exc), "trace": "".join(lines[-6:])}


def forward_then_run(command: list[str]) -> int:
    """`runner.py --forward CMD...`: a long-lived sandboxed process (a stdio MCP server) with the same egress."""
    import subprocess

    if os.path.exists(EGRESS_SOCKET):
        start_forwarder()
    return subprocess.call(command)


def main() -> None:
    payload = json.loads(sys.stdin.read())
    os.environ.update(payload.get("env") or {})
    os.set_inheritable(payload["result_fd"], False)
    result = os.fdopen(payload["result_fd"], "w", encoding="utf-8")
    if os.path.exists(EGRESS_SOCKET):
        start_forwarder()
    outcome = call(payload)
    limit = payload.get("result_max", 1 << 20)
    if len(outcome["value"]) > limit:
        outcome["value"] = outcome["value"][:limit]
        outcome["cut"] = True
    sys.stdout.flush()
    sys.stderr.flush()
    result.write(json.dumps(outcome))
    result.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--forward"]:
        sys.exit(forward_then_run(sys.argv[2:]))
    main()
