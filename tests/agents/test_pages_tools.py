"""The Tools panel, its tool-rule editor and the custom tool editor, through Django's test client."""

from html import unescape

import pytest
from django.contrib.auth.models import User

from accounts.models import Organization
from agents import services
from agents.models import Agent
from agents.pages.tool_rule_forms import APPROVAL, initial_of
from tools.models import Tool
from tools.services import ensure_base_tools, upsert_tool_from_source

GREET = '''def greet(name: str, times: int = 1) -> str:
    """Greet someone.

    Args:
        name: Who to greet.
        times: How many times.
    """
    print("greeting", name)
    return " ".join(["hello " + name] * times)
'''


@pytest.fixture
def agent(make_agent):
    return make_agent(name="scout")


@pytest.fixture
def greet(org):
    return upsert_tool_from_source(organization_id=org.id, source_code=GREET)


@pytest.fixture
def theirs(providers):
    other = Organization.objects.create(name="other")
    agent = services.create_agent(organization_id=other.id, name="theirs", model="openai/gpt-4.1-mini")
    tool = upsert_tool_from_source(organization_id=other.id, source_code=GREET.replace("greet", "wave"))
    return agent, tool


def rules_of(agent) -> list[dict]:
    return Agent.objects.get(pk=agent.id).tool_rules


def tools_url(agent, tail="") -> str:
    return f"/ade/agents/{agent.id}/tools/{tail}"


def editor_post(client, agent, rules, *, new=None, remove=None, htmx=True):
    """Post the rule editor as the page would: the rows of `rules` (approval rules are not rows), plus `new`."""
    rows = [r for r in rules if r.get("type") != APPROVAL]
    data = {"rule-TOTAL_FORMS": str(len(rows)), "rule-INITIAL_FORMS": str(len(rows))}
    for index, rule in enumerate(rows):
        for key, value in initial_of(rule).items():
            if value not in (None, False):
                data[f"rule-{index}-{key}"] = value
    for key, value in (new or {}).items():
        data[f"new-{key}"] = value
    if remove is not None:
        data["remove"] = str(remove)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(tools_url(agent, "rules/"), data, headers=headers)


# ------------------------------------------------------------------------------------------------ the panel


def test_the_panel_lists_the_agents_tools_by_kind_and_the_library_holds_the_rest(signed_in, agent, greet, theirs):
    html = signed_in.get(tools_url(agent)).content.decode()

    tools_table, library = html.split('id="library-heading"')
    assert "memory_replace" in tools_table and "conversation_search" in tools_table
    assert '<span class="badge">memory</span>' in tools_table and '<span class="badge">built-in</span>' in tools_table
    assert "greet" not in tools_table
    assert "greet" in library and '<span class="badge">custom</span>' in library
    assert "wave" not in html  # another organization's tool


def test_attach_and_detach_call_the_services(signed_in, agent, greet):
    response = signed_in.post(tools_url(agent, "attach/"), {"tool_id": greet.id}, headers={"HX-Request": "true"})

    assert response.status_code == 200 and 'id="tools-panel"' in response.content.decode()
    assert agent.tools.filter(pk=greet.id).exists()
    services.set_tool_approval(agent, "greet", True)

    signed_in.post(tools_url(agent, f"{greet.id}/detach/"), headers={"HX-Request": "true"})
    assert not agent.tools.filter(pk=greet.id).exists()
    assert rules_of(agent) == []  # its approval rule went with it
    assert Tool.objects.filter(pk=greet.id).exists()  # the tool stays in the library


def test_a_tool_that_asks_for_approval_by_default_gets_its_rule_on_attach(signed_in, agent, org):
    tool = upsert_tool_from_source(organization_id=org.id, source_code=GREET, default_requires_approval=True)
    signed_in.post(tools_url(agent, "attach/"), {"tool_id": tool.id})
    assert {"type": APPROVAL, "tool_name": "greet"} in rules_of(agent)


def test_the_approval_toggle_adds_and_removes_the_rule(signed_in, agent):
    url = tools_url(agent, "memory_insert/approval/")
    html = signed_in.post(url, {"requires_approval": "on"}, headers={"HX-Request": "true"}).content.decode()

    assert rules_of(agent) == [{"type": APPROVAL, "tool_name": "memory_insert"}]
    assert "memory_insert waits for a person&#x27;s approval before it runs" in html
    signed_in.post(url, {}, headers={"HX-Request": "true"})
    assert rules_of(agent) == []


def test_approval_for_a_tool_the_agent_lacks_is_not_found(signed_in, agent, greet):
    assert signed_in.post(tools_url(agent, "greet/approval/"), {"requires_approval": "on"}).status_code == 404
    assert rules_of(agent) == []


