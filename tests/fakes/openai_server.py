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
        self._local_server()
        super().__init__()

    def _local_server(self) -> None:
        """What a local server (llama.cpp, llama-cpp-python) does that OpenAI does not; off until a test asks."""
        # 400 for an assistant message with tool calls and `"content": null` (llama-cpp-python answers 500).
        self.refuse_null_content = False
        # A streamed request with tools is refused: "status" (a 400 before the stream), "in_stream" (200, then an
        # error event), "abort" (200, then the stream ends with nothing in it) or "drop" (the connection closes with
        # no answer at all), as llama-cpp-python does.
        self.refuse_tool_streaming: str | None = None
        # With refuse_tool_streaming "abort": the connection of the next request without streaming is closed before
        # any answer, as when llama-cpp-python closed the aborted stream's connection after the client pooled it.
        self.stale_after_abort = False
        self._stale = False
        # llama.cpp's server: GET /props tells this n_ctx, POST /tokenize counts a token per 2 characters.
        self.n_ctx: int | None = None
        self.tokenize_requests: list[dict] = []
        # llama-cpp-python's server: no /props, but POST /extras/tokenize {"input"} (same count as above).
        self.extras_tokenize = False
        # vLLM: extra keys of a model's /v1/models entry (max_model_len); Ollama: what POST /api/show answers.
        self.model_extras: dict[str, dict] = {}
        self.ollama_show: dict | None = None
        # vLLM and llama-cpp-python with several models: a completion for a model not in `models` is a 404, so a
        # test sees that the id the server lists (e.g. a .gguf path) went on the wire, not a readable name.
        self.known_models_only = False

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.embedding_requests.clear()
            self._local_server()

    def handle(self, h: Handler, method: str, path: str, body: dict | None) -> None:
        if method == "POST" and path == self.completion_path and body is not None:
            if (refusal := self._refusal(body)) is not None:
                with self._lock:
                    self._requests.append(body)  # asked, and refused: the scripted reply waits for the next
                return refusal(h)
        return super().handle(h, method, path, body)

    def _refusal(self, body: dict):
        if self.known_models_only and body.get("model") not in self.models:
            said = f"The model `{body.get('model')}` does not exist."
            return lambda h: self.send_error(h, Reply(status=404, error_message=said, error_code="model_not_found"))
        null_beside_calls = any(
            m.get("role") == "assistant" and m.get("tool_calls") and m.get("content") is None
            for m in body.get("messages") or []
        )
        if self.refuse_null_content and null_beside_calls:
            said = 'Internal Server Error: can only concatenate str (not "NoneType") to str'
            return lambda h: self.send_error(h, Reply(status=400, error_message=said))
        if self._stale and not body.get("stream"):
            self._stale = False
            return lambda h: setattr(h, "close_connection", True)
        if not (self.refuse_tool_streaming and body.get("stream") and body.get("tools")):
            return None
        self._stale = self.stale_after_abort
        said = "Automatic streaming tool choice is not supported"
        if self.refuse_tool_streaming == "status":
            return lambda h: self.send_error(h, Reply(status=400, error_message=said))
        if self.refuse_tool_streaming == "in_stream":
            event = b"data: %s\n\n" % json.dumps({"error": {"message": said, "type": "server_error"}}).encode()
            return lambda h: h.send_sse([event], self.response_headers())
        if self.refuse_tool_streaming == "drop":  # llama-cpp-python failing before its headers: no answer at all
            return lambda h: setattr(h, "close_connection", True)
        return lambda h: h.send_sse([], self.response_headers())

    def handle_extra(self, h: Handler, method: str, path: str, body: dict | None) -> bool:
        if method == "GET" and path == "/props" and self.n_ctx:
            h.send_json(200, {"default_generation_settings": {"n_ctx": self.n_ctx}, "total_slots": 1})
            return True
        if method == "POST" and path == "/tokenize" and self.n_ctx:
            with self._lock:
                self.tokenize_requests.append(body)
            text = body.get("content") or ""
            h.send_json(200, {"tokens": list(range(-(-len(text) // 2)))})
            return True
        if method == "POST" and path == "/extras/tokenize" and self.extras_tokenize:
            with self._lock:
                self.tokenize_requests.append(body)
            h.send_json(200, {"tokens": list(range(-(-len(body.get("input") or "") // 2)))})
            return True
        if method == "POST" and path == "/api/show" and self.ollama_show is not None:
            h.send_json(200, self.ollama_show)
            return True
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
        entry = {"id": model, "object": "model", "created": 1700000000, "owned_by": "fake-openai"}
        return {**entry, **self.model_extras.get(model, {})}

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
            if reply.function_call == "doubled":
                message["function_call"] = dict(message["tool_calls"][0]["function"])
        if reply.function_call == "empty":
            message["function_call"] = {"name": "", "arguments": ""}
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
        if reply.stream_error is not None:
            yield from self._stream_failure(reply)
            return
        for index, (name, args) in enumerate(reply.tool_calls):
            call = {"index": index, "id": new_id("call_"), "type": "function"}
            yield chunk(self._tool_delta(reply, call, {"name": name, "arguments": ""}))
            for part in fragments(args_json(args)):
                yield chunk(self._tool_delta(reply, {"index": index}, {"arguments": part}))
        if reply.function_call == "empty":
            yield chunk({"function_call": {"name": None, "arguments": ""}})
        yield chunk({}, self._finish_reason(reply))
        if include_usage:
            usage_chunk = {**base, "choices": [], "usage": self._usage(request, reply)}
            yield b"data: %s\n\n" % json.dumps(usage_chunk).encode()
        yield b"data: [DONE]\n\n"

    @staticmethod
    def _tool_delta(reply: Reply, call: dict, function: dict) -> dict:
        delta = {"tool_calls": [{**call, "function": function}]}
        if reply.function_call == "doubled":
            delta["function_call"] = dict(function)  # the same fragment again, as llama-cpp-python sends it
        return delta

    @staticmethod
    def _stream_failure(reply: Reply) -> Iterator[bytes]:
        said = reply.stream_error
        if reply.stream_error_shape == "error":
            yield (
                b"data: %s\n\n" % json.dumps({"error": {"message": said, "type": "server_error", "code": 500}}).encode()
            )
        elif reply.stream_error_shape == "object":
            error = {"object": "error", "message": said, "type": "BadRequestError", "param": None, "code": 400}
            yield b"data: %s\n\n" % json.dumps(error).encode()
        # "cut": nothing more, not even [DONE]

    def _choiceless_stream(self, request: dict, reply: Reply, base: dict, include_usage: bool) -> Iterator[bytes]:
        if include_usage:
            yield b"data: %s\n\n" % json.dumps({**base, "choices": [], "usage": self._usage(request, reply)}).encode()
        yield b"data: [DONE]\n\n"


def start_fake_openai() -> FakeOpenAI:
    return FakeOpenAI()
