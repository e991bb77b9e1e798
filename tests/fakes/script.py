"""What a fake provider should answer: one `Reply` per model request."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

# Fast SDK retries: both SDKs honour retry-after-ms before their own exponential backoff.
_FAST_RETRY = {"retry-after-ms": "5"}


@dataclass
class Reply:
    """One scripted model answer (or error). Errors use each provider's real JSON shape and wording.

    `tool_calls` arguments may also be a raw JSON string (OpenAI only) to simulate malformed arguments.
    `finish="length"` wins over the automatic tool_calls/tool_use finish reason.
    """

    text: str | None = None
    tool_calls: list[tuple[str, dict | str]] = field(default_factory=list)
    reasoning: str | None = None
    finish: str = "stop"  # "stop" | "length"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    omit_usage: bool = False
    no_choices: bool = False  # OpenAI: a 200 answer (or stream) whose choices are empty
    delay: float = 0.0
    status: int = 200
    error_message: str = ""
    error_type: str | None = None
    error_code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Lets a provider-neutral constructor ask each server for its own real wording of an error.
    error_kind: str | None = None
    # OpenAI-compatible servers' quirks. function_call: "doubled" sends each call (and, streamed, each fragment)
    # in both tool_calls and the legacy function_call (llama-cpp-python); "empty" adds an empty function_call.
    function_call: str = ""
    # A 200 stream that fails after its first pieces: the server's words, in the shape stream_error_shape names:
    # "error" (`data: {"error": {...}}`, OpenAI and llama.cpp), "object" (`data: {"object": "error", ...}`, vLLM)
    # or "cut" (the stream just ends: no finish_reason, no [DONE]; the words are never sent).
    stream_error: str | None = None
    stream_error_shape: str = "error"

    @classmethod
    def server_error(cls, message: str = "upstream exploded") -> Reply:
        return cls(status=500, error_message=message, headers=dict(_FAST_RETRY))

    @classmethod
    def rate_limited(cls) -> Reply:
        return cls(status=429, headers=dict(_FAST_RETRY))

    @classmethod
    def context_overflow(cls) -> Reply:
        return cls(status=400, error_kind="context_overflow")

    @classmethod
    def auth_error(cls) -> Reply:
        return cls(status=401)

    @property
    def is_error(self) -> bool:
        return self.status != 200

    def usage(self, request: dict) -> tuple[int, int]:
        """(prompt, completion) token counts; rough chars/4 estimates unless scripted."""
        prompt = self.prompt_tokens
        if prompt is None:
            prompt = max(1, len(json.dumps(request)) // 4)
        completion = self.completion_tokens
        if completion is None:
            chars = len(self.text or "") + len(self.reasoning or "")
            chars += sum(len(name) + len(args_json(args)) for name, args in self.tool_calls)
            completion = max(1, chars // 4)
        return prompt, completion


def args_json(args: dict | str) -> str:
    return args if isinstance(args, str) else json.dumps(args)


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def words(text: str | None) -> list[str]:
    """Split text into word-sized pieces that concatenate back to the original exactly."""
    return re.findall(r"\S+\s*|\s+", text or "")


def fragments(s: str, n: int = 3) -> list[str]:
    """Split a (JSON) string into at least two pieces so clients must really reassemble it."""
    size = max(1, -(-len(s) // n))
    parts = [s[i : i + size] for i in range(0, len(s), size)]
    return parts if len(parts) >= 2 else [s[:1], s[1:]]


def as_reply(value: Any) -> Reply:
    # Responders may return a bare string for the common text-only case.
    return value if isinstance(value, Reply) else Reply(text=str(value))
