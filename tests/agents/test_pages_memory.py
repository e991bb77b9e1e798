"""The memory blocks panel: edit in place, details, add, attach, detach, delete, and two tabs saving one block."""

import html as htmllib
import re

import pytest

from accounts.models import Organization
from agents import services
from memory import services as memory
from memory.models import Block, BlockRevision
from memory.services import EditActor

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(make_agent):
    return make_agent(blocks=[{"label": "human", "value": "Name: Ada", "limit": 20}])


def human(agent) -> Block:
    return agent.blocks.get(label="human")


def url(agent, *parts) -> str:
    return "/".join([f"/ade/agents/{agent.id}/memory", *parts]) + "/"


def save_value(client, agent, block, value, version):
    return client.post(
        url(agent, block.id, "value"), {f"{block.id}-value": value, f"{block.id}-version": version}, **HTMX
    )


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}_error">(.*?)</p>', html, re.S)
    assert match, f"no error next to {field_id}"
    return htmllib.unescape(match.group(1))


def test_the_panel_shows_each_block_with_its_form_and_count(signed_in, agent):
    block = human(agent)
    html = signed_in.get(url(agent)).content.decode()

    assert f'<label for="id_{block.id}-value">Value of human</label>' in html
    assert "Name: Ada</textarea>" in html
    assert f'data-count-for="id_{block.id}-value" data-limit="20"' in html and "9 / 20 characters" in html
    assert f'name="{block.id}-version" value="1"' in html


def test_a_valid_edit_is_saved_by_the_person_as_a_new_revision(signed_in, agent, person):
    block = human(agent)
    response = save_value(signed_in, agent, block, "Name: Ada Lovelace", 1)

    assert response.status_code == 200 and "Saved (version 2)" in response.content.decode()
    revision = BlockRevision.objects.get(block=block, version=2)
    assert (revision.actor_type, revision.actor_id, revision.value_after) == (
        "user",
        str(person.pk),
        "Name: Ada Lovelace",
    )


def test_an_over_limit_value_is_refused_next_to_the_textarea_with_the_text_kept(signed_in, agent):
    block = human(agent)
    typed = "Name: Ada, Countess of Lovelace"
    response = save_value(signed_in, agent, block, typed, 1)
    html = response.content.decode()

    assert response.status_code == 422
    assert "over its limit of 20" in field_error(html, f"id_{block.id}-value")
    assert f"{typed}</textarea>" in html and 'aria-invalid="true"' in html
    assert (Block.objects.get(pk=block.pk).value, block.revisions.count()) == ("Name: Ada", 1)


def test_a_value_or_limit_over_the_block_cap_is_refused_with_the_setting_named(signed_in, agent, settings):
    settings.MAX_BLOCK_CHARS = 1_000
    block = human(agent)
    Block.objects.filter(pk=block.pk).update(limit=5_000)  # stored before the cap was lowered
    response = save_value(signed_in, agent, block, "x" * 1_001, 1)
    assert response.status_code == 422
    assert "any block may hold (LETTA_MAX_BLOCK_CHARS)" in field_error(
        response.content.decode(), f"id_{block.id}-value"
    )

    data = {"label": "human", "limit": "2000", "version": "1"}
    response = signed_in.post(
        url(agent, block.id, "details"), {f"{block.id}-details-{k}": v for k, v in data.items()}, **HTMX
    )
    assert response.status_code == 422
    error = field_error(response.content.decode(), f"id_{block.id}-details-limit")
    assert "can be at most 1,000 characters (LETTA_MAX_BLOCK_CHARS)" in error
    assert (Block.objects.get(pk=block.pk).value, Block.objects.get(pk=block.pk).limit) == ("Name: Ada", 5_000)


