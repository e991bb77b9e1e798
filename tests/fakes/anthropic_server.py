"""Anthropic Messages / Models wire format."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from .script import Reply, fragments, new_id, words
from .server import FakeProvider, Handler

_ERRORS = {  # status -> (error.type, message) as the real API words them
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "Not found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}
_CONTEXT_OVERFLOW = ("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum")


def _event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _display_name(model: str) -> str:
    # "claude-sonnet-4-5" -> "Claude Sonnet 4.5"
    parts = model.split("-")
    names = [p.capitalize() for p in parts if not p.isdigit()]
    version = ".".join(p for p in parts if p.isdigit())
    return " ".join(names + ([version] if version else []))


class FakeAnthropic(FakeProvider):
    default_models = ("claude-sonnet-4-5", "claude-haiku-4-5")
    completion_path = "/v1/messages"
    request_id_header = "request-id"

    def precheck(self, h: Handler) -> Reply | None:
        if not h.headers.get("anthropic-version"):
            return Reply(status=400, error_message="anthropic-version: header is required")
        return None

    def handle_extra(self, h: Handler, method: str, path: str, body: dict | None) -> bool:
        if method != "POST" or path != "/v1/messages/count_tokens":
            return False
        h.send_json(200, {"input_tokens": Reply().usage(body)[0]}, self.response_headers())
        return True

    def error_body(self, reply: Reply) -> dict:
        if reply.error_kind == "context_overflow":
            etype, message = _CONTEXT_OVERFLOW
        else:
            etype, message = _ERRORS.get(reply.status, _ERRORS[500 if reply.status >= 500 else 400])
        error = {"type": reply.error_type or etype, "message": reply.error_message or message}
        return {"type": "error", "error": error}

    def model_entry(self, model: str) -> dict:
        return {
            "type": "model",
            "id": model,
            "display_name": _display_name(model),
            "created_at": "2025-09-29T00:00:00Z",
            "lifecycle": "active",
            "max_input_tokens": 200000,
            "max_tokens": 64000,
        }

    def models_page(self, entries: list[dict]) -> dict:
        return {
            "data": entries,
            "has_more": False,
            "first_id": entries[0]["id"] if entries else None,
            "last_id": entries[-1]["id"] if entries else None,
        }

    @staticmethod
    def _stop_reason(reply: Reply) -> str:
        if reply.finish == "length":
            return "max_tokens"
        return "tool_use" if reply.tool_calls else "end_turn"

    @staticmethod
    def _signature(thinking: str) -> str:
        # Real signatures are opaque; clients only need to echo them back unchanged.
        return "fakesig_" + hashlib.sha256(thinking.encode()).hexdigest()

    def _blocks(self, reply: Reply) -> list[dict]:
        blocks: list[dict] = []
        if reply.reasoning is not None:
            signature = self._signature(reply.reasoning)
            blocks.append({"type": "thinking", "thinking": reply.reasoning, "signature": signature})
        if reply.text is not None:
            blocks.append({"type": "text", "text": reply.text})
        for name, args in reply.tool_calls:
            blocks.append({"type": "tool_use", "id": new_id("toolu_"), "name": name, "input": args})
        return blocks

    def _message(self, request: dict, reply: Reply, content: list[dict], stop_reason: str | None, output: int) -> dict:
        prompt, _ = reply.usage(request)
        return {
            "id": new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": request.get("model", ""),
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt,
                "output_tokens": output,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }

    def completion(self, request: dict, reply: Reply) -> dict:
        return self._message(request, reply, self._blocks(reply), self._stop_reason(reply), reply.usage(request)[1])

    def stream_events(self, request: dict, reply: Reply) -> Iterator[bytes]:
        yield _event("message_start", {"type": "message_start", "message": self._message(request, reply, [], None, 1)})
        yield _event("ping", {"type": "ping"})
        for index, block in enumerate(self._blocks(reply)):
            if block["type"] == "thinking":
                start = {"type": "thinking", "thinking": "", "signature": ""}
                deltas = [{"type": "thinking_delta", "thinking": p} for p in words(block["thinking"])]
                deltas.append({"type": "signature_delta", "signature": block["signature"]})
            elif block["type"] == "text":
                start = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": p} for p in words(block["text"])]
            else:
                start = {**block, "input": {}}
                parts = fragments(json.dumps(block["input"]))
                deltas = [{"type": "input_json_delta", "partial_json": p} for p in parts]
            yield _event("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
            for delta in deltas:
                yield _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            yield _event("content_block_stop", {"type": "content_block_stop", "index": index})
        yield _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": self._stop_reason(reply), "stop_sequence": None},
                "usage": {"output_tokens": reply.usage(request)[1]},
            },
        )
        yield _event("message_stop", {"type": "message_stop"})


def start_fake_anthropic() -> FakeAnthropic:
    return FakeAnthropic()
