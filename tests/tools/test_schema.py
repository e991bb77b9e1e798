from typing import Any, Dict, Literal  # noqa: UP035

import pytest

from tools.context import ToolContext
from tools.schema import SchemaError, check_arguments, schema_from_function, schema_from_source, validate_tool_name


def memory_insert(ctx: ToolContext, label: str, new_string: str, insert_line: int = -1) -> str:
    """Insert text at a specific line in a memory block.

    Use it to add facts without rewriting the block.

    Args:
        label: Section of the memory to be edited.
        new_string: The text to insert.
        insert_line: Line number after which to insert (0 = top, -1 = end).

    Returns:
        str: The updated block.
    """


def test_function_schema_shape_and_descriptions():
    schema = schema_from_function(memory_insert)
    assert schema == {
        "name": "memory_insert",
        "description": "Insert text at a specific line in a memory block.\n\n"
        "Use it to add facts without rewriting the block.",
        "parameters": {
            "type": "object",
            "properties": {
                "label": {"type": "string", "description": "Section of the memory to be edited."},
                "new_string": {"type": "string", "description": "The text to insert."},
                "insert_line": {
                    "type": "integer",
                    "description": "Line number after which to insert (0 = top, -1 = end).",
                },
            },
            "required": ["label", "new_string"],
        },
    }


@pytest.mark.parametrize("first", ["self", "agent_state", "ctx"])
def test_context_like_first_parameter_is_skipped(first):
    source = f'def t({first}, q: str):\n    """Search."""\n'
    assert list(schema_from_source(source)["parameters"]["properties"]) == ["q"]


def test_parameter_annotated_tool_context_is_skipped_under_any_name():
    def lookup(context: ToolContext, query: str) -> str:
        """Look something up."""

    assert schema_from_function(lookup)["parameters"]["required"] == ["query"]


def typed_tool(
    a: str,
    b: int,
    c: float,
    d: bool,
    e: list[str],
    f: list[int],
    g: dict,
    h: Dict[str, Any],  # noqa: UP006
    i: str | None,
    j: int | None = None,
    k: Literal["x", "y"] = "x",  # noqa: UP045
    m: list[dict] = None,
    n: Any = None,
    o: list = None,
):
    """Every supported type."""


EXPECTED_TYPES = {
    "a": {"type": "string"},
    "b": {"type": "integer"},
    "c": {"type": "number"},
    "d": {"type": "boolean"},
    "e": {"type": "array", "items": {"type": "string"}},
    "f": {"type": "array", "items": {"type": "integer"}},
    "g": {"type": "object"},
    "h": {"type": "object"},
    "i": {"type": "string"},
    "j": {"type": "integer"},
    "k": {"type": "string", "enum": ["x", "y"]},
    "m": {"type": "array", "items": {"type": "object"}},
    "n": {},
    "o": {"type": "array"},
}


def _types(schema):
    return {
        k: {kk: vv for kk, vv in v.items() if kk != "description"}
        for k, v in schema["parameters"]["properties"].items()
    }


def test_type_mapping_from_function():
    schema = schema_from_function(typed_tool)
    assert _types(schema) == EXPECTED_TYPES
    # Optional without a default is still required: only a default makes a parameter optional.
    assert schema["parameters"]["required"] == ["a", "b", "c", "d", "e", "f", "g", "h", "i"]


SOURCE_ALL_TYPES = '''
import typing
from typing import Any, Dict, List, Literal, Optional

def helper(x):
    return x

def typed_tool(a: str, b: int, c: float, d: bool, e: list[str], f: List[int], g: dict, h: Dict[str, Any],
               i: typing.Optional[str], j: int | None = None, k: Literal["x", "y"] = "x",
               m: "list[dict]" = None, n: Any = None, o: list = None):
    """Every supported type.

    Args:
        a: First.
    """
    raise RuntimeError("never executed")
'''


def test_type_mapping_from_source_matches_function():
    schema = schema_from_source(SOURCE_ALL_TYPES)
    assert schema["name"] == "typed_tool"
    assert _types(schema) == EXPECTED_TYPES
    assert schema["parameters"]["required"] == ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
    assert schema["parameters"]["properties"]["a"]["description"] == "First."
    assert schema["parameters"]["properties"]["b"]["description"] == ""


def test_source_picks_named_or_last_function_and_keyword_only_defaults():
    source = (
        'def first(a: str):\n    """First."""\n\n'
        'async def second(b: int, *, c: bool = False, d: str, **kw):\n    """Second."""\n'
    )
    assert schema_from_source(source)["name"] == "second"
    assert schema_from_source(source)["parameters"]["required"] == ["b", "d"]
    assert schema_from_source(source, "first")["parameters"]["required"] == ["a"]
    with pytest.raises(SchemaError, match="no top-level function named 'third'.*first, second"):
        schema_from_source(source, "third")


