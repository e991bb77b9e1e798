"""Provider clients: plain messages in, plain responses out. No Django, no project imports.

Each client module translates between these types and one SDK; nothing outside this package knows a
provider's wire format.
"""

from .anthropic_client import AnthropicClient
from .base import LLMClient
from .errors import (
    LLMAuthenticationError,
    LLMBadRequestError,
    LLMConnectionError,
    LLMContextWindowExceededError,
    LLMEmptyResponseError,
    LLMError,
    LLMNotFoundError,
    LLMRateLimitError,
    LLMServerError,
    LLMTimeoutError,
)
from .factory import make_client, parse_handle
from .openai_client import OpenAIClient
from .types import ChatMessage, Delta, LLMRequest, LLMResponse, ModelInfo, ProviderCall, ToolCall, ToolSpec, Usage

__all__ = [
    "AnthropicClient",
    "ChatMessage",
    "Delta",
    "LLMAuthenticationError",
    "LLMBadRequestError",
    "LLMClient",
    "LLMConnectionError",
    "LLMContextWindowExceededError",
    "LLMEmptyResponseError",
    "LLMError",
    "LLMNotFoundError",
    "LLMRateLimitError",
    "LLMRequest",
    "LLMResponse",
    "LLMServerError",
    "LLMTimeoutError",
    "ModelInfo",
    "OpenAIClient",
    "ProviderCall",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "make_client",
    "parse_handle",
]
