"""The environment readers: a malformed value is refused naming the variable and the form it wants."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from letta_project.env import env_bool, env_choice, env_int, env_list, env_path, env_seconds, env_str, env_url

ROOT = Path(__file__).resolve().parents[2]


def test_unset_and_blank_values_give_the_default():
    for environ in ({}, {"X": "  "}):
        assert env_str("X", "d", environ=environ) == "d"
        assert env_int("X", 3, environ=environ) == 3
        assert env_seconds("X", 2.5, environ=environ) == 2.5
        assert env_bool("X", True, environ=environ) is True
        assert env_list("X", ["a"], environ=environ) == ["a"]
        assert env_url("X", schemes=("redis",), environ=environ) is None


def test_well_formed_values_are_parsed():
    assert env_int("N", 1, environ={"N": " 42 "}) == 42
    assert env_seconds("T", 1, environ={"T": "0.5"}) == 0.5
    assert env_bool("B", environ={"B": "Yes"}) is True
    assert env_bool("B", True, environ={"B": "off"}) is False
    assert env_list("L", [], environ={"L": "a, b,,c"}) == ["a", "b", "c"]
    assert env_path("P", Path("/x"), environ={"P": "/data"}) == Path("/data")
    assert env_url("R", schemes=("redis",), environ={"R": "redis://127.0.0.1:6379/0"}) == "redis://127.0.0.1:6379/0"
    assert env_choice("LVL", "INFO", ("INFO", "DEBUG"), environ={"LVL": "debug"}) == "DEBUG"


@pytest.mark.parametrize(
    ("name", "reader", "value", "expected"),
    [
        ("LETTA_LLM_MAX_RETRIES", lambda n, e: env_int(n, 3, environ=e), "three", "a whole number"),
        ("LETTA_TOOL_TIMEOUT", lambda n, e: env_seconds(n, 30, environ=e), "30s", "a positive number of seconds"),
        ("LETTA_TOOL_TIMEOUT", lambda n, e: env_seconds(n, 30, environ=e), "-1", "a positive number of seconds"),
        ("DJANGO_DEBUG", lambda n, e: env_bool(n, environ=e), "maybe", "true or false"),
        ("REDIS_URL", lambda n, e: env_url(n, schemes=("redis",), environ=e), "127.0.0.1:6379", "redis://"),
        ("LETTA_LOG_LEVEL", lambda n, e: env_choice(n, "INFO", ("INFO",), environ=e), "loud", "one of INFO"),
    ],
)
def test_a_malformed_value_names_the_variable_and_the_form(name, reader, value, expected):
    with pytest.raises(ImproperlyConfigured) as refused:
        reader(name, {name: value})
    message = str(refused.value)
    assert message.startswith(f"{name} must be")
    assert expected in message and repr(value) in message


def test_the_server_refuses_to_start_with_a_malformed_setting(tmp_path):
    environment = {**os.environ, "LETTA_DATA_DIR": str(tmp_path), "LETTA_TOOL_TIMEOUT": "thirty"}
    started = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert started.returncode != 0
    assert "LETTA_TOOL_TIMEOUT must be a positive number of seconds" in started.stderr
    assert "'thirty'" in started.stderr
