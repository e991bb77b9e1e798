"""The exact body a provider client would send for a request, without sending it.

The context window viewer shows the raw request; only this package knows wire formats, so it builds the body
with the same `build_params` the clients call, plus the streaming flags the clients add (the agent loop always
streams). It is told which client and which address, as plain values: it reads no configuration of its own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import anthropic_format, openai_format
from .factory import client_kind  # how make_client picks the SDK, so both agree
from .types import LLMRequest


def wire_request(kind: str, request: LLMRequest, *, base_url: str | None = None, stream: bool = True) -> dict:
    """The JSON body the client of `kind` ("openai" or "anthropic", or a compatible server's type) would POST for
    `request` when it sends to `base_url`. Only the official OpenAI API (recognised, as OpenAIClient recognises
    it, by the host of `base_url`) gets its own parameter names; without a base URL the body is a compatible
    server's, which is what token counting asks for."""
    if client_kind(kind) == "anthropic":
        body = anthropic_format.build_params(request)
        return {**body, **anthropic_format.STREAM_FLAGS} if stream else body
    official = bool(base_url) and urlsplit(base_url).hostname == openai_format.OPENAI_HOST
    body = openai_format.build_params(request, official_api=official)
    if stream:
        return {**body, **openai_format.STREAM_FLAGS}
    return body
