"""OpenAI-style JSON schemas for tools, built from a Python function or from its source text.

Letta users create tools by sending source code, so `schema_from_source` reads it with `ast` and never runs it;
every error message names the function or parameter at fault and says what to change. Both entry points turn
annotations into typing objects first, so one mapping (`_type_schema`) decides what a type means.
"""

import ast
import inspect
import keyword
import types
import typing
from typing import Any, Literal

import docstring_parser

from accounts.errors import DomainError

MAX_TOOL_NAME_LENGTH = 48
SUPPORTED_TYPES = "str, int, float, bool, list[...], dict, Optional[...] / X | None, Literal[...], Any"
SKIPPED_FIRST_PARAMETERS = {"ctx", "self", "agent_state"}
# Names an annotation in tool source may use, bare or as `typing.X`.
_KNOWN_NAMES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "None": None,
    "List": list,
    "Dict": dict,
    "Optional": typing.Optional,
    "Union": typing.Union,  # noqa: UP006
    "Literal": typing.Literal,
    "Any": typing.Any,
}
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


class SchemaError(DomainError, ValueError):
    """A tool's schema cannot be built; the message tells the author what to fix."""


class _Unsupported(Exception):
    """Raised while reading one annotation; the caller adds which parameter it belongs to."""


def validate_tool_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise SchemaError("Tool name must be a non-empty string.")
    if len(name) > MAX_TOOL_NAME_LENGTH:
        raise SchemaError(f"Tool name '{name}' is {len(name)} characters long; the limit is {MAX_TOOL_NAME_LENGTH}.")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise SchemaError(
            f"Tool name '{name}' is not a valid Python identifier: use letters, digits and underscores, "
            "not starting with a digit."
        )


# ------------------------------------------------------------------------------------------ from a function


def schema_from_function(func) -> dict:
    """The tool schema for a Python function, from its signature and Google-style docstring."""
    name = func.__name__
    validate_tool_name(name)
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - unresolvable forward refs: fall back to reading the strings ourselves
        hints = {}
    params = []
    for index, param in enumerate(inspect.signature(func).parameters.values()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue  # the model can only fill named parameters
        annotation = hints.get(param.name, param.annotation)
        if index == 0 and _is_context_parameter(param.name, annotation):
            continue
        if annotation is inspect.Parameter.empty:
            raise SchemaError(_missing_annotation(name, param.name))
        try:
            tp = _eval_annotation(_parse_expr(annotation)) if isinstance(annotation, str) else annotation
            type_schema = _type_schema(tp)
        except _Unsupported as exc:
            raise SchemaError(_bad_annotation(name, param.name, _type_repr(annotation), exc)) from None
        params.append((param.name, type_schema, param.default is not inspect.Parameter.empty))
    return _build(name, inspect.getdoc(func), params)


def _is_context_parameter(name: str, annotation) -> bool:
    if name in SKIPPED_FIRST_PARAMETERS:
        return True
    if isinstance(annotation, str):
        return annotation.rsplit(".", 1)[-1] == "ToolContext"
    return getattr(annotation, "__name__", None) == "ToolContext"


def _type_repr(annotation) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


# ---------------------------------------------------------------------------------------------- from source


def schema_from_source(source_code: str, name: str | None = None) -> dict:
    """The tool schema for function `name` (or the last top-level function) in `source_code`, without running it."""
    try:
        tree = ast.parse(source_code)
    except SyntaxError as exc:
        raise SchemaError(f"The tool's source code has a syntax error on line {exc.lineno}: {exc.msg}.") from None
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not functions:
        raise SchemaError(
            "The tool's source code defines no top-level function; define one with `def tool_name(...):`."
        )
    if name is None:
        node = functions[-1]
    else:
        matches = [f for f in functions if f.name == name]
        if not matches:
            found = ", ".join(f.name for f in functions)
            raise SchemaError(f"The tool's source code has no top-level function named '{name}' (found: {found}).")
        node = matches[-1]  # a later definition wins, as it would when the module runs
    validate_tool_name(node.name)
    return _build(node.name, ast.get_docstring(node), _source_params(node))


def _source_params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, dict, bool]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    entries = [(arg, i >= first_default) for i, arg in enumerate(positional)]
    entries += [(arg, default is not None) for arg, default in zip(args.kwonlyargs, args.kw_defaults)]
    params = []
    for index, (arg, has_default) in enumerate(entries):
        if index == 0 and _is_context_arg(arg):
            continue
        if arg.annotation is None:
            raise SchemaError(_missing_annotation(node.name, arg.arg, arg.lineno))
        try:
            type_schema = _type_schema(_eval_annotation(arg.annotation))
        except _Unsupported as exc:
            shown = ast.unparse(arg.annotation)
            raise SchemaError(_bad_annotation(node.name, arg.arg, shown, exc, arg.lineno)) from None
        params.append((arg.arg, type_schema, has_default))
    return params


