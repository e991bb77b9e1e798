"""Readable handles for models a server lists by file path (agents/model_names.py)."""

from agents.model_names import file_stem, is_path_like, readable_names, wire_id

GGUF = "/models/gemma-3-270m-it-Q4_K_M.gguf"


def test_a_path_is_named_by_its_file_stem():
    assert is_path_like(GGUF) and is_path_like("google/gemma-2b") and is_path_like("gemma.bin")
    assert not is_path_like("qwen2.5:7b")
    assert file_stem(GGUF) == "gemma-3-270m-it-Q4_K_M"
    assert file_stem("C:\\models\\tiny.GGUF") == "tiny"
    assert file_stem("google/gemma-2b") == "gemma-2b"
    assert readable_names([GGUF, "qwen2.5:7b"], {}) == {GGUF: "gemma-3-270m-it-Q4_K_M", "qwen2.5:7b": "qwen2.5:7b"}


def test_an_alias_wins_and_maps_back_to_the_id():
    assert readable_names([GGUF], {GGUF: "gemma"}) == {GGUF: "gemma"}
    assert wire_id("gemma", [GGUF], {GGUF: "gemma"}) == GGUF
    assert wire_id("gemma-3-270m-it-Q4_K_M", [GGUF], {}) == GGUF
    assert wire_id(GGUF, [], {}) == GGUF  # the old path handle still works
    assert wire_id("not-listed", [GGUF], {}) == "not-listed"  # a server may serve what it does not list


def test_two_files_of_one_name_keep_their_paths():
    ids = ["/a/tiny.gguf", "/b/tiny.gguf", "/c/qwen.gguf", "qwen"]
    names = readable_names(ids, {})
    assert names == {
        "/a/tiny.gguf": "/a/tiny.gguf",
        "/b/tiny.gguf": "/b/tiny.gguf",
        "/c/qwen.gguf": "/c/qwen.gguf",
        "qwen": "qwen",
    }
    assert wire_id("tiny", ids, {}) == "tiny" and wire_id("qwen", ids, {}) == "qwen"
