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
        "ollama": {
            "provider_type": "openai_compatible",
            "api_key": None,
            "base_url": f"http://127.0.0.1:{closed_port()}/v1",
        },
        "anthropic": {"provider_type": "anthropic", "api_key": "x", "base_url": fake_anthropic.base_url},
    }
    settings.LLM_MAX_RETRIES = 0
    models = await list_models()
    assert models and {m["provider_name"] for m in models} == {"anthropic"}


@pytest.mark.parametrize("config", [{"provider_type": "openai", "api_key": None, "base_url": None}])
async def test_unconfigured_builtin_providers_are_not_asked(settings, config):
    settings.LLM_PROVIDERS = {"openai": config}
    assert await list_models() == []


@pytest.mark.django_db
def test_an_api_provider_is_read_fresh_on_every_resolve(org, settings):
    from agents.provider_services import create_provider, update_provider
    from agents.providers import ModelConfigError, resolve

    settings.LLM_PROVIDERS = {}
    provider = create_provider(
        organization_id=org.id, name="mine", provider_type="vllm", base_url="http://127.0.0.1:9/v1"
    )
    assert resolve("mine/qwen", org.id).client.base_url.startswith("http://127.0.0.1:9/v1")
    update_provider(provider, {"base_url": "http://127.0.0.1:10/v1"})
    assert resolve("mine/qwen", org.id).client.base_url.startswith("http://127.0.0.1:10/v1")
    provider.delete()
    with pytest.raises(ModelConfigError, match="No provider named 'mine'"):
        resolve("mine/qwen", org.id)
    with pytest.raises(ModelConfigError):
        resolve("mine/qwen")  # without an organization only the environment's providers count


def test_embedding_models_are_told_apart_by_name():
    from agents.providers import is_embedding_model

    assert all(map(is_embedding_model, ["text-embedding-3-small", "nomic-embed-text:latest", "bge-m3"]))
    assert not any(map(is_embedding_model, ["gpt-4.1-mini", "claude-sonnet-4-5", "qwen2.5:7b"]))
