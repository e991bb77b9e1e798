"""The OpenAPI schema: valid, complete (every served /v1 route), readable without a key, and browsable offline."""

import httpx
import pytest
from django.core.management import call_command
from django.test import Client

import agents.api.schema  # noqa: F401  (registers the annotations in DOCUMENTED)
from agents.api import urls as api_urls
from agents.api.schema_generator import DOCUMENTED, EndpointEnumerator, SchemaGenerator, _expand, dotted_path

SCHEMA_ROUTES = {"api-schema", "api-docs"}  # the schema's own routes describe nothing


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def served_routes():
    """(route name, view dotted path, is a DRF view, schema paths) for each /v1 route that answers for real:
    not the 501 families, not the 404 catch-all, not the schema's own pages."""
    unserved = {pattern for pattern, _ in api_urls.NOT_IMPLEMENTED} | {r"^(?P<path>.*)$"}
    enumerator = EndpointEnumerator()
    for pattern in api_urls.urlpatterns:
        if str(pattern.pattern) in unserved or pattern.name in SCHEMA_ROUTES:
            continue
        paths = [
            enumerator.get_path_from_regex("^/v1/" + regex.lstrip("^")) for regex, _ in _expand(str(pattern.pattern))
        ]
        yield pattern.name, dotted_path(pattern.callback), hasattr(pattern.callback, "cls"), pattern.callback, paths


def test_schema_validates_without_warnings(tmp_path):
    # What CI and `make` would run: warnings (an untyped parameter, a colliding operation id) fail it too.
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(tmp_path / "openapi.json"),
    )


def test_every_served_route_is_described_with_its_methods(schema):
    missing = []
    for name, view, is_drf, callback, paths in served_routes():
        methods = (
            sorted({m.lower() for m in callback.cls().allowed_methods} - {"options", "head"})
            if is_drf
            else ["<method>"]
        )
        operations = ", ".join(f'{m}=op("<operation_id>", "<summary>", request=..., response=...)' for m in methods)
        hint = f'add `document("{view}", {operations})` to agents/api/schema.py'

        if view not in DOCUMENTED:
            missing.append(f"route '{name}' ({view}) has no schema: {hint}")
            continue
        methods = callback.cls().allowed_methods if is_drf else DOCUMENTED[view]
        for method in {m.lower() for m in methods} - {"options", "head"}:
            if method not in DOCUMENTED[view]:
                missing.append(f"{method.upper()} of route '{name}' ({view}) is not described: {hint}")
                continue
            for path in paths:
                if method not in schema["paths"].get(path, {}):
                    missing.append(f"{method.upper()} {path} (route '{name}', {view}) is missing from the schema")
    assert not missing, "\n".join(missing)


def test_only_served_routes_are_in_the_schema(schema):
    served = {path for *_, paths in served_routes() for path in paths}
    assert set(schema["paths"]) == served


def test_operation_ids_are_explicit_and_unique(schema):
    ids = [operation["operationId"] for item in schema["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids))
    assert {
        "list_agents",
        "create_agent",
        "send_message",
        "create_agent_message_stream",
        "attach_tool",
        "detach_tool",
        "list_models",
    } <= set(ids)


def test_the_send_routes_describe_the_sdk_shapes(schema):
    send = schema["paths"]["/v1/agents/{agent_id}/messages"]["post"]
    assert send["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/LettaRequestRequest")
    answers = send["responses"]["200"]["content"]
    assert answers["application/json"]["schema"]["$ref"].endswith("/LettaResponse")
    assert "text/event-stream" in answers
    assert schema["paths"]["/v1/agents/{agent_id}"]["get"]["parameters"][0]["schema"]["type"] == "string"
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_schema_and_docs_page_are_readable_without_a_key(db):
    client = Client()
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] and "/v1/agents/" in response.json()["paths"]
    page = client.get("/v1/docs/")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.content
    assert b"//cdn" not in page.content and b"https://" not in page.content  # offline machines
    assert client.get("/v1/").status_code == 404  # the catch-all still answers under /v1


@pytest.mark.django_db(transaction=True)
def test_the_live_server_serves_the_docs_page_assets(letta_server):
    bundle = httpx.get(f"{letta_server.url}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
