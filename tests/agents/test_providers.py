import socket
import typing

import pytest

from agents.llm import AnthropicClient, OpenAIClient
from agents.providers import ModelConfigError, describe, list_models, provider_config, resolve


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
            "kind": "openai_compatible",
            "api_key": None,
            "base_url": f"http://127.0.0.1:{closed_port()}/v1",
        },
        "anthropic": {"kind": "anthropic", "api_key": "x", "base_url": fake_anthropic.base_url},
    }
    settings.LLM_MAX_RETRIES = 0
    models = await list_models()
    assert models and {m["provider_name"] for m in models} == {"anthropic"}


@pytest.mark.parametrize("config", [{"kind": "openai", "api_key": None, "base_url": None}])
async def test_unconfigured_builtin_providers_are_not_asked(settings, config):
    settings.LLM_PROVIDERS = {"openai": config}
    assert await list_models() == []


@pytest.mark.django_db
def test_an_api_provider_is_read_fresh_on_every_resolve(org, settings):
    from agents.provider_services import create_provider, update_provider
    from agents.providers import ModelConfigError, resolve

    settings.LLM_PROVIDERS = {}
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]  # the operator lets API users' providers reach local servers
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


# ------------------------------------------------------------------------------------------------- resolve


def letta_literal(module: str, cls: str, field: str) -> set[str]:
    """The values a letta-client type accepts in one of its Literal fields."""
    import importlib

    model = getattr(importlib.import_module(f"letta_client.types.{module}"), cls)
    return set(typing.get_args(model.model_fields[field].annotation))


def test_an_environment_provider_resolves_to_the_client_it_builds(providers):
    config = resolve("openai/gpt-4.1-mini")
    assert (config.provider.name, config.model, config.provider.client_kind) == ("openai", "gpt-4.1-mini", "openai")
    assert config.provider.provider_type == config.provider.model_endpoint_type == "openai"
    assert config.provider.base_url == providers["openai"]["base_url"] == config.client.base_url
    assert isinstance(config.client, OpenAIClient) and config.counts_are_estimates is False
    assert config.context_window == 128_000  # gpt-4.1's million tokens, capped by the server's default


def test_without_a_base_url_the_sdk_default_is_the_address_whatever_the_process_environment(settings, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    settings.LLM_PROVIDERS = {
        "openai": {"kind": "openai", "api_key": "k", "base_url": None},
        "anthropic": {"kind": "anthropic", "api_key": "k", "base_url": None},
        "ollama": {"kind": "openai_compatible", "api_key": None, "base_url": None},
    }
    for handle, url in (
        ("openai/gpt-4.1", "https://api.openai.com/v1"),
        ("anthropic/claude-sonnet-4-5", "https://api.anthropic.com"),
        ("ollama/qwen2.5:7b", "http://127.0.0.1:11434/v1"),
    ):
        config = resolve(handle)
        assert config.provider.base_url == config.client.base_url == url


@pytest.mark.django_db
def test_an_api_provider_resolves_with_its_kind_and_type(org, settings):
    from agents.provider_services import create_provider

    settings.LLM_PROVIDERS = {}
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    create_provider(organization_id=org.id, name="claude", provider_type="anthropic", api_key="k")
    create_provider(organization_id=org.id, name="box", provider_type="ollama", base_url="http://127.0.0.1:9/v1/")
    claude = resolve("claude/claude-sonnet-4-5", org.id, context_window_limit=50_000)
    assert claude.provider.kind == claude.provider.provider_type == claude.provider.model_endpoint_type == "anthropic"
    assert isinstance(claude.client, AnthropicClient) and claude.provider.base_url == "https://api.anthropic.com"
    assert claude.context_window == 50_000 and claude.counts_are_estimates is True
    box = resolve("box/qwen2.5:7b", org.id)
    assert (box.provider.kind, box.provider.client_kind, box.provider.provider_type) == (
        "openai_compatible",
        "openai",
        "ollama",
    )
    assert box.provider.model_endpoint_type == box.provider.embedding_endpoint_type == "ollama"
    assert box.provider.base_url == box.client.base_url == "http://127.0.0.1:9/v1"


def test_a_handle_no_provider_serves_is_refused_by_resolve_and_described_by_its_name(settings):
    settings.LLM_PROVIDERS = {"vllm": {"kind": "openai_compatible", "api_key": None, "base_url": None}}
    with pytest.raises(ModelConfigError, match="No provider named 'ollama'"):
        resolve("ollama/qwen2.5:7b")
    with pytest.raises(ModelConfigError, match="VLLM_BASE_URL"):
        resolve("vllm/qwen")
    ollama = describe("ollama/qwen2.5:7b")
    assert ollama.provider.model_endpoint_type == "ollama" and ollama.model == "qwen2.5:7b"
    assert describe("elsewhere/some-model").provider.model_endpoint_type == "openai"
    assert describe("vllm/qwen").provider.base_url is None


def test_every_provider_type_served_answers_names_the_sdk_accepts():
    from agents.provider_services import KINDS

    provider_types = letta_literal("model", "Model", "provider_type")
    model_endpoints = letta_literal("model", "Model", "api_model_endpoint_type") & letta_literal(
        "llm_config", "LlmConfig", "api_model_endpoint_type"
    )
    embedding_endpoints = letta_literal("embedding_config", "EmbeddingConfig", "embedding_endpoint_type")
    for letta_type, kind in KINDS.items():
        provider = provider_config("mine", kind=kind, provider_type=letta_type, base_url="http://127.0.0.1:9/v1")
        assert provider.provider_type in provider_types, letta_type
        assert provider.model_endpoint_type in model_endpoints, letta_type
        assert provider.embedding_endpoint_type in embedding_endpoints, letta_type
    for name in ("openai", "anthropic", "ollama", "vllm", "lmstudio", "openrouter", "together", "groq", "google_ai"):
        provider = provider_config(name, kind="anthropic" if name == "anthropic" else "openai_compatible")
        assert provider.provider_type in provider_types and provider.model_endpoint_type in model_endpoints, name


def test_the_raw_request_takes_its_parameter_names_from_the_address_given(monkeypatch):
    from agents.llm import ChatMessage, LLMRequest
    from agents.llm.preview import wire_request

    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")  # never read
    request = LLMRequest(model="gpt-4.1", messages=[ChatMessage(role="user", content="hi")], max_tokens=5)
    assert wire_request("openai", request, base_url="https://api.openai.com/v1")["max_completion_tokens"] == 5
    assert wire_request("openai", request, base_url="http://127.0.0.1:11434/v1")["max_tokens"] == 5
    assert wire_request("openai", request)["max_tokens"] == 5
    anthropic = wire_request("anthropic", request, base_url="https://api.anthropic.com")
    assert anthropic["max_tokens"] == 5 and anthropic["stream"] is True


@pytest.mark.parametrize(
    ("provider_type", "kind", "settings_type"),
    [
        ("openai", "openai", "openai"),
        ("anthropic", "anthropic", "anthropic"),
        ("openrouter", "openai_compatible", "openrouter"),
        ("ollama", "openai_compatible", "openai"),
        ("lmstudio_openai", "openai_compatible", "openai"),
        ("vllm", "openai_compatible", "openai"),
    ],
)
def test_model_settings_take_a_shape_the_sdk_knows(provider_type, kind, settings_type):
    """AgentState.model_settings is a union the SDK tells apart by provider_type; servers with no shape of their
    own take the shape of the protocol they speak."""
    provider = provider_config(provider_type, kind=kind, base_url="http://127.0.0.1:9/v1")
    assert provider.model_settings_type == settings_type
