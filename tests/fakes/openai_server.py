"""OpenAI Chat Completions / Models / Embeddings wire format."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import time
from collections.abc import Iterator

from .script import Reply, args_json, fragments, new_id, words
from .server import FakeProvider, Handler

_ERRORS = {  # status -> (type, code, message) as the real API words them
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-fake. "
        "You can find your API key at https://platform.openai.com/account/api-keys.",
    ),
    403: ("permission_error", None, "You are not allowed to sample from this model"),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
    ),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
}
_CONTEXT_OVERFLOW = (
    "invalid_request_error",
    "context_length_exceeded",
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. "
    "Please reduce the length of the messages.",
)

EMBEDDING_DIM = 64


def fake_embedding(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """Deterministic unit vector; hashed bag of words, so texts sharing words have high cosine similarity."""
    vec = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()) or [text]:
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vec[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


class FakeOpenAI(FakeProvider):
    default_models = ("gpt-4.1-mini", "gpt-4o")
    api_prefix = "/v1"
    completion_path = "/v1/chat/completions"

    def __init__(self) -> None:
        self.embedding_requests: list[dict] = []  # kept apart so embeddings don't disturb chat request counts
        super().__init__()

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.embedding_requests.clear()

    def handle_extra(self, h: Handler, method: str, path: str, body: dict | None) -> bool:
        if method != "POST" or path != "/v1/embeddings":
            return False
        with self._lock:
            self.embedding_requests.append(body)
        h.send_json(200, self.embeddings(body), self.response_headers())
        return True

    def embeddings(self, request: dict) -> dict:
        inputs = request.get("input", "")
        # Accepts str, [str], token ids [int] and [[int]], as the real endpoint does.
        if isinstance(inputs, str) or (inputs and all(isinstance(i, int) for i in inputs)):
            inputs = [inputs]
        texts = [i if isinstance(i, str) else " ".join(map(str, i)) for i in inputs]
        dim = int(request.get("dimensions") or EMBEDDING_DIM)
        data = []
        for index, text in enumerate(texts):
            vec = fake_embedding(text, dim)
            if request.get("encoding_format") == "base64":  # the SDK asks for this by default
                vec = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vec})
        tokens = sum(max(1, len(t) // 4) for t in texts)
        return {
            "object": "list",
            "data": data,
            "model": request.get("model", "text-embedding-3-small"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    def error_body(self, reply: Reply) -> dict:
        if reply.error_kind == "context_overflow":
            etype, code, message = _CONTEXT_OVERFLOW
        else:
            etype, code, message = _ERRORS.get(reply.status, _ERRORS[500 if reply.status >= 500 else 400])
        return {
            "error": {
                "message": reply.error_message or message,
                "type": reply.error_type or etype,
                "param": None,
                "code": reply.error_code or code,
            }
        }

    def model_entry(self, model: str) -> dict:
        return {"id": model, "object": "model", "created": 1700000000, "owned_by": "fake-openai"}

    def models_page(self, entries: list[dict]) -> dict:
        return {"object": "list", "data": entries}

    @staticmethod
    def _finish_reason(reply: Reply) -> str:
        if reply.tool_calls and reply.finish != "length":
            return "tool_calls"
        return reply.finish

    @staticmethod
    def _usage(request: dict, reply: Reply) -> dict:
        prompt, completion = reply.usage(request)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    @staticmethod
    def _envelope(request: dict, kind: str) -> dict:
        """What every completion and every chunk of a streamed one carries around its choices."""
        return {
            "id": new_id("chatcmpl-"),
            "object": kind,
            "created": int(time.time()),
            "model": request.get("model", ""),
            "system_fingerprint": None,
        }

    def completion(self, request: dict, reply: Reply) -> dict:
        message: dict = {"role": "assistant", "content": reply.text, "refusal": None}
        if reply.reasoning is not None:
            message["reasoning_content"] = reply.reasoning
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": new_id("call_"), "type": "function", "function": {"name": name, "arguments": args_json(args)}}
                for name, args in reply.tool_calls
            ]
        body = {
            **self._envelope(request, "chat.completion"),
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": self._finish_reason(reply)}
            ],
        }
        if reply.no_choices:
            body["choices"] = []
        if not reply.omit_usage:
            body["usage"] = self._usage(request, reply)
        return body

    def stream_events(self, request: dict, reply: Reply) -> Iterator[bytes]:
        include_usage = bool((request.get("stream_options") or {}).get("include_usage")) and not reply.omit_usage
        base = self._envelope(request, "chat.completion.chunk")
        if include_usage:
            base["usage"] = None  # the real API marks every non-final chunk this way

        def chunk(delta: dict, finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return b"data: %s\n\n" % json.dumps({**base, "choices": [choice]}).encode()

        if reply.no_choices:
            yield from self._choiceless_stream(request, reply, base, include_usage)
            return
        yield chunk({"role": "assistant", "content": ""})
        for piece in words(reply.reasoning):
            yield chunk({"reasoning_content": piece})
        for piece in words(reply.text):
            yield chunk({"content": piece})
        for index, (name, args) in enumerate(reply.tool_calls):
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": new_id("call_"),
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                }
            )
            for part in fragments(args_json(args)):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
        yield chunk({}, self._finish_reason(reply))
        if include_usage:
            usage_chunk = {**base, "choices": [], "usage": self._usage(request, reply)}
            yield b"data: %s\n\n" % json.dumps(usage_chunk).encode()
        yield b"data: [DONE]\n\n"

    def _choiceless_stream(self, request: dict, reply: Reply, base: dict, include_usage: bool) -> Iterator[bytes]:
        if include_usage:
            yield b"data: %s\n\n" % json.dumps({**base, "choices": [], "usage": self._usage(request, reply)}).encode()
        yield b"data: [DONE]\n\n"


def start_fake_openai() -> FakeOpenAI:
    return FakeOpenAI()
