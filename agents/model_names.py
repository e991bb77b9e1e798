"""Readable names for the models a server lists: the model part of a `provider/model` handle.

llama.cpp's server lists its model as the file it loaded (`/models/gemma-3-270m-it-Q4_K_M.gguf`) and vLLM as the
Hugging Face repository (`google/gemma-3-270m-it`), so their handles would read `local//models/...gguf`. A model
is named by the alias its provider record gives it, else (an id that is a path) by its file stem, else by its id.
`wire_id` maps a name back to the id the server wants on the wire; an id itself (the old handle) still works.
Pure functions: the caller supplies the ids it knows (the provider's settings and its last model list).
"""

import re
from collections import Counter
from collections.abc import Iterable, Mapping

_FILE_SUFFIXES = (".gguf", ".bin")


def is_path_like(model_id: str) -> bool:
    return "/" in model_id or "\\" in model_id or model_id.lower().endswith(_FILE_SUFFIXES)


def file_stem(model_id: str) -> str:
    """`/models/gemma-3-270m-it-Q4_K_M.gguf` -> `gemma-3-270m-it-Q4_K_M`; `google/gemma-2b` -> `gemma-2b`."""
    last = re.split(r"[\\/]", model_id.rstrip("/\\"))[-1]
    for suffix in _FILE_SUFFIXES:
        if last.lower().endswith(suffix) and len(last) > len(suffix):
            last = last[: -len(suffix)]
    return last or model_id


def readable_names(ids: Iterable[str], aliases: Mapping[str, str]) -> dict[str, str]:
    """id -> the model part of its handle. A path's stem is used only when it names one model and is neither an
    alias nor another listed id: two files of one name (or a stem that is another model's id) keep their ids."""
    ids = list(dict.fromkeys(ids))
    taken = set(aliases.values()) | {i for i in ids if not is_path_like(i)}
    stems = Counter(file_stem(i) for i in ids if i not in aliases and is_path_like(i))
    names = {}
    for model_id in ids:
        if model_id in aliases:
            names[model_id] = aliases[model_id]
        elif is_path_like(model_id) and stems[file_stem(model_id)] == 1 and file_stem(model_id) not in taken:
            names[model_id] = file_stem(model_id)
        else:
            names[model_id] = model_id
    return names


def wire_id(name: str, ids: Iterable[str], aliases: Mapping[str, str]) -> str:
    """The id the server wants for a handle's model part: an alias's model, an id as it is, a stem's file; a name
    none of them knows goes as it is (the server may serve models it does not list)."""
    for model_id, alias in aliases.items():
        if alias == name:
            return model_id
    ids = list(ids)
    if name in ids or is_path_like(name):
        return name
    for model_id, readable in readable_names([*ids, *aliases], aliases).items():
        if readable == name:
            return model_id
    return name
