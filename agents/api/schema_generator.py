"""How the OpenAPI schema is generated from the URLconf; *what* each route accepts and answers is declared in
`agents.api.schema` (one table, through `document()`), never on the views themselves.

drf-spectacular introspects DRF views only, and ours validate inside their methods, so on its own it would see
neither bodies nor query parameters. Three additions make every served route describable from outside:
- `document(view_path, get=op(...), ...)`: for a DRF view, an `OpenApiViewExtension` that swaps in a subclass
  decorated with `extend_schema_view`; for a plain (async) Django view, a stand-in APIView carrying the same
  annotations, which the endpoint enumerator below puts in the view's place while generating.
- Paths read as the SDK requests them: `[/]?` dropped, top-level collections with their trailing slash
  (`/v1/agents/`), and a group that is an alternation of literals (`(?P<action>attach|detach)`) expanded into
  one path per literal, so attach and detach are two operations with their own ids.
- A post-processing hook adds tags, path-parameter descriptions and the `{"detail": ...}` error responses.
"""

import re

from django.urls import URLResolver
from drf_spectacular import generators, openapi
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

# Plain Django views documented through a stand-in: dotted path of the view function -> stand-in APIView class.
STAND_INS: dict[str, type[APIView]] = {}
# Every view `document()` was called for, DRF or plain: dotted path -> the methods it described.
DOCUMENTED: dict[str, set[str]] = {}

_LITERAL_ALTERNATION = re.compile(r"\(\?P<(?P<name>\w+)>(?P<choices>[\w-]+(?:\|[\w-]+)+)\)")
_LITERAL_GROUP = re.compile(r"\(\?P<\w+>([\w-]+)\)")


def dotted_path(view) -> str:
    """`module.Name` of a URL pattern's callback: the view class for DRF views, else the function."""
    target = getattr(view, "cls", None) or getattr(view, "view_class", None) or view
    return f"{target.__module__}.{target.__qualname__}"


def op(
    operation_id: str,
    summary: str,
    *,
    request=None,
    response=None,
    query=None,
    parameters=(),
    description: str | None = None,
    responses: dict | None = None,
    examples: dict | None = None,
    deprecated: bool = False,
):
    """The annotation of one operation. `query` is a serializer whose fields are the query parameters;
    `response` the 200 body (a serializer class or instance, or an OpenApiTypes); `responses` replaces it
    when an operation answers several statuses or media types. `examples` are request bodies by name: the docs
    page offers them, and the schemathesis test sends them besides its generated ones."""
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        request=request,
        examples=[OpenApiExample(name, value=value, request_only=True) for name, value in (examples or {}).items()],
        responses=responses if responses is not None else {200: response},
        parameters=[query, *parameters] if query is not None else list(parameters),
        deprecated=deprecated,
    )


def document(view_path: str, **operations) -> None:
    """Declare the operations of the view at `view_path` (`module.ClassOrFunction`): `get=op(...)`, ..."""
    module, _, name = view_path.rpartition(".")
    DOCUMENTED[view_path] = set(operations)
    target = getattr(__import__(module, fromlist=[name]), name)
    if isinstance(target, type) and issubclass(target, APIView):
        type(
            f"Document{name}",
            (OpenApiViewExtension,),
            {
                "target_class": view_path,
                "view_replacement": lambda self: extend_schema_view(**operations)(
                    type(name, (self.target_class,), {"__module__": self.target_class.__module__})
                ),
            },
        )
        return
    # A plain view: its methods only exist for the generator to read the annotations from.
    methods = {method: _unused() for method in operations}
    # Plain views read JSON bodies only (DRF views also take form and multipart, as the settings say).
    attributes = {"parser_classes": [JSONParser], "__module__": module, "__doc__": target.__doc__}
    stand_in = type(name, (APIView,), {**methods, **attributes})
    STAND_INS[view_path] = extend_schema_view(**operations)(stand_in)


