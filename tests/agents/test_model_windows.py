"""Which context window a model gets, and the handle it is listed under (agents/providers.py): the one precedence
(the agent's limit > the provider's setting for the model > a known model > its server > the provider's default
> a guess), the same for the loop, the listing and `context_window_is_guess`."""

import pytest
from asgiref.sync import sync_to_async

from agents import providers as model_providers
from agents.provider_services import create_provider, set_model_setting, update_provider
from agents.providers import aresolve, context_window_is_guess, context_window_of, list_models, resolve
from agents.runtime.loop import run_agent
from tests.fakes import Reply

GGUF = "/models/gemma-3-270m-it-Q4_K_M.gguf"


@pytest.fixture(autouse=True)
def _fresh_servers():
    model_providers.forget_served_windows()
    yield
    model_providers.forget_served_windows()


@pytest.fixture
def local(org, providers, fake_openai):
    """A provider record "local" on the fake, serving one model by its file path, as llama.cpp's server does."""
    fake_openai.models = [GGUF]
    return create_provider(
        organization_id=org.id, name="local", provider_type="openai_compatible", base_url=fake_openai.base_url
    )


def window(handle, org, limit=None):
    found = context_window_of(handle, limit, org.id)
    assert found.is_guess == context_window_is_guess(handle, limit, org.id)
    return found.tokens, found.source


@pytest.mark.django_db(transaction=True)
async def test_each_source_in_turn(org, local, fake_openai):
    handle = f"local/{GGUF}"
    assert await sync_to_async(window)(handle, org) == (8192, "guess")  # LETTA_UNKNOWN_CONTEXT_WINDOW
    await sync_to_async(update_provider)(local, {"context_window": 16384})
    assert await sync_to_async(window)(handle, org) == (16384, "provider_default")

    fake_openai.n_ctx = 6144  # the server tells, once asked
    await aresolve(handle, org.id)
    assert await sync_to_async(window)(handle, org) == (6144, "server")
    assert await sync_to_async(window)("local/gpt-4o", org) == (128_000, "known_model")

    await sync_to_async(set_model_setting)(local, GGUF, context_window=4096, alias="gemma")
    assert await sync_to_async(window)(handle, org) == (4096, "model_setting")
    assert await sync_to_async(window)("local/gemma", org) == (4096, "model_setting")
    assert await sync_to_async(window)("local/gemma", org, limit=2000) == (2000, "agent")


@pytest.mark.django_db
def test_the_official_apis_default_is_no_guess(org, settings):
    settings.LLM_PROVIDERS = {"openai": {"kind": "openai", "api_key": "k", "base_url": None}}
    assert window("openai/some-new-model", org) == (128_000, "default")
    assert window("anthropic/claude-sonnet-4-5", org) == (128_000, "known_model")  # within the global cap


def test_the_environments_windows_are_set_by_handle(settings, fake_openai):
    settings.LLM_PROVIDERS = {
        "ollama": {"kind": "openai_compatible", "api_key": None, "base_url": fake_openai.base_url}
    }
    settings.MODEL_CONTEXT_WINDOWS = {"ollama/qwen2.5:7b": 32768, "ollama/*": 4096, "vllm/other": 5}
    assert context_window_of("ollama/qwen2.5:7b", None).source == "model_setting"
    assert resolve("ollama/qwen2.5:7b").context_window == 32768
    assert (resolve("ollama/llama3").context_window, context_window_is_guess("ollama/llama3", None)) == (4096, False)
    settings.MODEL_CONTEXT_WINDOWS = {}
    assert context_window_is_guess("ollama/llama3", None) is True


@pytest.mark.django_db(transaction=True)
async def test_a_path_is_listed_by_its_stem_and_an_alias_by_its_name(org, local):
    listed = {m["handle"]: m for m in await list_models(org.id)}
    gemma = listed["local/gemma-3-270m-it-Q4_K_M"]
    assert gemma["name"] == gemma["model"] == GGUF and gemma["compatibility_type"] == "gguf"
    assert gemma["display_name"] == "gemma-3-270m-it-Q4_K_M" and gemma["context_window_is_guess"] is True
    assert not any("//" in handle for handle in listed)

    await sync_to_async(set_model_setting)(local, GGUF, context_window=8000, alias="gemma")
    listed = {m["handle"]: m for m in await list_models(org.id)}
    assert "local/gemma-3-270m-it-Q4_K_M" not in listed
    assert (listed["local/gemma"]["context_window"], listed["local/gemma"]["max_context_window"]) == (8000, 8000)
    assert listed["local/gemma"]["context_window_source"] == "model_setting"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", ["gemma-3-270m-it-Q4_K_M", GGUF, "gemma"])
async def test_an_agent_on_a_readable_handle_sends_the_servers_id(org, local, make_agent, fake_openai, model):
    if model == "gemma":
        await sync_to_async(set_model_setting)(local, GGUF, context_window=None, alias="gemma")
    agent = await sync_to_async(make_agent)(model=f"local/{model}")
    fake_openai.known_models_only = True
    fake_openai.script(Reply(text="Hi."))

    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "end_turn", result.error
    assert fake_openai.last_request["model"] == GGUF


@pytest.mark.django_db(transaction=True)
async def test_a_name_the_server_does_not_serve_is_its_404(org, local, make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(model="local/gemma-typo")
    fake_openai.known_models_only = True

    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "llm_api_error" and "gemma-typo" in result.error["message"]