def test_literal_of_ints_and_mixed():
    source = 'from typing import Literal\ndef t(a: Literal[1, 2], b: Literal["x", 1]):\n    """T."""\n'
    props = schema_from_source(source)["parameters"]["properties"]
    assert props["a"] == {"type": "integer", "enum": [1, 2], "description": ""}
    assert props["b"] == {"enum": ["x", 1], "description": ""}


def test_syntax_error_reports_line():
    with pytest.raises(SchemaError, match="syntax error on line 2"):
        schema_from_source("def t(a: str):\n    return (\n")


def test_no_function_in_source():
    with pytest.raises(SchemaError, match="defines no top-level function"):
        schema_from_source("x = 1\n")


def test_missing_docstring_is_an_error():
    with pytest.raises(SchemaError, match="'t' needs a docstring"):
        schema_from_source("def t(a: str):\n    return a\n")

    def nodoc(a: str):
        return a

    with pytest.raises(SchemaError, match="needs a docstring"):
        schema_from_function(nodoc)


@pytest.mark.parametrize(
    "annotation, fragment",
    [
        ("set[str]", "'set' is not a supported type"),
        ("str | int", "union of several types"),
        ("Foo", "'Foo' is not a supported type"),
        ("tuple[int, int]", "'tuple' is not a supported type"),
        ("str[int]", "cannot take type arguments"),
        ("list[str, int]", "one item type"),
        ("Optional[str, int]", "requires a single type. Got"),
        ("Literal[x]", "plain constants"),
    ],
)
def test_unsupported_annotations_name_the_parameter(annotation, fragment):
    source = f'def t(ok: str, bad: {annotation}):\n    """T."""\n'
    with pytest.raises(SchemaError) as info:
        schema_from_source(source)
    message = str(info.value)
    assert "Parameter 'bad' of tool 't' (line 1)" in message
    assert fragment in message
    assert "Supported types:" in message


def test_missing_annotation_is_an_error():
    with pytest.raises(SchemaError, match="Parameter 'a' of tool 't' .*needs a type annotation"):
        schema_from_source('def t(a):\n    """T."""\n')


def test_unsupported_runtime_annotation_names_the_parameter():
    def t(a: str, when: set):
        """T."""

    with pytest.raises(SchemaError, match="Parameter 'when' of tool 't' has an unsupported type annotation `set`"):
        schema_from_function(t)


def test_string_annotations_from_function_are_read_without_evaluation():
    def t(ctx: "ToolContext", a: "Widget | None"):  # noqa: F821
        """T."""

    with pytest.raises(SchemaError, match="'Widget' is not a supported type"):
        schema_from_function(t)


def test_tool_name_validation():
    validate_tool_name("send_message")
    with pytest.raises(SchemaError, match="limit is 48"):
        validate_tool_name("x" * 49)
    for bad in ("1tool", "my-tool", "class", ""):
        with pytest.raises(SchemaError):
            validate_tool_name(bad)


SCHEMA = schema_from_function(memory_insert)


def test_check_arguments_ok():
    assert check_arguments(SCHEMA, {"label": "human", "new_string": "x"}) == []
    assert check_arguments(SCHEMA["parameters"], {"label": "human", "new_string": "x", "insert_line": 0}) == []


def test_check_arguments_reports_each_problem():
    problems = check_arguments(SCHEMA, {"new_string": 3, "insert_line": "2", "colour": "red"})
    assert problems == [
        "missing required argument 'label'",
        "unexpected argument 'colour' (expected: label, new_string, insert_line)",
        "argument 'new_string' must be a string, got integer",
        "argument 'insert_line' must be an integer, got string",
    ]


def test_check_arguments_numbers_bools_arrays_enums_and_null():
    schema = {
        "type": "object",
        "required": ["n"],
        "properties": {
            "n": {"type": "number"},
            "i": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "mode": {"type": "string", "enum": ["a", "b"]},
            "opt": {"type": "string"},
            "any": {},
        },
    }
    assert check_arguments(schema, {"n": 2, "opt": None, "any": [1]}) == []
    assert check_arguments(schema, {"n": 2.5, "i": 3}) == []
    assert check_arguments(schema, {"n": True, "i": False, "tags": ["x", 1], "mode": "c"}) == [
        "argument 'n' must be a number, got boolean",
        "argument 'i' must be an integer, got boolean",
        "argument 'tags' item 1 must be a string, got integer",
        "argument 'mode' must be one of 'a', 'b'; got 'c'",
    ]
    assert check_arguments(schema, {"n": None}) == ["argument 'n' must be a number, got null"]
