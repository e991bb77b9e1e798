"""LETTA_MODEL_CONTEXT_WINDOWS: windows of the environment's providers' models, by handle."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from letta_project.env import env_int_map

NAME = "LETTA_MODEL_CONTEXT_WINDOWS"


def test_pairs_are_read_by_handle():
    value = " ollama/qwen2.5:7b=32768, openai//models/gemma.gguf=8192,ollama/*=4096,"
    assert env_int_map(NAME, environ={NAME: value}) == {
        "ollama/qwen2.5:7b": 32768,
        "openai//models/gemma.gguf": 8192,
        "ollama/*": 4096,
    }
    assert env_int_map(NAME, environ={}) == {}


@pytest.mark.parametrize("value", ["ollama/qwen", "ollama/qwen=", "=8192", "ollama/qwen=0", "ollama/qwen=8k"])
def test_a_malformed_pair_stops_the_server_naming_it(value):
    with pytest.raises(ImproperlyConfigured, match=f"{NAME} must be .*it has '{value}'"):
        env_int_map(NAME, environ={NAME: value})
