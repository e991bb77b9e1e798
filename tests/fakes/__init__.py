"""Fake OpenAI / Anthropic HTTP servers that speak the real wire protocols, answering from a script."""

from .anthropic_server import FakeAnthropic, start_fake_anthropic
from .openai_server import FakeOpenAI, fake_embedding, start_fake_openai
from .script import Reply
from .server import FakeProvider

__all__ = [
    "FakeAnthropic",
    "FakeOpenAI",
    "FakeProvider",
    "Reply",
    "fake_embedding",
    "start_fake_anthropic",
    "start_fake_openai",
]
