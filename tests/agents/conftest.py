import pytest

from accounts.models import Organization
from agents import services


@pytest.fixture
def providers(settings, fake_openai, fake_anthropic):
    """Point the server's providers at the fake OpenAI and Anthropic servers."""
    settings.LLM_PROVIDERS = {
        "openai": {"kind": "openai", "api_key": "sk-test", "base_url": fake_openai.base_url},
        "anthropic": {"kind": "anthropic", "api_key": "sk-ant-test", "base_url": fake_anthropic.base_url},
    }
    settings.LLM_MAX_RETRIES = 2
    return settings.LLM_PROVIDERS


@pytest.fixture
def org(db):
    return Organization.default()


@pytest.fixture
def make_agent(org, providers):
    def make(name="helper", model="openai/gpt-4.1-mini", blocks=None, **kwargs):
        if blocks is None:
            blocks = [
                {"label": "human", "value": "Name: unknown", "limit": 2000},
                {"label": "persona", "value": "I am a helpful assistant.", "limit": 2000},
            ]
        return services.create_agent(organization_id=org.id, name=name, model=model, memory_blocks=blocks, **kwargs)

    return make
