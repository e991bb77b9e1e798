"""Clients of agents.llm pointed at the fake provider servers, with fast retries."""

from __future__ import annotations

import socket

import pytest
import pytest_asyncio

from agents.llm import AnthropicClient, OpenAIClient


@pytest_asyncio.fixture
async def openai_client(fake_openai):
    client = OpenAIClient("sk-test", fake_openai.base_url, max_retries=1, timeout=10)
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def anthropic_client(fake_anthropic):
    client = AnthropicClient("sk-ant-test", fake_anthropic.base_url, max_retries=1, timeout=10)
    yield client
    await client.aclose()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
