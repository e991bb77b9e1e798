"""Checks of a provider's context window and per-model settings (agents/provider_services.py): a bad value is
refused with a message naming the model and the fix, and nothing is stored."""

import pytest

from accounts.models import Provider
from agents.provider_services import ModelSettingError, create_provider, set_model_setting, update_provider

pytestmark = pytest.mark.django_db

GGUF = "/models/gemma-3-270m-it-Q4_K_M.gguf"


@pytest.fixture
def local(org, settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    return create_provider(
        organization_id=org.id, name="local", provider_type="openai_compatible", base_url="http://127.0.0.1:9/v1"
    )


def test_settings_are_stored_and_empty_entries_dropped(org, settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    provider = create_provider(
        organization_id=org.id,
        name="box",
        provider_type="ollama",
        base_url="http://127.0.0.1:9/v1",
        context_window=16384,
        model_settings={GGUF: {"context_window": 8192, "alias": " gemma "}, "other": {"alias": ""}},
    )
    provider.refresh_from_db()
    assert provider.context_window == 16384
    assert provider.model_settings == {GGUF: {"context_window": 8192, "alias": "gemma"}}


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"context_window": 0}, "from 1 to 128,000"),
        ({"context_window": 128_001}, "LETTA_DEFAULT_CONTEXT_WINDOW"),
        ({"context_window": "8192"}, "whole number"),
        ({"context_window": True}, "whole number"),
        ({"model_settings": {GGUF: {"context_window": -5}}}, f"model '{GGUF}'"),
        ({"model_settings": {GGUF: {"alias": "models/gemma"}}}, "without '/'"),
        ({"model_settings": {GGUF: {"alias": "gemma 3"}}}, "not a short name"),
        ({"model_settings": {GGUF: {"alias": "g"}, "/m/b.gguf": {"alias": "g"}}}, "given to both"),
        ({"model_settings": {GGUF: {"alias": "qwen"}, "qwen": {"context_window": 4096}}}, "id of another model"),
        ({"model_settings": {GGUF: {"windows": 5}}}, "only context_window and alias"),
        ({"model_settings": ["gemma"]}, "must be an object"),
    ],
    ids=["zero", "over-cap", "text", "bool", "negative", "slash", "space", "alias-twice", "alias-is-id", "key", "list"],
)
def test_bad_settings_are_refused_and_nothing_is_stored(local, changes, words):
    set_model_setting(local, "kept", context_window=4096, alias=None)
    with pytest.raises(ModelSettingError, match=words.replace("(", r"\(")):
        update_provider(local, {"base_url": "http://127.0.0.1:10/v1", **changes})
    stored = Provider.objects.get(pk=local.pk)
    assert stored.base_url == "http://127.0.0.1:9/v1" and stored.context_window is None
    assert stored.model_settings == {"kept": {"context_window": 4096, "alias": None}}


def test_one_models_setting_is_set_and_cleared(local):
    set_model_setting(local, GGUF, context_window=8192, alias="gemma")
    set_model_setting(local, "qwen", context_window=None, alias="q")
    assert Provider.objects.get(pk=local.pk).model_settings[GGUF] == {"context_window": 8192, "alias": "gemma"}
    with pytest.raises(ModelSettingError, match="given to both") as refused:
        set_model_setting(local, "other", context_window=None, alias="gemma")
    assert refused.value.field == "alias"
    set_model_setting(local, GGUF, context_window=None, alias=None)
    assert Provider.objects.get(pk=local.pk).model_settings == {"qwen": {"context_window": None, "alias": "q"}}
