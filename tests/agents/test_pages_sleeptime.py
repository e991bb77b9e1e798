"""The sleep-time panel of an agent: turning its sleep-time agent on and off and setting how often it runs, through
the services the API reaches (agents.sleeptime); a refused frequency stays beside its field and stores nothing."""

import html as markup
import re

import pytest

from agents import services, sleeptime
from agents.models import Agent, Group
from memory.services import EditActor, memory_replace

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(make_agent):
    return make_agent(name="scout")


def url(agent, change=False) -> str:
    return f"/ade/agents/{agent.id}/sleeptime/" + ("change/" if change else "")


def error_of(html: str) -> str:
    match = re.search(r'<p class="field-error" id="id_frequency_error">(.*?)</p>', html, re.S)
    assert match, "no error beside the frequency"
    return markup.unescape(match.group(1))


def test_turning_it_on_shows_the_sleeptime_agent_beside_the_agent(signed_in, agent):
    page = signed_in.get(url(agent)).content.decode()
    assert "Turn on" in page and 'aria-current="page">Sleep-time</a>' in page

    answer = signed_in.post(url(agent, change=True), {"action": "enable", "frequency": "3"}, **HTMX)
    assert answer.status_code == 200
    group = Group.objects.get(manager_agent=agent)
    sleeper = group.sleeptime_agent
    assert group.sleeptime_agent_frequency == 3 and sleeper.name == "scout-sleeptime"
    html = answer.content.decode()
    assert "The sleep-time agent is on." in html and sleeper.name in html and sleeper.model in html
    assert "after every 3 turns" in html and "none yet" in html
    assert f"/ade/agents/{sleeper.id}/runs/" in html

    # The sleep-time agent's own panel names the agent it serves, and offers no switch of its own.
    own = signed_in.get(url(sleeper)).content.decode()
    assert "This is the sleep-time agent of" in own and "Turn on" not in own


def test_the_frequency_is_saved_and_a_bad_one_refused_beside_its_field(signed_in, agent):
    sleeptime.enable(agent)
    saved = signed_in.post(url(agent, change=True), {"action": "save", "frequency": "2"}, **HTMX)
    assert saved.status_code == 200 and "Saved." in saved.content.decode()
    assert Group.objects.get(manager_agent=agent).sleeptime_agent_frequency == 2

    for typed in ("0", "-4"):
        refused = signed_in.post(url(agent, change=True), {"action": "save", "frequency": typed}, **HTMX)
        assert refused.status_code == 422
        assert "sleeptime_agent_frequency must be a whole number of turns from 1" in error_of(refused.content.decode())
        assert f'value="{typed}"' in refused.content.decode()  # what was typed is kept
        assert Group.objects.get(manager_agent=agent).sleeptime_agent_frequency == 2

    refused = signed_in.post(url(agent, change=True), {"action": "save", "frequency": "often"}, **HTMX)
    assert refused.status_code == 422 and "whole number" in error_of(refused.content.decode())


def test_a_bad_frequency_when_turning_on_stores_nothing(signed_in, agent):
    refused = signed_in.post(url(agent, change=True), {"action": "enable", "frequency": "0"}, **HTMX)
    assert refused.status_code == 422
    assert not Group.objects.exists() and Agent.objects.count() == 1


def test_turning_it_off_deletes_the_sleeptime_agent_and_keeps_the_blocks(signed_in, agent):
    group = sleeptime.enable(agent)
    sleeper_id = group.sleeptime_agent_id
    page = signed_in.get(url(agent)).content.decode()
    assert "hx-confirm=" in page and "Turn off" in page

    answer = signed_in.post(url(agent, change=True), {"action": "disable"}, **HTMX)
    assert answer.status_code == 200 and "is off" in answer.content.decode()
    assert not Group.objects.exists() and not Agent.objects.filter(pk=sleeper_id).exists()
    assert sorted(agent.blocks.values_list("label", flat=True)) == ["human", "persona"]


def test_the_timeline_names_the_sleeptime_agents_edits(signed_in, make_agent):
    agent = make_agent(name="scout")
    block = agent.blocks.get(label="human")
    group = sleeptime.enable(agent)
    memory_replace(
        block.id,
        block.value,
        "Name: Ada",
        actor=EditActor.agent(group.sleeptime_agent_id, None, None, "memory_replace"),
    )
    html = signed_in.get(f"/ade/agents/{agent.id}/timeline/").content.decode()
    assert "By the sleep-time agent" in html and group.sleeptime_agent_id in html


def test_another_organizations_agent_is_not_found(signed_in, other_org):
    foreign = services.create_agent(organization_id=other_org.id, name="theirs", model="openai/gpt-4.1-mini")
    sleeptime.enable(foreign)
    assert signed_in.get(url(foreign)).status_code == 404
    assert signed_in.post(url(foreign, change=True), {"action": "disable"}).status_code == 404
    assert Group.objects.filter(manager_agent=foreign).exists()
