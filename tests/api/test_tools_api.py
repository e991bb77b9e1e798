"""`/v1/tools`: editing a tool, running source, the built-ins, list filters, and running an agent's tool."""

import json

import pytest

from memory.models import Block
from tools.models import Tool

pytestmark = pytest.mark.django_db(transaction=True)

GREET = '''
def greet(name: str) -> str:
    """Say hello.

    Args:
        name: Who to greet.
    """
    return "Hello, " + name
'''

GREET_LOUDLY = '''
def greet(name: str, shout: bool = False) -> str:
    """Say hello, maybe loudly.

    Args:
        name: Who to greet.
        shout: Whether to shout.
    """
    text = "Hello, " + name
    return text.upper() if shout else text
'''


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def greet(api):
    return post(api, "/v1/tools/", {"source_code": GREET}).json()


# ------------------------------------------------------------------------------------------------ PATCH


def test_new_source_regenerates_the_schema(api, greet):
    response = patch(api, f"/v1/tools/{greet['id']}", {"source_code": GREET_LOUDLY, "tags": ["social"]})
    assert response.status_code == 200, response.content
    tool = response.json()
    assert tool["json_schema"]["parameters"]["properties"].keys() == {"name", "shout"}
    assert tool["description"].startswith("Say hello, maybe loudly") and tool["tags"] == ["social"]
    assert api.get(f"/v1/tools/{greet['id']}").json()["source_code"] == GREET_LOUDLY


def test_patch_changes_only_what_it_names(api, greet):
    tool = patch(
        api,
        f"/v1/tools/{greet['id']}",
        {"description": "Greets people.", "return_char_limit": 10, "default_requires_approval": True},
    ).json()
    assert tool["description"] == "Greets people." and tool["json_schema"]["description"] == "Greets people."
    assert tool["return_char_limit"] == 10 and tool["default_requires_approval"] is True
    assert tool["source_code"] == GREET and tool["name"] == "greet"


def test_source_defining_another_function_renames_the_tool(api, greet):
    source = GREET.replace("def greet", "def welcome")
    assert patch(api, f"/v1/tools/{greet['id']}", {"source_code": source}).json()["name"] == "welcome"


def test_bad_source_is_refused_and_the_tool_is_kept(api, greet):
    response = patch(api, f"/v1/tools/{greet['id']}", {"source_code": "def greet(:\n"})
    assert response.status_code == 400 and "syntax error" in response.json()["detail"]
    assert Tool.objects.get(pk=greet["id"]).source_code == GREET


def test_package_requirements_are_name_and_version_or_refused(api, greet):
    # What comes back must parse as the SDK's PipRequirement / NpmRequirement.
    wanted = [{"name": "requests", "version": "2.32.0"}, {"name": "rich"}]
    response = patch(api, f"/v1/tools/{greet['id']}", {"pip_requirements": wanted, "npm_requirements": wanted})
    assert response.status_code == 200, response.content
    assert response.json()["pip_requirements"] == response.json()["npm_requirements"] == wanted
    for junk in ([{}], [17], ["requests"], [{"version": "1"}]):
        response = patch(api, f"/v1/tools/{greet['id']}", {"npm_requirements": junk})
        assert response.status_code == 422 and "npm_requirements" in response.json()["detail"], response.content
    assert Tool.objects.get(pk=greet["id"]).npm_requirements == wanted


def test_renaming_onto_another_tool_is_refused(api, greet):
    other = post(api, "/v1/tools/", {"source_code": GREET.replace("def greet", "def welcome")}).json()
    response = patch(api, f"/v1/tools/{greet['id']}", {"source_code": GREET.replace("def greet", "def welcome")})
    assert response.status_code == 400 and "already exists" in response.json()["detail"]
    assert Tool.objects.get(pk=greet["id"]).name == "greet" and Tool.objects.filter(pk=other["id"]).exists()


def test_a_built_in_tool_refuses_new_source_but_takes_settings(api):
    base = {t["name"]: t for t in post(api, "/v1/tools/add-base-tools", {}).json()}
    tool_id = base["memory_replace"]["id"]
    response = patch(api, f"/v1/tools/{tool_id}", {"source_code": GREET})
    assert response.status_code == 400
    assert "built-in" in response.json()["detail"] and "source_code" in response.json()["detail"]
    assert Tool.objects.get(pk=tool_id).source_code is None
    assert patch(api, f"/v1/tools/{tool_id}", {"return_char_limit": 123}).json()["return_char_limit"] == 123
    post(api, "/v1/tools/add-base-tools", {})  # refreshing the built-ins keeps the user's setting
    assert Tool.objects.get(pk=tool_id).return_char_limit == 123


# ------------------------------------------------------------------------------------ built-ins, filters


def test_add_base_tools_is_idempotent(api):
    first = post(api, "/v1/tools/add-base-tools", {}).json()
    second = post(api, "/v1/tools/add-base-tools", {}).json()
    assert {t["name"] for t in first} >= {"memory_replace", "memory_insert", "conversation_search", "send_message"}
    assert [t["id"] for t in first] == [t["id"] for t in second]