def _unused():
    # A new function each time: extend_schema stores its annotation on the function object.
    def handler(self, request, *args, **kwargs):  # pragma: no cover - never routed
        raise NotImplementedError("A schema stand-in; the real view is the plain Django view it documents.")

    return handler


class EndpointEnumerator(generators.EndpointEnumerator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.variants: dict[str, dict[str, str]] = {}  # schema path -> literal group values it was expanded from

    def _get_api_endpoints(self, patterns, prefix):
        endpoints = []
        for pattern in self.patterns if patterns is None else patterns:
            regex = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                endpoints.extend(self._get_api_endpoints(pattern.url_patterns, regex))
                continue
            callback = pattern.callback
            stand_in = STAND_INS.get(dotted_path(callback))
            if stand_in is not None:
                callback = stand_in.as_view()
            for variant_regex, values in _expand(regex):
                path = self.get_path_from_regex(variant_regex)
                if not self.should_include_endpoint(path, callback):
                    continue
                self.variants[path] = values
                endpoints.extend(
                    (path, variant_regex, method, callback) for method in self.get_allowed_methods(callback)
                )
        return endpoints

    def get_path_from_regex(self, path_regex):
        path = super().get_path_from_regex(_LITERAL_GROUP.sub(r"\1", path_regex.replace("[/]?", "")))
        # The SDK asks for top-level collections with a trailing slash (`/v1/agents/`) and for the rest without.
        return path + "/" if re.fullmatch(r"/v1/[\w-]+", path) else path


def _expand(regex: str):
    """(regex, {group: literal}) for each combination of the literal alternations in `regex`."""
    match = _LITERAL_ALTERNATION.search(regex)
    if match is None:
        yield regex, {}
        return
    for choice in match["choices"].split("|"):
        narrowed = regex[: match.start()] + f"(?P<{match['name']}>{choice})" + regex[match.end() :]
        for variant, values in _expand(narrowed):
            yield variant, {match["name"]: choice, **values}


class SchemaGenerator(generators.SchemaGenerator):
    endpoint_inspector_cls = EndpointEnumerator

    def __init__(self, *args, **kwargs):
        import agents.api.schema  # noqa: F401  (its document() calls register the annotations)

        super().__init__(*args, **kwargs)


class AutoSchema(openapi.AutoSchema):
    def get_tags(self) -> list[str]:
        from agents.api.schema import tag_for

        return [tag_for(self.path)]


class DocumentedField(OpenApiSerializerFieldExtension):
    """`serializers.Always(value, schema)` and `OnRequest(schema)` are documented as their `schema` field."""

    target_class = "agents.api.serializers.Documented"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return auto_schema._map_serializer_field(self.target.schema, direction)


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.APIKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key, sent as `Authorization: Bearer <key>`."}


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong and, where possible, the fix."}},
    "required": ["detail"],
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def postprocess(result, generator, request, public):
    """Fill in what is the same for many operations: variant ids, path-parameter docs, the error responses."""
    from agents.api.schema import ERROR_RESPONSES, NULLABLE_BODIES, PATH_PARAMETERS

    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    variants = generator.inspector.variants if generator.inspector else {}
    for path, item in result.get("paths", {}).items():
        values = variants.get(path, {})
        for operation in item.values():
            if values:
                operation["operationId"] = operation["operationId"].format(**values)
                summary = operation.get("summary", "").format(**values)
                operation["summary"] = summary[:1].upper() + summary[1:]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in PATH_PARAMETERS:
                    parameter.setdefault("description", PATH_PARAMETERS[parameter["name"]])
            responses = operation["responses"]
            if path in NULLABLE_BODIES:
                body = responses["200"]["content"]["application/json"]
                body["schema"] = {"allOf": [body["schema"]], "nullable": True}
            for status, (when, description) in ERROR_RESPONSES.items():
                if when(path, operation):
                    responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "content" not in response:
                    response["content"] = {"application/json": {"schema": _ERROR_REF}}
    return result
