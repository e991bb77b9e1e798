"""The ADE's agent pages: the list, an agent's memory blocks and its context window viewer."""

import re

import pytest

from accounts.models import Organization
from agents.context_display import SECTIONS
from agents.context_window import context_overview
from agents.models import Agent


@pytest.fixture
def foreign_agent(providers):
    from agents import services

    other = Organization.objects.create(name="other")
    return services.create_agent(organization_id=other.id, name="theirs", model="openai/gpt-4.1-mini")


def data_tokens(html: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}"[^>]*data-tokens="(\d+)"', html)
    assert match, f"no token count for {element_id}"
    return int(match.group(1))


def section_tokens(html: str, key: str) -> int:
    row = re.search(rf'<tr id="section-{key}".*?</tr>', html, re.S)
    assert row, f"no row for section {key}"
    return int(re.search(r'data-tokens="(\d+)"', row.group(0)).group(1))


def test_the_list_shows_the_organizations_agents(signed_in, make_agent, foreign_agent):
    make_agent(name="helper", model="openai/gpt-4.1-mini")
    html = signed_in.get("/ade/").content.decode()

    assert "helper" in html and "openai/gpt-4.1-mini" in html
    assert re.search(r'<td class="num">2</td>', html)  # its two blocks
    assert "never" in html  # it has not run yet
    assert "theirs" not in html


def test_an_empty_list_says_how_to_create_an_agent(signed_in):
    assert "No agents yet" in signed_in.get("/ade/").content.decode()


def test_the_agent_page_shows_its_memory_blocks(signed_in, make_agent):
    agent = make_agent(
        blocks=[
            {"label": "human", "value": "Name: Ada", "limit": 500},
            {"label": "policy", "value": "Be kind.", "limit": 100, "read_only": True},
        ]
    )
    html = signed_in.get(f"/ade/agents/{agent.id}/memory/").content.decode()

    assert "Name: Ada</textarea>" in html and "9 / 500 characters" in html
    assert "Be kind.</textarea>" in html and "8 / 100 characters" in html
    assert html.count('<span class="badge">read-only</span>') == 1


def test_the_context_viewer_shows_every_section_with_the_overviews_numbers(signed_in, make_agent):
    agent = make_agent(tool_rules=[{"type": "max_count_per_step", "tool_name": "memory_insert", "max_count_limit": 2}])
    html = signed_in.get(f"/ade/agents/{agent.id}/").content.decode()
    overview = context_overview(Agent.objects.get(pk=agent.id))

    for key, title in SECTIONS:
        assert title in html
        assert section_tokens(html, key) == overview[f"num_tokens_{key}"]
    assert data_tokens(html, "context-total") == overview["context_window_size_current"]
    assert data_tokens(html, "context-window") == overview["context_window_size_max"]
    assert sum(section_tokens(html, key) for key, _ in SECTIONS) == data_tokens(html, "context-total")
    assert "compaction at 90%" in html
    shares = re.findall(r'<tr id="section-\w+".*?</td>\s*<td class="num">([\d.]+)%</td>', html, re.S)
    assert len(shares) == len(SECTIONS) and abs(sum(map(float, shares)) - 100) < 0.5  # share of the tokens in use
    assert "exact counts (o200k_base)" in html and "estimated counts" not in html
    # the texts are there to expand: memory, rules, tool schemas and the raw request
    assert "&lt;memory_blocks&gt;" in html and "memory_insert: max 2 use(s) per response" in html
    assert "Raw provider request (JSON)" in html and "&quot;model&quot;: &quot;gpt-4.1-mini&quot;" in html


def test_counts_for_a_model_tiktoken_does_not_know_are_marked_estimates(signed_in, make_agent):
    agent = make_agent(model="anthropic/claude-sonnet-4-5")
    html = signed_in.get(f"/ade/agents/{agent.id}/").content.decode()
    assert "estimated counts" in html and "Total (estimate)" in html


def test_refreshing_answers_the_viewer_alone_with_a_previewed_message(signed_in, make_agent):
    agent = make_agent()
    before = data_tokens(signed_in.get(f"/ade/agents/{agent.id}/").content.decode(), "context-total")

    response = signed_in.get(
        f"/ade/agents/{agent.id}/context/", {"preview": "What is my name?"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="context"') and "<html" not in html
    assert "[user] What is my name?" in html and "nothing was sent or stored" in html
    assert data_tokens(html, "context-total") > before
    assert Agent.objects.get(pk=agent.id).message_count == agent.message_count  # a preview stores nothing


def test_another_organizations_agent_is_not_found(signed_in, foreign_agent):
    assert signed_in.get(f"/ade/agents/{foreign_agent.id}/").status_code == 404
    assert signed_in.get(f"/ade/agents/{foreign_agent.id}/context/", HTTP_HX_REQUEST="true").status_code == 404
    assert signed_in.get("/ade/agents/agent-unknown/").status_code == 404


def test_the_agent_page_follows_its_agents_events_to_refresh_the_viewer(signed_in, make_agent):
    # The page's script reads the socket address from the page; the websocket itself is tested in
    # tests/agents/test_consumers.py (a session from this server's own pages is let in).
    agent = make_agent()
    html = signed_in.get(f"/ade/agents/{agent.id}/").content.decode()
    assert f'data-agent-socket="/ws/agents/{agent.id}/"' in html and "js/chat.js" in html
    assert 'hx-trigger="context-changed from:body' in html
