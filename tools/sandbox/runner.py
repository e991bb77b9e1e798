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


class _View(dict):
    """A JSON object read by attribute too, as Letta's tools read its pydantic models (`agent_state.id`)."""

    def __getattr__(self, name):
        try:
            return _view(self[name])
        except KeyError:
            raise AttributeError(name) from None


def _view(value):
    if isinstance(value, dict) and not isinstance(value, _View):
        return _View(value)
    if isinstance(value, list):
        return [_view(item) for item in value]
    return value


class _Memory:
    """Letta's `agent_state.memory`: read blocks, set a block's value. What is set is written back by the server
    after the call, under the agent's rules (read-only blocks, limits)."""

    def __init__(self, blocks: list, changes: dict):
        self.blocks = [_View(block) for block in blocks]
        self._changes = changes

    def get_block(self, label: str):
        for block in self.blocks:
            if block.get("label") == label:
                return block
        labels = ", ".join(self.list_block_labels())
        raise KeyError(f"Block field {label} does not exist (available sections = {labels})")

    def list_block_labels(self) -> list:
        return [block.get("label") for block in self.blocks]

    def update_block_value(self, label: str, value: str) -> None:
        if not isinstance(value, str):
            raise ValueError("block values must be strings")
        self.get_block(label)["value"] = value
        self._changes[label] = value


def _agent_state(data, changes: dict):
    if data is None:
        return None
    state = _View(data)
    state["memory"] = _Memory((data.get("memory") or {}).get("blocks") or data.get("blocks") or [], changes)
    return state


def _inject_client(namespace: dict) -> None:
    """Letta's tools find a `client` for their own server when the call was given a key (and the SDK is there)."""
    if not os.environ.get("LETTA_API_KEY"):
        return
    try:
        from letta_client import Letta
    except ImportError:
        return
    namespace["client"] = Letta(base_url=os.environ["LETTA_BASE_URL"], api_key=os.environ["LETTA_API_KEY"])


def _takes(func, name: str) -> bool:
    code = getattr(func, "__code__", None)
    return code is not None and name in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


def call(payload: dict) -> dict:
    import typing

    # Letta runs tool source with typing's names in scope; its published tools annotate with a bare `List[str]`.
    namespace = {name: getattr(typing, name) for name in typing.__all__}
    namespace["__name__"] = "__tool__"
    filename = "<tool " + payload["name"] + ">"
    source = payload["source"]
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    changes: dict = {}
    try:
        _inject_client(namespace)
        exec(compile(source, filename, "exec"), namespace)
        func = namespace.get(payload["name"])
        if not callable(func):
            raise NameError("the source defines no function named " + repr(payload["name"]))
        args = dict(payload["args"])
        if "agent_state" in payload and _takes(func, "agent_state"):
            args["agent_state"] = _agent_state(payload["agent_state"], changes)
        value = func(**args)
        try:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = repr(value)
        return {"status": "success", "value": text, "memory": changes}
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