def _is_context_arg(arg: ast.arg) -> bool:
    annotation = arg.annotation
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return _is_context_parameter(arg.arg, annotation.value)
    shown = ast.unparse(annotation) if annotation is not None else ""
    return arg.arg in SKIPPED_FIRST_PARAMETERS or shown.rsplit(".", 1)[-1] == "ToolContext"


def _parse_expr(text: str) -> ast.expr:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise _Unsupported(f"the annotation string {text!r} is not a valid expression") from None


def _eval_annotation(node: ast.expr) -> Any:
    """Turn an annotation's AST into the typing object it names, for the small set of names tools may use."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return None
        if isinstance(node.value, str):  # a quoted (forward-reference) annotation
            return _eval_annotation(_parse_expr(node.value))
        raise _Unsupported(f"{node.value!r} is not a type")
    if isinstance(node, ast.Name):
        if node.id in _KNOWN_NAMES:
            return _KNOWN_NAMES[node.id]
        raise _Unsupported(f"'{node.id}' is not a supported type")
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in ("typing", "typing_extensions"):
            if node.attr in _KNOWN_NAMES:
                return _KNOWN_NAMES[node.attr]
        raise _Unsupported(f"'{ast.unparse(node)}' is not a supported type")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return typing.Union[_eval_annotation(node.left), _eval_annotation(node.right)]  # noqa: UP007
    if isinstance(node, ast.Subscript):
        base = _eval_annotation(node.value)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base is typing.Literal:
            return Literal[tuple(_literal_value(item) for item in items)]
        if base not in (list, dict, typing.List, typing.Dict, typing.Optional, typing.Union):  # noqa: UP006
            raise _Unsupported(f"'{ast.unparse(node.value)}' cannot take type arguments")
        args = tuple(_eval_annotation(item) for item in items)
        try:
            return base[args if len(args) > 1 else args[0]]
        except TypeError as exc:
            raise _Unsupported(str(exc)) from None
    raise _Unsupported(f"'{ast.unparse(node)}' is not a type annotation this server understands")


def _literal_value(node: ast.expr):
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise _Unsupported(f"Literal values must be plain constants, not '{ast.unparse(node)}'") from None
    if not isinstance(value, str | int | float | bool) and value is not None:
        raise _Unsupported(f"Literal values must be strings, numbers or booleans, not '{ast.unparse(node)}'")
    return value


# ------------------------------------------------------------------------------------------------- shared


def _type_schema(tp) -> dict:
    """JSON schema for one (already evaluated) annotation."""
    if tp is Any:
        return {}
    if isinstance(tp, type) and tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is list or origin is list:
        if len(args) > 1:
            raise _Unsupported("a list takes one item type, e.g. list[str]")
        return {"type": "array", "items": _type_schema(args[0])} if args else {"type": "array"}
    if tp is dict or origin is dict:
        return {"type": "object"}
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _type_schema(options[0])
        raise _Unsupported("a union of several types is not supported; pick one type (Optional[X] is fine)")
    if origin is Literal:
        return _enum_schema(list(args))
    if tp is None or tp is type(None):
        raise _Unsupported("None alone is not a parameter type")
    raise _Unsupported("this type has no JSON schema equivalent here")


def _enum_schema(values: list) -> dict:
    kinds = {_SCALARS.get(type(v)) for v in values}
    schema: dict = {"enum": values}
    if len(kinds) == 1 and None not in kinds:
        schema = {"type": kinds.pop(), "enum": values}
    return schema


def _missing_annotation(func: str, param: str, line: int | None = None) -> str:
    where = f" (line {line})" if line else ""
    return (
        f"Parameter '{param}' of tool '{func}'{where} needs a type annotation, e.g. `{param}: str`. "
        f"Supported types: {SUPPORTED_TYPES}."
    )


def _bad_annotation(func: str, param: str, shown: str, exc: Exception, line: int | None = None) -> str:
    where = f" (line {line})" if line else ""
    reason = str(exc).rstrip(".")
    return (
        f"Parameter '{param}' of tool '{func}'{where} has an unsupported type annotation `{shown}`: {reason}. "
        f"Supported types: {SUPPORTED_TYPES}."
    )


def _build(name: str, docstring: str | None, params: list[tuple[str, dict, bool]]) -> dict:
    if not docstring or not docstring.strip():
        raise SchemaError(
            f"Tool '{name}' needs a docstring: describe what the tool does on its first line, "
            "and each parameter under an 'Args:' section (Google style)."
        )
    doc = docstring_parser.parse(docstring)
    description = "\n\n".join(part for part in (doc.short_description, doc.long_description) if part)
    param_docs = {p.arg_name: (p.description or "").strip() for p in doc.params}
    properties = {}
    required = []
    for param, type_schema, has_default in params:
        properties[param] = {**type_schema, "description": param_docs.get(param, "")}
        if not has_default:
            required.append(param)
    return {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required},
    }


# ------------------------------------------------------------------------------------------ argument checks

_JSON_TYPE_NAMES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}
_ARTICLE = {"integer": "an integer", "array": "an array", "object": "an object"}


def check_arguments(schema: dict, arguments: dict) -> list[str]:
    """Problems with a tool call's arguments, one readable sentence each; empty when the call looks fine.

    Deliberately light: required, unknown, JSON types (one level into arrays) and enums. `schema` is either
    the whole function schema or just its `parameters` object.
    """
    params = schema.get("parameters", schema)
    properties: dict = params.get("properties") or {}
    required = params.get("required") or []
    problems = [f"missing required argument '{name}'" for name in required if name not in arguments]
    if params.get("additionalProperties") is not True:
        expected = ", ".join(properties) or "none"
        problems += [
            f"unexpected argument '{name}' (expected: {expected})" for name in arguments if name not in properties
        ]
    for name, value in arguments.items():
        if name in properties and not (value is None and name not in required):
            problems += _value_problems(f"argument '{name}'", properties[name], value)
    return problems


def _value_problems(label: str, prop: dict, value) -> list[str]:
    expected = prop.get("type")
    wanted = expected if isinstance(expected, list) else [expected] if expected else []
    if wanted and not any(_is_json_type(value, t) for t in wanted):
        names = " or ".join(_ARTICLE.get(t, f"a {t}") for t in wanted)
        return [f"{label} must be {names}, got {_JSON_TYPE_NAMES.get(type(value), type(value).__name__)}"]
    if "enum" in prop and value not in prop["enum"]:
        options = ", ".join(repr(v) for v in prop["enum"])
        return [f"{label} must be one of {options}; got {value!r}"]
    if isinstance(value, list) and isinstance(prop.get("items"), dict):
        problems = []
        for index, item in enumerate(value):
            problems += _value_problems(f"{label} item {index}", prop["items"], item)
        return problems
    return []


def _is_json_type(value, json_type: str) -> bool:
    match json_type:
        case "string":
            return isinstance(value, str)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "boolean":
            return isinstance(value, bool)
        case "array":
            return isinstance(value, list)
        case "object":
            return isinstance(value, dict)
        case "null":
            return value is None
    return True  # a type we do not check