def test_list_filters(api, greet):
    post(api, "/v1/tools/add-base-tools", {})
    names = lambda query: sorted(t["name"] for t in api.get(f"/v1/tools/?limit=100&{query}").json())  # noqa: E731
    assert names("tool_types=custom") == ["greet"]
    assert "greet" not in names("return_only_letta_tools=true")
    assert names("names=greet,send_message") == ["greet", "send_message"]
    assert names("names=greet&names=send_message") == ["greet", "send_message"]
    assert names(f"tool_ids={greet['id']}") == ["greet"]
    assert "greet" not in names("exclude_tool_types=custom") and "send_message" in names("exclude_tool_types=custom")
    assert names("search=GRE") == ["greet"]
    assert api.get("/v1/tools/count?tool_types=custom").json() == 1


# ---------------------------------------------------------------------------------------- run from source


def test_run_from_source_returns_output_and_prints(api):
    source = 'def add(a: int, b: int) -> int:\n    """Add."""\n    print("adding")\n    return a + b\n'
    result = post(api, "/v1/tools/run", {"source_code": source, "args": {"a": 2, "b": 3}}).json()
    assert result["status"] == "success" and result["tool_return"] == "5" and result["func_return"] == "5"
    assert result["stdout"] == ["adding"] and result["message_type"] == "tool_return_message"
    assert Tool.objects.count() == 0  # nothing is stored


def test_run_from_source_passes_env_vars(api):
    source = 'import os\ndef token() -> str:\n    """Token."""\n    return os.environ["TOKEN"]\n'
    result = post(api, "/v1/tools/run", {"source_code": source, "args": {}, "env_vars": {"TOKEN": "t0k"}}).json()
    assert result["func_return"] == "t0k"


def test_a_tool_that_raises_is_an_error_result(api):
    source = 'def boom() -> str:\n    """Boom."""\n    raise RuntimeError("kaput")\n'
    response = post(api, "/v1/tools/run", {"source_code": source, "args": {}})
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "error" and "RuntimeError: kaput" in result["func_return"]
    assert any("kaput" in line for line in result["stderr"])


def test_a_tool_that_hangs_is_stopped(api, settings):
    settings.TOOL_TIMEOUT_SECONDS = 0.5
    source = 'def spin() -> str:\n    """Spin."""\n    while True:\n        pass\n'
    result = post(api, "/v1/tools/run", {"source_code": source, "args": {}}).json()
    assert result["status"] == "error" and "did not finish" in result["func_return"]


def test_wrong_arguments_are_an_error_result(api):
    result = post(api, "/v1/tools/run", {"source_code": GREET, "args": {"nom": "Ada"}}).json()
    assert result["status"] == "error" and "missing required argument 'name'" in result["func_return"]


def test_unparseable_source_is_a_bad_request(api):
    response = post(api, "/v1/tools/run", {"source_code": "x = 1\n", "args": {}})
    assert response.status_code == 400 and "no top-level function" in response.json()["detail"]
    response = post(api, "/v1/tools/run", {"source_code": GREET, "name": "other", "args": {}})
    assert response.status_code == 400 and "no top-level function named 'other'" in response.json()["detail"]


# --------------------------------------------------------------------------------------- an agent's tool


def test_running_an_agents_memory_tool_edits_its_memory(api, make_agent):
    agent = make_agent()
    response = post(
        api, f"/v1/agents/{agent.id}/tools/memory_insert/run", {"args": {"label": "human", "new_string": "Likes tea"}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "success"
    assert "Likes tea" in Block.objects.get(agents=agent, label="human").value


def test_a_memory_tool_error_is_an_error_result_and_memory_is_kept(api, make_agent):
    agent = make_agent()
    result = post(
        api,
        f"/v1/agents/{agent.id}/tools/memory_replace/run",
        {"args": {"label": "human", "old_string": "absent", "new_string": "x"}},
    ).json()
    assert result["status"] == "error" and "absent" in result["func_return"]
    assert Block.objects.get(agents=agent, label="human").value == "Name: unknown"


def test_running_an_agents_custom_tool_sees_its_secrets(api, make_agent):
    from agents import services
    from tools.services import upsert_tool_from_source

    agent = make_agent()
    agent.secrets = {"GREETING": "Ahoy"}
    agent.save(update_fields=["secrets"])
    source = 'import os\ndef hail(name: str) -> str:\n    """Hail."""\n    return os.environ["GREETING"] + " " + name\n'
    services.attach_tool(agent, upsert_tool_from_source(organization_id=agent.organization_id, source_code=source))
    result = post(api, f"/v1/agents/{agent.id}/tools/hail/run", {"args": {"name": "Ada"}}).json()
    assert result == {
        "status": "success",
        "func_return": "Ahoy Ada",
        "stdout": [],
        "stderr": [],
        "agent_state": None,
        "sandbox_config_fingerprint": None,
    }


def test_a_tool_the_agent_does_not_have_is_not_found(api, make_agent):
    agent = make_agent()
    response = post(api, f"/v1/agents/{agent.id}/tools/greet/run", {"args": {}})
    assert response.status_code == 404 and "not found on agent" in response.json()["detail"]
    response = post(api, "/v1/agents/agent-missing/tools/greet/run", {"args": {}})
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["post", "put"])
def test_a_json_schema_without_a_name_is_refused_clearly(api, method):
    body = {"source_code": GREET, "json_schema": {"parameters": {"type": "object", "properties": {}}}}
    response = getattr(api, method)("/v1/tools/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "json_schema has no 'name'" in response.json()["detail"]
    assert not Tool.objects.filter(tool_type="custom").exists()
