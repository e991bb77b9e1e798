"""The model pickers offer what the organization's providers list, and never drop an agent's own model."""

from agents.model_choices import embedding_choices, forget_models, model_choices


def test_the_pickers_offer_the_providers_models(org, providers):
    forget_models(org.id)
    handles = [choice.handle for choice in model_choices(org.id)]

    assert "openai/gpt-4.1-mini" in handles
    assert any(handle.startswith("anthropic/") for handle in handles)
    assert all(not handle.startswith("anthropic/") for handle in [c.handle for c in embedding_choices(org.id)])


def test_an_agents_model_stays_offered_when_no_provider_lists_it(org, providers):
    forget_models(org.id)
    choices = model_choices(org.id, current="openai/retired-model")

    assert choices[0].handle == "openai/retired-model"
    assert "not listed" in choices[0].label


def test_a_provider_added_by_another_server_process_shows_at_once(org, providers, fake_openai, monkeypatch):
    from agents import model_choices as choices_module
    from agents.provider_services import create_provider

    forget_models(org.id)
    before = [choice.handle for choice in model_choices(org.id)]
    assert not any(handle.startswith("local/") for handle in before)
    # Another process's provider service forgets the lists of its own process, not of this one.
    monkeypatch.setattr("agents.provider_services.forget_models", lambda organization_id: None)
    fake_openai.models = ["gemma-3-270m"]
    base_url = fake_openai.base_url.replace("127.0.0.1", "localhost")
    create_provider(organization_id=org.id, name="local", provider_type="openai_compatible", base_url=base_url)

    assert "local/gemma-3-270m" in [choice.handle for choice in choices_module.model_choices(org.id)]