def test_two_tabs_saving_one_block_show_both_versions_and_write_nothing(signed_in, agent):
    block = human(agent)
    first_tab = signed_in.get(url(agent)).content.decode()
    second_tab = signed_in.get(url(agent)).content.decode()
    assert all(f'name="{block.id}-version" value="1"' in tab for tab in (first_tab, second_tab))

    assert save_value(signed_in, agent, block, "Name: Ada L.", 1).status_code == 200
    response = save_value(signed_in, agent, block, "Name: Augusta", 1)  # the second tab, loaded at version 1
    html = response.content.decode()

    assert response.status_code == 422 and "was changed since you loaded it" in html
    assert re.search(r'<pre class="theirs"[^>]*>Name: Ada L\.</pre>', html)  # theirs, stored
    assert "Name: Augusta</textarea>" in html  # mine, as typed
    assert f'name="{block.id}-version" value="2"' in html and "Save mine over it" in html
    assert Block.objects.get(pk=block.pk).value == "Name: Ada L." and block.revisions.count() == 2

    # Saving mine over it is a deliberate second save, at the version now stored.
    assert save_value(signed_in, agent, block, "Name: Augusta", 2).status_code == 200
    assert Block.objects.get(pk=block.pk).value == "Name: Augusta"
    # Keeping theirs is the card as stored.
    assert "Name: Augusta</textarea>" in signed_in.get(url(agent, block.id), **HTMX).content.decode()


def test_details_are_saved_and_a_duplicate_label_is_refused_next_to_the_label(signed_in, agent):
    block = human(agent)
    services.attach_new_block(agent, "notes", "", EditActor.api())
    data = {"label": "notes", "description": "about them", "limit": "50", "version": "1"}
    response = signed_in.post(
        url(agent, block.id, "details"), {f"{block.id}-details-{k}": v for k, v in data.items()}, **HTMX
    )

    assert response.status_code == 422
    assert "already has a memory block labelled 'notes'" in field_error(
        response.content.decode(), f"id_{block.id}-details-label"
    )
    assert Block.objects.get(pk=block.pk).label == "human"

    data.update(label="person", read_only="on")
    response = signed_in.post(
        url(agent, block.id, "details"), {f"{block.id}-details-{k}": v for k, v in data.items()}, **HTMX
    )
    block.refresh_from_db()
    assert response.status_code == 200
    assert (block.label, block.description, block.limit, block.read_only) == ("person", "about them", 50, True)


def test_a_limit_under_the_value_is_refused_next_to_the_limit(signed_in, agent):
    block = human(agent)
    data = {"label": "human", "limit": "3", "version": "1"}
    response = signed_in.post(
        url(agent, block.id, "details"), {f"{block.id}-details-{k}": v for k, v in data.items()}, **HTMX
    )
    assert response.status_code == 422
    assert "Cannot set the limit" in field_error(response.content.decode(), f"id_{block.id}-details-limit")
    assert Block.objects.get(pk=block.pk).limit == 20


