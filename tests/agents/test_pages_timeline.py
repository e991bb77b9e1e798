"""The memory timeline: who changed which block, a readable diff, paging, the filter to one block, and restore."""

import html as htmllib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as accounts
from accounts.models import Organization
from agents import services
from agents.models import Run, Step
from memory import services as memory
from memory.models import Block
from memory.services import EditActor

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(make_agent):
    return make_agent(blocks=[{"label": "human", "value": "Name: Ada\nLikes: tea", "limit": 60}])


def human(agent) -> Block:
    return agent.blocks.get(label="human")


def url(agent) -> str:
    return f"/ade/agents/{agent.id}/timeline/"


def entries(page_html: str) -> list[str]:
    return re.findall(r'<li class="revision".*?</li>', page_html, re.S)


def text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment))).strip()


def agent_edit(agent, block, value):
    run = Run.objects.create(organization_id=agent.organization_id, agent=agent, status="completed")
    step = Step.objects.create(organization_id=agent.organization_id, run=run, agent=agent)
    memory.memory_rethink(block.id, value, actor=EditActor.agent(agent.id, step.id, "call-7", "memory_rethink"))
    return run, step


def test_each_change_says_who_made_it_and_shows_a_diff(signed_in, agent, person, org):
    block = human(agent)
    memory.update_block(block.id, value="Name: Ada\nLikes: coffee", actor=EditActor.user(str(person.pk)))
    key, _ = accounts.create_api_key(organization_id=org.id, name="ci pipeline")
    memory.update_block(block.id, limit=80, actor=EditActor.api(key.id))
    run, step = agent_edit(agent, block, "Name: Ada Lovelace\nLikes: coffee")

    newest, by_key, by_person, created = entries(signed_in.get(url(agent)).content.decode())

    assert "human · version 4" in text(newest)
    assert f"run {run.id}, step {step.id}, tool call memory_rethink (call-7)" in text(newest)
    assert f'href="/ade/agents/{agent.id}/runs/{run.id}/"' in newest
    assert f'href="/ade/agents/{agent.id}/runs/{run.id}/?step={step.id}#step-{step.id}"' in newest
    assert "<del>- Name: Ada</del>" in newest and "<ins>+ Name: Ada Lovelace</ins>" in newest
    assert "Through the API, key “ci pipeline”" in text(by_key) and "Changed: limit." in text(by_key)
    assert "limit: 60 → 80" in text(by_key) and "The value did not change." in text(by_key)
    assert "By ada in the ADE" in text(by_person) and "Changed: value." in text(by_person)
    assert "<del>- Likes: tea</del>" in by_person and "<ins>+ Likes: coffee</ins>" in by_person
    assert "Created." in text(created) and "<ins>+ Name: Ada</ins>" in created


def test_names_are_resolved_in_the_same_number_of_queries_for_any_page(signed_in, agent, person, org):
    block = human(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(url(agent)).status_code == 200
        return len(captured)

    memory.update_block(block.id, value="one", actor=EditActor.user(str(person.pk)))
    few = queries()
    key, _ = accounts.create_api_key(organization_id=org.id, name="k")
    for n in range(6):
        memory.update_block(block.id, value=f"by key {n}", actor=EditActor.api(key.id))
        memory.update_block(block.id, value=f"by ada {n}", actor=EditActor.user(str(person.pk)))
        agent_edit(agent, block, f"by the agent {n}")
    assert queries() == few + 2  # one for the keys, one for the runs of the steps, however many rows


def test_the_timeline_pages_newest_first_and_filters_to_one_block(signed_in, make_agent):
    agent = make_agent()  # human and persona
    persona = agent.blocks.get(label="persona")
    block = agent.blocks.get(label="human")
    for n in range(25):
        memory.update_block(block.id, value=f"edit {n}", actor=EditActor.api())

    first = signed_in.get(url(agent)).content.decode()
    versions = [int(v) for v in re.findall(r"human · version (\d+)", text(first))]
    assert versions == list(range(26, 6, -1))
    older = re.search(r'href="\?after=(\d+)">Older', first).group(1)

    second = signed_in.get(url(agent), {"after": older}).content.decode()
    expected = [("human", str(v)) for v in range(6, 1, -1)] + [("persona", "1"), ("human", "1")]
    assert re.findall(r"(human|persona) · version (\d+)", text(second)) == expected
    assert "Newer" in second and "Older" not in second

    only_persona = signed_in.get(url(agent), {"block": persona.id}).content.decode()
    assert len(entries(only_persona)) == 1 and "persona · version 1" in text(only_persona)
    assert signed_in.get(url(agent), {"block": "block-elsewhere"}).status_code == 404


def test_restore_writes_a_new_revision_with_the_old_value(signed_in, agent, person):
    block = human(agent)
    memory.update_block(block.id, value="Name: Grace", actor=EditActor.api())
    restore = f"/ade/agents/{agent.id}/timeline/{block.id}/1/restore/"

    page = signed_in.get(url(agent)).content.decode()
    assert 'hx-confirm="Restore “human” to its value of version 1?' in page
    response = signed_in.post(restore, **HTMX)
    html = response.content.decode()

    block.refresh_from_db()
    assert response.status_code == 200 and (block.value, block.version) == ("Name: Ada\nLikes: tea", 3)
    assert "Restored “human” to the value of version 1, as version 3." in text(html)
    newest = entries(html)[0]
    assert "human · version 3" in text(newest) and "Restored the value of version 1." in text(newest)
    assert "By ada in the ADE" in text(newest) and "This is the current value." in text(newest)


def test_a_refused_restore_says_why_and_changes_nothing(signed_in, agent):
    block = human(agent)
    memory.update_block(block.id, value="short", limit=10, actor=EditActor.api())
    response = signed_in.post(f"/ade/agents/{agent.id}/timeline/{block.id}/1/restore/", **HTMX)

    assert response.status_code == 422
    assert "Cannot restore version 1 of memory block 'human'" in text(response.content.decode())
    assert Block.objects.get(pk=block.pk).version == 2
    missing = signed_in.post(f"/ade/agents/{agent.id}/timeline/{block.id}/9/restore/", **HTMX)
    assert missing.status_code == 422 and "has no version 9" in text(missing.content.decode())


def test_another_organizations_agent_and_blocks_are_not_found(signed_in, agent, providers):
    theirs = services.create_agent(
        organization_id=Organization.objects.create(name="other").id,
        name="theirs",
        model="openai/gpt-4.1-mini",
        memory_blocks=[{"label": "secret", "value": "x"}],
    )
    block = theirs.blocks.get()
    memory.update_block(block.id, value="y", actor=EditActor.api())
    assert signed_in.get(url(theirs)).status_code == 404
    assert signed_in.post(f"/ade/agents/{theirs.id}/timeline/{block.id}/1/restore/").status_code == 404
    assert signed_in.post(f"/ade/agents/{agent.id}/timeline/{block.id}/1/restore/").status_code == 404
    assert Block.objects.get(pk=block.pk).value == "y"
