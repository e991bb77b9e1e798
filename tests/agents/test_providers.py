import socket

import pytest

from agents.providers import list_models


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_models_of_every_provider_are_listed_as_handles(providers):
    handles = {m["handle"] for m in await list_models()}
    assert {"openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5"} <= handles


async def test_a_provider_that_is_down_is_left_out(settings, fake_anthropic):
    settings.LLM_PROVIDERS = {
        "ollama": {"provider_type": "openai_compatible", "api_key": None,
                   "base_url": f"http://127.0.0.1:{closed_port()}/v1"},
        "anthropic": {"provider_type": "anthropic", "api_key": "x", "base_url": fake_anthropic.base_url},
    }
    settings.LLM_MAX_RETRIES = 0
    models = await list_models()
    assert models and {m["provider_name"] for m in models} == {"anthropic"}


@pytest.mark.parametrize("config", [{"provider_type": "openai", "api_key": None, "base_url": None}])
async def test_unconfigured_builtin_providers_are_not_asked(settings, config):
    settings.LLM_PROVIDERS = {"openai": config}
    assert await list_models() == []