def test_another_organizations_agent_and_tools_are_not_found(signed_in, agent, theirs):
    their_agent, their_tool = theirs
    assert signed_in.get(tools_url(their_agent)).status_code == 404
    assert signed_in.post(tools_url(their_agent, "rules/"), {}).status_code == 404
    assert signed_in.post(tools_url(agent, "attach/"), {"tool_id": their_tool.id}).status_code == 404
    assert signed_in.post(tools_url(agent, f"{their_tool.id}/detach/")).status_code == 404
    assert not agent.tools.filter(pk=their_tool.id).exists()
    assert signed_in.get(f"/ade/tools/{their_tool.id}/").status_code == 404
    assert signed_in.get(f"/ade/tools/new/?agent={their_agent.id}").status_code == 404


def test_the_library_is_paged_and_searched(signed_in, agent, org):
    for n in range(15):
        upsert_tool_from_source(organization_id=org.id, source_code=GREET.replace("greet", f"greet_{n:02}"))
    headers = {"HX-Request": "true"}

    first = signed_in.get(tools_url(agent, "library/"), headers=headers).content.decode()
    assert first.count("Attach greet_") == 10 and "page 1 of 2" in first
    second = signed_in.get(tools_url(agent, "library/?page=2"), headers=headers).content.decode()
    assert second.count("Attach greet_") == 5
    found = signed_in.get(tools_url(agent, "library/?q=greet_07"), headers=headers).content.decode()
    assert found.count("Attach greet_") == 1 and "Attach greet_07" in found
    none = signed_in.get(tools_url(agent, "library/?q=nothing"), headers=headers).content.decode()
    assert "No tool of the organization" in none


# ------------------------------------------------------------------------------------------- the rule editor


def test_adding_rules_stores_them_and_shows_them_as_the_loop_enforces_them(signed_in, agent):
    response = editor_post(signed_in, agent, [], new={"type": "exit_loop", "tool_name": "memory_insert"})
    assert response.status_code == 200
    assert rules_of(agent) == [{"type": "exit_loop", "tool_name": "memory_insert"}]

    response = editor_post(
        signed_in,
        agent,
        rules_of(agent),
        new={"type": "max_count_per_step", "tool_name": "memory_replace", "max_count_limit": "2"},
    )
    html = response.content.decode()
    assert rules_of(agent)[1] == {"type": "max_count_per_step", "tool_name": "memory_replace", "max_count_limit": 2}
    assert "memory_insert ends your response (yields control) when called" in html
    assert "memory_replace: max 2 use(s) per response" in html


def test_a_child_rule_keeps_its_children_and_a_row_can_be_edited(signed_in, agent):
    editor_post(
        signed_in,
        agent,
        [],
        new={"type": "constrain_child_tools", "tool_name": "memory_insert", "children": ["memory_replace"]},
    )
    assert rules_of(agent) == [
        {"type": "constrain_child_tools", "tool_name": "memory_insert", "children": ["memory_replace"]}
    ]
    edited = [{**rules_of(agent)[0], "children": ["memory_replace", "conversation_search"]}]
    editor_post(signed_in, agent, edited)
    assert rules_of(agent)[0]["children"] == ["memory_replace", "conversation_search"]


def test_a_conditional_rule_reads_its_mapping_lines(signed_in, agent):
    new = {
        "type": "conditional",
        "tool_name": "conversation_search",
        "mapping": "true: memory_insert\nfalse: memory_replace",
        "default_child": "memory_insert",
    }
    assert editor_post(signed_in, agent, [], new=new).status_code == 200
    assert rules_of(agent) == [
        {
            "type": "conditional",
            "tool_name": "conversation_search",
            "child_output_mapping": {"true": "memory_insert", "false": "memory_replace"},
            "default_child": "memory_insert",
            "require_output_mapping": False,
        }
    ]


