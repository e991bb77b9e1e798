"""Typed readers for the environment variables `settings.py` reads.

A malformed value stops the server at start-up with a message naming the variable, the form it expects and what
it found, rather than a bare `ValueError` from `int()` or, worse, a value silently taken as its default.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return None if value is None or not value.strip() else value.strip()


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's text; unset or blank gives `default`."""
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool = False, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off); it is {value!r}.")


def env_int(name: str, default: int, *, minimum: int = 0, environ: Mapping[str, str] | None = None) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, e.g. {name}={default}; it is {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; it is {value!r}.")
    return number


def env_seconds(name: str, default: float, *, environ: Mapping[str, str] | None = None) -> float:
    """A positive duration in seconds (a decimal is allowed)."""
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise ImproperlyConfigured(
            f"{name} must be a positive number of seconds, e.g. {name}={default:g}; it is {value!r}."
        )
    return seconds


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path, *, environ: Mapping[str, str] | None = None) -> Path:
    value = _raw(name, environ)
    return default if value is None else Path(value).expanduser()


def env_url(name: str, *, schemes: tuple[str, ...], environ: Mapping[str, str] | None = None) -> str | None:
    """A URL whose scheme is one of `schemes`; unset gives None."""
    value = _raw(name, environ)
    if value is None:
        return None
    scheme, sep, rest = value.partition("://")
    if not sep or not rest or scheme.lower() not in schemes:
        forms = " or ".join(f"{s}://..." for s in schemes)
        raise ImproperlyConfigured(f"{name} must be a URL of the form {forms}; it is {value!r}.")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    if value is None:
        return default
    if value.upper() not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; it is {value!r}.")
    return value.upper()


def env_int_map(name: str, *, environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """Comma-separated `key=number` pairs (a key may itself hold '=': the last one splits); unset gives {}."""
    value = _raw(name, environ)
    if value is None:
        return {}
    found = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        key, sep, number = item.rpartition("=")
        if not sep or not key.strip() or not number.strip().isdigit() or int(number) < 1:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated key=tokens pairs with tokens a positive whole number, e.g. "
                f"{name}=vllm/gemma-3-270m-it=8192,ollama/*=32768; it has {item!r}."
            )
        found[key.strip()] = int(number)
    return found
