"""The exact body a provider client would send for a request, without sending it.

The context window viewer shows the raw request; only this package knows wire formats, so it builds the body
with the same `build_params` the clients call, plus the streaming flags the clients add (the agent loop always
streams).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from . import anthropic_format, openai_format
from .factory import _ANTHROPIC_TYPES  # the set make_client picks AnthropicClient by, so both agree
from .types import LLMRequest

# Where the openai SDK sends requests when given no base URL.
_OPENAI_SDK_DEFAULT_URL = "https://api.openai.com/v1"


def _is_official_openai(provider_type: str, base_url: str | None) -> bool:
    # Mirrors OpenAIClient: the official API is recognised by the host the SDK ends up talking to.
    if not base_url:
        if provider_type != "openai":
            return False  # the factory gives these a known compatible server, never api.openai.com
        base_url = os.environ.get("OPENAI_BASE_URL") or _OPENAI_SDK_DEFAULT_URL
    return urlsplit(base_url).hostname == openai_format.OPENAI_HOST


def wire_request(provider_type: str, request: LLMRequest, *, base_url: str | None = None, stream: bool = True) -> dict:
    """The JSON body the client for `provider_type` (at `base_url`) would POST for `request`."""
    provider_type = (provider_type or "").strip().lower()
    if provider_type in _ANTHROPIC_TYPES:
        body = anthropic_format.build_params(request)
        return {**body, **anthropic_format.STREAM_FLAGS} if stream else body
    body = openai_format.build_params(request, official_api=_is_official_openai(provider_type, base_url))
    if stream:
        return {**body, **openai_format.STREAM_FLAGS}
    return body
