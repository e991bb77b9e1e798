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
