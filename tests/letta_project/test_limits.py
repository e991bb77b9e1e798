"""Limits on what comes in (letta_project/limits.py), through Django's test client: a body over its cap answers 413
naming the cap and its setting (JSON under /v1/, a message in the ADE), and JSON nested too deeply answers 400, on
the DRF routes and the plain async ones alike. The live server's own handling (no Content-Length, the body never
read) is in tests/api/test_request_limits.py."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from letta_project.limits import MAX_JSON_DEPTH, depth_over, parse_json, size_text
from memory.models import Block

pytestmark = pytest.mark.django_db

LIMIT_MESSAGE = "The request body is larger than the 2.5 MB limit (LETTA_MAX_REQUEST_BYTES)."


def big_json(size: int = 3 * 1024 * 1024) -> str:
    return json.dumps({"label": "notes", "value": "x" * size})


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def test_the_default_limit_is_djangos_and_reads_as_people_write_it():
    assert django_settings.MAX_REQUEST_BYTES == django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert size_text(2_621_440) == "2.5 MB" and size_text(20 * 1024 * 1024) == "20 MB" and size_text(999) == "999 bytes"


@pytest.mark.parametrize("path", ["/v1/blocks/", "/v1/agents/", "/v1/tools/", "/v1/agents/{agent}/messages"])
def test_a_body_over_the_limit_is_a_json_413_naming_the_limit(api, make_agent, path):
    agent = make_agent()
    response = api.post(path.format(agent=agent.id), big_json(), content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": LIMIT_MESSAGE}
    assert not Block.objects.filter(label="notes").exists()


def test_the_setting_moves_the_limit(api, settings):
    settings.MAX_REQUEST_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/v1/blocks/", big_json(20_000), content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is larger than the 9.8 KB limit (LETTA_MAX_REQUEST_BYTES)."

    created = api.post("/v1/blocks/", big_json(100), content_type="application/json")
    assert created.status_code == 200


def test_the_environment_variable_sets_djangos_limit_too():
    code = "from django.conf import settings; print(settings.MAX_REQUEST_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "letta_project.settings", "LETTA_MAX_REQUEST_BYTES": "5000"}
    shown = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == ["5000", "5000"]


def test_an_ade_form_over_the_limit_says_so_at_the_top_of_the_form(client, admin_user):
    client.force_login(admin_user)
    posted = {"name": "x" * (3 * 1024 * 1024)}

    message = "What this form sends is larger than the 2.5 MB limit (LETTA_MAX_REQUEST_BYTES)."

    htmx = client.post("/ade/new/", posted, headers={"HX-Request": "true"})
    assert htmx.status_code == 413 and htmx["HX-Reswap"] == "afterbegin"
    assert htmx.content.decode() == f'<p class="field-error" role="alert">{message}</p>'

    page = client.post("/ade/new/", posted)
    assert page.status_code == 413
    assert message in page.content.decode() and "<h1" in page.content.decode()


# ------------------------------------------------------------------------------------------------ nesting


@pytest.mark.parametrize("path", ["/v1/blocks/", "/v1/agents/{agent}/messages"])
def test_json_nested_ten_thousand_deep_is_a_400(api, make_agent, path):
    agent = make_agent()
    response = api.post(path.format(agent=agent.id), nested(10_000), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The request body's JSON is nested too deeply: lists and objects may nest at most 100 levels."
    )


@pytest.mark.parametrize("path", ["/v1/blocks/", "/v1/agents/{agent}/messages"])
def test_json_nested_past_the_cap_but_parseable_is_refused_too(api, make_agent, path):
    agent = make_agent()
    body = json.dumps({"label": "deep", "value": "", "metadata": json.loads(nested(MAX_JSON_DEPTH))})
    response = api.post(path.format(agent=agent.id), body, content_type="application/json")

    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]
    assert not Block.objects.filter(label="deep").exists()


def test_json_nested_within_the_cap_is_taken(api):
    metadata = 1
    for _ in range(MAX_JSON_DEPTH - 1):  # with the body itself, MAX_JSON_DEPTH levels
        metadata = {"k": metadata}
    body = {"label": "deep", "value": "", "metadata": metadata}
    response = api.post("/v1/blocks/", body, content_type="application/json")
    assert response.status_code == 200
    assert Block.objects.get(label="deep").metadata == metadata


def test_malformed_json_stays_a_422(api, make_agent):
    agent = make_agent()
    assert api.post("/v1/blocks/", "{", content_type="application/json").status_code == 422
    assert api.post(f"/v1/agents/{agent.id}/messages", "{", content_type="application/json").status_code == 422
    assert api.post("/v1/blocks/", '{"label": NaN}', content_type="application/json").status_code == 422


def test_depth_is_measured_without_recursion():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert depth_over(deep, MAX_JSON_DEPTH)
    assert not depth_over(json.loads(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH)
    assert depth_over(json.loads(nested(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH)
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_json(nested(5000))


def test_daphnes_request_keeps_nothing_of_a_body_past_its_cap():
    import io

    from letta_project.limits import _CappedContent

    over = []
    kept = _CappedContent(io.BytesIO(), 10, lambda: over.append(True))
    kept.write(b"x" * 6)
    kept.write(b"y" * 4)
    assert kept.getvalue() == b"x" * 6 + b"y" * 4 and not over
    kept.write(b"z")
    kept.write(b"z" * 100)
    assert kept.getvalue() == b"" and over == [True]
