"""The agents list: create (blank or from a starter), search, tags, paging, delete, and agent files in and out."""

import html as html_module
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organization
from agents import services
from agents.models import Agent
from memory.models import Block, Passage
from tests.agents.agent_file.conftest import FIXTURE_DIR, agent_file


@pytest.fixture
def foreign_agent(providers):
    other = Organization.objects.create(name="other")
    return services.create_agent(organization_id=other.id, name="theirs", model="openai/gpt-4.1-mini")


def new_agent(**fields) -> dict:
    return {
        "name": "scout",
        "model": "openai/gpt-4.1-mini",
        "embedding": "",
        "persona": "I scout.",
        "human": "",
        **fields,
    }


def field_error(html: str, field: str) -> str:
    """The error Django renders next to a control (`<ul class="errorlist" id="id_<field>_error">`)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert match, f"no error next to {field}"
    return html_module.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def upload(content: bytes, name: str = "agent.af") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# ------------------------------------------------------------------------------------------------- create


def test_the_create_form_offers_the_organizations_models_and_prefilled_blocks(signed_in):
    html = signed_in.get("/ade/new/").content.decode()
    assert '<option value="openai/gpt-4.1-mini"' in html and "anthropic/" in html
    assert "I am a helpful assistant." in html and "Nothing known yet" in html
    assert "None (archival search uses full text)" in html
    assert "Companion" in html and "Customer support" in html and "Research assistant" in html


def test_creating_an_agent_stores_it_with_its_blocks_and_goes_to_its_page(signed_in, org):
    response = signed_in.post("/ade/new/", new_agent(persona="I scout ahead.", human="Ada likes maps."))
    agent = Agent.objects.get(name="scout", organization=org)
    assert response.status_code == 302 and response["Location"] == f"/ade/agents/{agent.id}/"
    blocks = {b.label: b.value for b in agent.blocks.all()}
    assert blocks == {"persona": "I scout ahead.", "human": "Ada likes maps."}
    assert agent.model == "openai/gpt-4.1-mini" and agent.embedding is None
    assert agent.created_by_id is not None  # the person, as the API records its key


def test_with_htmx_success_redirects_the_browser(signed_in, org):
    response = signed_in.post("/ade/new/", new_agent(), headers={"HX-Request": "true"})
    agent = Agent.objects.get(name="scout")
    assert response.status_code == 200 and response["HX-Redirect"] == f"/ade/agents/{agent.id}/"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        pytest.param({"name": "   "}, "name", "This field is required.", id="empty-name"),
        pytest.param({"model": "nope/gpt-9"}, "model", "Model 'nope/gpt-9' is not offered", id="unknown-model"),
        pytest.param({"persona": "x" * 5_001}, "persona", "over its limit of 5,000", id="over-limit-persona"),
        pytest.param({"human": "y" * 5_001}, "human", "Memory block 'human' would have 5,001", id="over-limit-human"),
    ],
)
def test_bad_input_is_shown_next_to_its_control_and_stores_nothing(signed_in, fields, field, message):
    response = signed_in.post("/ade/new/", new_agent(**fields), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 422
    assert message in field_error(html, field)
    assert 'id="create-form"' in html and "<html" not in html  # the form alone, swapped in place
    assert "I scout." in html or fields.get("persona")  # what was typed is kept
    assert not Agent.objects.exists() and not Block.objects.exists()


def test_without_htmx_a_refused_form_is_the_whole_page_again(signed_in):
    response = signed_in.post("/ade/new/", new_agent(name=""))
    assert response.status_code == 422 and "<html" in response.content.decode()


# ------------------------------------------------------------------------------------------------- starters


def test_a_starter_asks_for_a_name_prefilled_and_a_model(signed_in):
    html = signed_in.get("/ade/new/support/").content.decode()
    assert 'value="support-agent"' in html and '<option value="openai/gpt-4.1-mini"' in html
    assert "Acme Widgets" in html


def test_the_support_starter_has_a_company_facts_block(signed_in, org):
    response = signed_in.post("/ade/new/support/", {"name": "helpdesk", "model": "anthropic/claude-sonnet-4-5"})
    agent = Agent.objects.get(name="helpdesk")
    assert response.status_code == 302 and response["Location"] == f"/ade/agents/{agent.id}/"
    company = agent.blocks.get(label="company")
    assert "Acme Widgets" in company.value and company.read_only
    assert set(agent.tags) == {"starter", "support"}


def test_the_research_starter_has_an_archive_with_passages(signed_in):
    signed_in.post("/ade/new/research/", {"name": "scholar", "model": "openai/gpt-4.1-mini"})
    agent = Agent.objects.get(name="scholar")
    texts = list(Passage.objects.filter(archive_id=agent.archive_id).values_list("text", flat=True))
    assert len(texts) == 3 and any("MemGPT" in t for t in texts)


def test_the_companion_starter_learns_about_its_user(signed_in):
    signed_in.post("/ade/new/companion/", {"name": "pal", "model": "openai/gpt-4.1-mini"})
    pal = Agent.objects.get(name="pal")
    assert "I learn something lasting" in pal.blocks.get(label="persona").value
    assert {b.label for b in pal.blocks.all()} == {"persona", "human"}


def test_a_starter_with_a_bad_name_stores_nothing(signed_in):
    response = signed_in.post("/ade/new/research/", {"name": "", "model": "openai/gpt-4.1-mini"})
    assert response.status_code == 422 and "This field is required." in field_error(response.content.decode(), "name")
    assert not Agent.objects.exists() and not Passage.objects.exists()


def test_an_unknown_starter_is_not_found(signed_in):
    assert signed_in.get("/ade/new/nothing/").status_code == 404


# ------------------------------------------------------------------------------------------------- the list


def test_search_by_name_and_filter_by_tag(signed_in, make_agent, foreign_agent):
    make_agent(name="alpha-scout", tags=["field"])
    make_agent(name="beta-scout", tags=["desk"])
    make_agent(name="gamma")

    html = signed_in.get("/ade/?q=scout").content.decode()
    assert "alpha-scout" in html and "beta-scout" in html and "gamma" not in html
    html = signed_in.get("/ade/?q=scout&tag=desk").content.decode()
    assert "beta-scout" in html and "alpha-scout" not in html
    assert '<option value="field"' in html and '<option value="desk" selected' in html
    assert "No agents match" in signed_in.get("/ade/?q=zzz").content.decode()
    assert "theirs" not in signed_in.get("/ade/?q=the").content.decode()


def test_htmx_search_answers_only_the_results(signed_in, make_agent):
    make_agent(name="alpha")
    html = signed_in.get("/ade/?q=alp", headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<section id="results"') and "alpha" in html
    restore = signed_in.get("/ade/?q=alp", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()  # the back button after a pushed search gets the whole page


def test_the_list_pages_with_next_and_previous(signed_in, org, providers):
    Agent.objects.bulk_create(
        Agent(organization=org, name=f"agent-{i:02d}", model="openai/gpt-4.1-mini") for i in range(30)
    )
    first = signed_in.get("/ade/").content.decode()
    names = re.findall(r"<strong>(agent-\d\d)</strong>", first)
    assert len(names) == 25 and 'rel="prev"' not in first
    after = re.search(r'rel="next" href="\?after=([^"]+)"', first).group(1)

    second = signed_in.get(f"/ade/?after={after}").content.decode()
    rest = re.findall(r"<strong>(agent-\d\d)</strong>", second)
    assert len(rest) == 5 and not set(rest) & set(names) and 'rel="next"' not in second
    before = re.search(r'rel="prev" href="\?before=([^"]+)"', second).group(1)

    back = signed_in.get(f"/ade/?before={before}").content.decode()
    assert re.findall(r"<strong>(agent-\d\d)</strong>", back) == names


def test_an_unknown_cursor_is_not_found(signed_in):
    assert signed_in.get("/ade/?after=agent-missing").status_code == 404


def test_ten_thousand_agents_page_in_a_fixed_number_of_queries(signed_in, org, django_assert_max_num_queries):
    Agent.objects.bulk_create(
        (
            Agent(organization=org, name=f"agent-{i:05d}", model="openai/gpt-4.1-mini", tags=[f"t{i % 7}"])
            for i in range(10_000)
        ),
        batch_size=1_000,
    )
    deep = Agent.objects.order_by("-created_at", "-id").values_list("id", flat=True)[9_000]
    with django_assert_max_num_queries(8):
        first = signed_in.get("/ade/?tag=t3")
    with django_assert_max_num_queries(8):
        deep_page = signed_in.get(f"/ade/?after={deep}")
    assert first.content.decode().count("<strong>agent-") == 25
    assert deep_page.content.decode().count("<strong>agent-") == 25


# ------------------------------------------------------------------------------------------------- delete


def test_delete_asks_first_then_deletes_on_post(signed_in, make_agent):
    agent = make_agent(name="doomed")
    html = signed_in.get("/ade/").content.decode()
    assert f'hx-post="/ade/agents/{agent.id}/delete/"' in html and "hx-confirm=" in html
    confirm = signed_in.get(f"/ade/agents/{agent.id}/delete/confirm/").content.decode()
    assert "Delete the agent “doomed”?" in confirm
    assert signed_in.get(f"/ade/agents/{agent.id}/delete/").status_code == 405  # a GET never deletes

    response = signed_in.post(f"/ade/agents/{agent.id}/delete/")
    assert response.status_code == 302 and not Agent.objects.filter(pk=agent.id).exists()


def test_htmx_delete_answers_an_empty_row(signed_in, make_agent):
    agent = make_agent(name="doomed")
    response = signed_in.post(f"/ade/agents/{agent.id}/delete/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content == b""
    assert not Agent.objects.filter(pk=agent.id).exists()


def test_another_organizations_agent_is_not_found(signed_in, foreign_agent):
    for url in ("delete/confirm/", "export/"):
        assert signed_in.get(f"/ade/agents/{foreign_agent.id}/{url}").status_code == 404
    assert signed_in.post(f"/ade/agents/{foreign_agent.id}/delete/").status_code == 404
    assert Agent.objects.filter(pk=foreign_agent.id).exists()


# ------------------------------------------------------------------------------------------------- agent files


def test_export_is_the_apis_json_as_a_named_download(signed_in, api, make_agent):
    agent = make_agent(name="scout one")
    response = signed_in.get(f"/ade/agents/{agent.id}/export/")
    assert response["Content-Disposition"] == 'attachment; filename="scout one.af"'
    page_file = json.loads(response.content)
    api_file = api.get(f"/v1/agents/{agent.id}/export").json()
    page_file.pop("created_at", None), api_file.pop("created_at", None)
    assert page_file == api_file


def test_importing_a_letta_file_creates_its_agent_and_links_to_it(signed_in, org):
    content = (FIXTURE_DIR / "customer_service.af").read_bytes()
    response = signed_in.post("/ade/import/", {"file": upload(content, "customer_service.af")})
    html = response.content.decode()
    agent = Agent.objects.get(organization=org)
    assert response.status_code == 200 and f'href="/ade/agents/{agent.id}/"' in html and "Imported." in html


def test_an_imported_over_limit_block_is_a_warning(signed_in):
    doc = agent_file(blocks=[{"id": "block-0", "label": "human", "value": "Ada likes tea a lot", "limit": 10}])
    html = signed_in.post("/ade/import/", {"file": upload(json.dumps(doc).encode())}).content.decode()
    assert "1 warning" in html and "over its limit of 10" in html
    assert Block.objects.get(label="human").value == "Ada likes tea a lot"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
        pytest.param(b'{"agents": []}', "no agent to import", id="wrong-shape"),
        pytest.param(b"[1, 2]", "must hold a JSON object", id="not-an-object"),
    ],
)
def test_a_file_that_is_not_an_agent_file_is_refused_next_to_the_control(signed_in, content, message):
    response = signed_in.post("/ade/import/", {"file": upload(content)}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and message in field_error(response.content.decode(), "file")
    assert not Agent.objects.exists()


def test_a_tool_with_other_code_is_refused_next_to_the_file_until_the_person_chooses(signed_in, org):
    from tools.models import Tool

    signed_in.post("/ade/import/", {"file": upload(json.dumps(agent_file()).encode())})
    changed = agent_file()
    changed["tools"][2] = {**changed["tools"][2], "source_code": "def lookup(order_id: str) -> str:\n    ...\n"}
    posted = {"file": upload(json.dumps(changed).encode())}
    response = signed_in.post("/ade/import/", posted, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Tool tool-2 (lookup)" in html_module.unescape(field_error(response.content.decode(), "file"))
    assert Agent.objects.count() == 1

    response = signed_in.post("/ade/import/", {"file": upload(json.dumps(changed).encode()), "existing_tools": "keep"})
    assert response.status_code == 200 and "different code; it was kept" in response.content.decode()
    assert Tool.objects.get(organization=org, name="lookup").source_code == agent_file()["tools"][2]["source_code"]


def test_a_file_too_large_is_refused_before_it_is_read(signed_in, settings):
    settings.MAX_AGENT_FILE_BYTES = 100
    doc = json.dumps(agent_file()).encode()
    response = signed_in.post("/ade/import/", {"file": upload(doc)})
    assert response.status_code == 422
    assert "than the 100 bytes limit (LETTA_MAX_AGENT_FILE_BYTES)" in field_error(response.content.decode(), "file")
    assert not Agent.objects.exists()


def test_no_file_is_a_message_next_to_the_control(signed_in):
    response = signed_in.post("/ade/import/", {})
    assert response.status_code == 422 and "Choose an agent file (.af) to import." in field_error(
        response.content.decode(), "file"
    )


def test_the_api_refuses_a_file_too_large_by_the_same_rule(api, settings):
    settings.MAX_AGENT_FILE_BYTES = 100
    response = api.post("/v1/agents/import", {"file": upload(json.dumps(agent_file()).encode())})
    assert response.status_code == 413 and "(LETTA_MAX_AGENT_FILE_BYTES)" in response.json()["detail"]
    assert not Agent.objects.exists()


def test_with_no_model_offered_the_form_says_where_to_add_a_provider(signed_in, settings):
    settings.LLM_PROVIDERS = {}
    html = signed_in.get("/ade/new/").content.decode()
    assert "No provider offers a chat model right now." in html and 'href="/ade/providers/"' in html