def test_an_invalid_rule_gets_the_parsers_message_and_stores_nothing(signed_in, agent):
    before = [{"type": "exit_loop", "tool_name": "memory_insert"}]
    services.update_agent(agent, tool_rules=before)

    response = editor_post(
        signed_in, agent, before, new={"type": "constrain_child_tools", "tool_name": "memory_insert"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="rules-error"' in html
    assert "Tool rule 1 (constrain_child_tools): &#x27;children&#x27; must be a non-empty list of tool names." in html
    assert 'value="constrain_child_tools" selected' in html  # what was typed is kept
    assert rules_of(agent) == before

    response = editor_post(signed_in, agent, before, new={"type": "max_count_per_step", "tool_name": "memory_insert"})
    assert response.status_code == 422 and "max_count_limit" in response.content.decode()
    response = editor_post(signed_in, agent, before, new={"type": "exit_loop"})
    assert response.status_code == 422 and "&#x27;tool_name&#x27; is required" in response.content.decode()
    assert rules_of(agent) == before


def test_a_tool_the_agent_lacks_cannot_be_chosen(signed_in, agent, greet):
    response = editor_post(signed_in, agent, [], new={"type": "exit_loop", "tool_name": "greet"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Select a valid choice. greet is not one of the available choices." in html
    assert 'aria-invalid="true"' in html
    assert rules_of(agent) == []


def test_bad_run_first_arguments_are_refused_next_to_their_field(signed_in, agent):
    new = {"type": "run_first", "tool_name": "conversation_search", "args": "{query: 1}"}
    html = editor_post(signed_in, agent, [], new=new).content.decode()
    assert "Arguments are not valid JSON" in html and 'id="id_new-args_error"' in html
    assert rules_of(agent) == []

    new["args"] = '{"query": "today"}'
    editor_post(signed_in, agent, [], new=new)
    assert rules_of(agent) == [{"type": "run_first", "tool_name": "conversation_search", "args": {"query": "today"}}]


def test_removing_a_row_keeps_the_others_and_the_approval_rules(signed_in, agent):
    rules = [
        {"type": "exit_loop", "tool_name": "memory_insert"},
        {"type": APPROVAL, "tool_name": "memory_replace"},
        {"type": "required_before_exit", "tool_name": "conversation_search", "prompt_template": "kept"},
    ]
    services.update_agent(agent, tool_rules=rules)

    assert editor_post(signed_in, agent, rules, remove=0).status_code == 200
    assert rules_of(agent) == [
        {"type": "required_before_exit", "tool_name": "conversation_search", "prompt_template": "kept"},
        {"type": APPROVAL, "tool_name": "memory_replace"},
    ]


def test_a_rule_for_a_detached_tool_survives_a_save(signed_in, agent):
    rules = [{"type": "exit_loop", "tool_name": "send_message"}]  # not attached to this agent
    services.update_agent(agent, tool_rules=rules)
    assert editor_post(signed_in, agent, rules).status_code == 200
    assert rules_of(agent) == rules


def test_without_htmx_a_change_goes_back_to_the_panel(signed_in, agent):
    response = editor_post(signed_in, agent, [], new={"type": "exit_loop", "tool_name": "memory_insert"}, htmx=False)
    assert response.status_code == 302 and response["Location"] == tools_url(agent)
    assert rules_of(agent) == [{"type": "exit_loop", "tool_name": "memory_insert"}]


def test_an_editor_post_without_its_management_form_changes_nothing(signed_in, agent):
    rules = [{"type": "exit_loop", "tool_name": "memory_insert"}]
    services.update_agent(agent, tool_rules=rules)
    response = signed_in.post(tools_url(agent, "rules/"), {"new-type": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "arrived incomplete" in response.content.decode()
    assert rules_of(agent) == rules


# ----------------------------------------------------------------------------------------- the tool editor


def test_the_schema_follows_the_source(signed_in):
    response = signed_in.post("/ade/tools/schema/", {"source_code": GREET}, headers={"HX-Request": "true"})
    html = unescape(response.content.decode())
    assert '"name": "greet"' in html and '"required": [' in html and "Who to greet." in html

    broken = GREET.replace("name: str", "name")
    html = signed_in.post("/ade/tools/schema/", {"source_code": broken}).content.decode()
    assert 'id="schema-error"' in html and "name" in html and "annotation" in html


def test_a_test_run_shows_return_value_stdout_and_duration(signed_in):
    data = {"source_code": GREET, "args": '{"name": "Ada", "times": 2}'}
    response = signed_in.post("/ade/tools/run/", data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "hello Ada hello Ada" in html and "greeting Ada" in html
    assert 'id="run-status">success' in html and " ms</span>" in html


def test_a_failing_tool_shows_its_error_and_stderr(signed_in):
    source = GREET.replace('print("greeting", name)', "raise ValueError('no ' + name)")
    html = signed_in.post("/ade/tools/run/", {"source_code": source, "args": '{"name": "Bo"}'}).content.decode()
    assert 'id="run-status">error' in html and "ValueError: no Bo" in html and 'id="run-stderr"' in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("{name: Ada}", "The arguments are not valid JSON"),
        ('["Ada"]', "The arguments must be a JSON object"),
        ('{"times": 2}', "greet() missing required argument &#x27;name&#x27;."),
        ('{"name": "Ada", "times": "two"}', "argument &#x27;times&#x27; must be an integer, got string"),
    ],
)
def test_bad_arguments_get_a_message_next_to_the_field_and_run_nothing(signed_in, args, message):
    response = signed_in.post("/ade/tools/run/", {"source_code": GREET, "args": args}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html and 'id="id_args_error"' in html and 'aria-invalid="true"' in html
    assert args.replace('"', "&quot;") in html  # what was typed is kept
    assert "run-result" not in html


def test_a_test_run_of_source_without_a_schema_says_what_to_fix(signed_in):
    html = signed_in.post("/ade/tools/run/", {"source_code": "x = 1", "args": "{}"}).content.decode()
    assert "Fix the source before running it" in html and "run-result" not in html


def test_a_test_run_needs_a_signed_in_person(client):
    response = client.post("/ade/tools/run/", {"source_code": GREET, "args": '{"name": "Ada"}'})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_test_run_needs_a_member_of_an_organization(client, db):
    client.force_login(User.objects.create_user(username="drifter"))
    response = client.post("/ade/tools/run/", {"source_code": GREET, "args": '{"name": "Ada"}'})
    assert response.status_code == 403 and "run-result" not in response.content.decode()


def test_creating_a_tool_and_attaching_it_to_the_agent(signed_in, agent, org):
    response = signed_in.post(f"/ade/tools/new/?agent={agent.id}", {"source_code": GREET, "attach": "on"})

    assert response.status_code == 302 and response["Location"] == f"/ade/agents/{agent.id}/tools/"
    tool = Tool.objects.get(organization=org, name="greet")
    assert tool.tool_type == Tool.Type.CUSTOM and tool.json_schema["parameters"]["required"] == ["name"]
    assert agent.tools.filter(pk=tool.pk).exists()


def test_creating_without_attaching_opens_the_saved_tool(signed_in, agent, org):
    response = signed_in.post(f"/ade/tools/new/?agent={agent.id}", {"source_code": GREET})
    tool = Tool.objects.get(organization=org, name="greet")
    assert response["Location"] == f"/ade/tools/{tool.id}/?agent={agent.id}&saved=1"
    assert not agent.tools.filter(pk=tool.pk).exists()
    assert "Tool <code>greet</code> saved." in signed_in.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (GREET, "A tool named &#x27;greet&#x27; already exists"),
        (GREET.replace("def greet", "def send_message"), "&#x27;send_message&#x27; is a built-in tool"),
        (GREET.replace("name: str", "name"), "annotation"),
    ],
)
def test_a_name_in_use_or_invalid_source_is_refused_next_to_the_source(signed_in, greet, org, source, message):
    ensure_base_tools(org.id, ["send_message"])
    count = Tool.objects.count()
    response = signed_in.post("/ade/tools/new/", {"source_code": source})
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html and 'id="id_source_code_error"' in html
    assert "def send_message" in html or "def greet" in html  # the source is kept
    assert Tool.objects.count() == count and Tool.objects.get(pk=greet.pk).source_code == GREET


def test_editing_a_tool_updates_its_source_and_schema(signed_in, greet):
    page = unescape(signed_in.get(f"/ade/tools/{greet.id}/").content.decode())
    assert "Custom tool <code>greet</code>" in page and '"name": "greet"' in page

    new = GREET.replace("Greet someone.", "Greet someone warmly.")
    response = signed_in.post(f"/ade/tools/{greet.id}/", {"source_code": new})
    assert response.status_code == 302
    greet.refresh_from_db()
    assert greet.source_code == new and greet.description == "Greet someone warmly."


def test_renaming_a_tool_onto_another_is_refused_next_to_the_source(signed_in, greet, org):
    upsert_tool_from_source(organization_id=org.id, source_code=GREET.replace("def greet", "def wave"))
    renamed = GREET.replace("def greet", "def wave")
    response = signed_in.post(f"/ade/tools/{greet.id}/", {"source_code": renamed})
    html = response.content.decode()
    assert response.status_code == 422 and "a tool with that name already exists" in html
    assert 'id="id_source_code_error"' in html and "def wave" in html
    greet.refresh_from_db()
    assert greet.name == "greet" and greet.source_code == GREET


def test_a_built_in_tool_has_no_editor(signed_in, org):
    (tool,) = ensure_base_tools(org.id, ["memory_insert"])
    assert signed_in.get(f"/ade/tools/{tool.id}/").status_code == 404


def test_the_api_still_refuses_a_duplicate_name(api, greet):
    response = api.post("/v1/tools/", {"source_code": GREET}, content_type="application/json")
    assert response.status_code == 400 and "already exists" in response.json()["detail"]