def test_adding_a_block_and_a_duplicate_label(signed_in, agent):
    response = signed_in.post(
        url(agent, "new"), {"new-label": "project", "new-value": "Due Friday", "new-limit": "100"}, **HTMX
    )
    assert response.status_code == 200 and "Block “project” added." in response.content.decode()
    assert agent.blocks.get(label="project").limit == 100

    count = Block.objects.count()
    response = signed_in.post(url(agent, "new"), {"new-label": "project", "new-value": "again", "new-limit": "100"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "already has a memory block labelled 'project'" in field_error(html, "id_new-label")
    assert "again</textarea>" in html
    assert Block.objects.count() == count  # the refused block was not stored either

    response = signed_in.post(url(agent, "new"), {"new-label": "long", "new-value": "x" * 11, "new-limit": "10"})
    assert response.status_code == 422 and "over its limit of 10" in field_error(
        response.content.decode(), "id_new-value"
    )
    assert Block.objects.count() == count


def test_attach_an_organizations_block_and_see_it_shared(signed_in, agent, make_agent):
    other = make_agent(name="buddy", blocks=[{"label": "project", "value": "Shared goal"}])
    shared = other.blocks.get()

    found = signed_in.get(url(agent, "attachable"), {"q": "proj"}, **HTMX).content.decode()
    assert "Attach project" in found and "Shared goal" in found

    response = signed_in.post(url(agent, "attach"), {"attach-block": shared.id}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and agent.blocks.filter(pk=shared.pk).exists()
    assert "Shared with 2 agents" in html and f'href="/ade/agents/{other.id}/memory/">buddy</a>' in html

    third = make_agent(name="third", blocks=[{"label": "project", "value": "Another"}])
    response = signed_in.post(url(agent, "attach"), {"attach-block": third.blocks.get().id}, **HTMX)
    assert response.status_code == 422
    assert "already has a memory block labelled 'project'" in htmllib.unescape(response.content.decode())


def test_detach_keeps_the_block_and_delete_removes_it_everywhere(signed_in, agent, make_agent):
    block = human(agent)
    other = make_agent(name="buddy", blocks=[])
    services.attach_block(other, block)

    assert signed_in.post(url(agent, block.id, "detach"), **HTMX).status_code == 200
    assert not agent.blocks.exists() and other.blocks.filter(pk=block.pk).exists()

    services.attach_block(agent, block)
    assert signed_in.post(url(agent, block.id, "delete"), **HTMX).status_code == 200
    assert not Block.objects.filter(pk=block.pk).exists() and not other.blocks.exists()


def test_destructive_actions_ask_first(signed_in, agent):
    html = signed_in.get(url(agent)).content.decode()
    assert html.count("hx-confirm=") == 2 and "removed from every agent that holds it" in html


def test_another_organizations_agent_and_blocks_are_not_found(signed_in, agent, providers):
    theirs = services.create_agent(
        organization_id=Organization.objects.create(name="other").id,
        name="theirs",
        model="openai/gpt-4.1-mini",
        memory_blocks=[{"label": "secret", "value": "x"}],
    )
    block = theirs.blocks.get()
    assert signed_in.get(url(theirs)).status_code == 404
    assert save_value(signed_in, theirs, block, "mine", 1).status_code == 404
    # Their block through my agent's URLs: not one of my agent's blocks, and not attachable.
    assert save_value(signed_in, agent, block, "mine", 1).status_code == 404
    assert signed_in.post(url(agent, "attach"), {"attach-block": block.id}, **HTMX).status_code == 422
    assert Block.objects.get(pk=block.pk).value == "x" and not agent.blocks.filter(pk=block.pk).exists()
    memory.update_block(block.id, value="still theirs", actor=EditActor.api())


def test_details_saved_over_a_newer_version_are_refused_once_with_the_typed_details_kept(signed_in, agent):
    block = human(agent)
    memory.update_block(block.id, value="Name: Grace", actor=EditActor.api())  # someone else, after the page loaded
    data = {"label": "person", "limit": "30", "version": "1"}
    fields = {f"{block.id}-details-{k}": v for k, v in data.items()}
    response = signed_in.post(url(agent, block.id, "details"), fields, **HTMX)
    html = response.content.decode()

    assert response.status_code == 422 and "was changed since you loaded it" in htmllib.unescape(html)
    assert f'name="{block.id}-details-label" value="person"' in html
    assert f'name="{block.id}-details-version" value="2"' in html
    assert Block.objects.get(pk=block.pk).label == "human"

    fields[f"{block.id}-details-version"] = "2"  # saving again is a deliberate choice
    assert signed_in.post(url(agent, block.id, "details"), fields, **HTMX).status_code == 200
    assert Block.objects.get(pk=block.pk).label == "person"


def test_an_agent_with_many_blocks_shows_them_a_page_at_a_time(signed_in, make_agent):
    agent = make_agent(blocks=[{"label": f"note_{i:02d}", "value": f"fact {i}"} for i in range(25)])
    first = signed_in.get(f"/ade/agents/{agent.id}/memory/").content.decode()
    second = signed_in.get(f"/ade/agents/{agent.id}/memory/?page=2").content.decode()

    assert "note_00" in first and "note_19" in first and "note_20" not in first
    assert "Blocks 1–20 of 25" in first and 'href="?page=2"' in first
    assert "note_20" in second and "note_24" in second and "note_19" not in second


def test_a_value_typed_in_the_browser_is_stored_with_plain_newlines(signed_in, agent):
    # Browsers send a textarea's lines ended by CRLF; the page's counter, the limit and the agent see LF, so a
    # value the counter shows at exactly its limit (20 characters) is taken.
    block = human(agent)
    response = save_value(signed_in, agent, block, "Name: Ada\r\nLikes: tea", 1)

    assert response.status_code == 200
    assert Block.objects.get(pk=block.pk).value == "Name: Ada\nLikes: tea"
