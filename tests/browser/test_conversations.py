"""The conversation picker above an agent's chat, told as a person uses it: start a conversation, talk in it while
the default thread stays as it was, rename it, switch back and forth, fork it; a run in another thread does not
show up in the one on screen."""

import re

from playwright.sync_api import expect

from accounts.models import Organization
from agents import conversations
from tests.api.live_server import sdk
from tests.browser.conftest import no_sideways_scroll, shot
from tests.fakes import Reply


def send(page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def test_a_new_conversation_is_its_own_thread_and_can_be_renamed_switched_and_forked(page, make_agent, fake_openai):
    agent = make_agent(name="scout")
    fake_openai.script(Reply(text="Hello in the default thread."))
    page.goto(f"/ade/agents/{agent.id}/")
    send(page, "first, in the default thread")
    expect(page.get_by_role("log").get_by_text("Hello in the default thread.")).to_be_visible()
    expect(page.get_by_text("running", exact=True)).to_be_hidden()

    page.get_by_role("button", name="New conversation").click()
    expect(page).to_have_url(re.compile(r"\?conversation=conv-"))
    expect(page.get_by_text("No messages yet")).to_be_visible()
    fake_openai.script(Reply(text="Hello in the new conversation."))
    send(page, "hi from the new conversation")
    log = page.get_by_role("log")
    expect(log.get_by_text("Hello in the new conversation.")).to_be_visible()
    expect(log.get_by_text("Hello in the default thread.")).to_have_count(0)
    expect(page.get_by_text("running", exact=True)).to_be_hidden()

    page.get_by_text("Rename", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Planning the trip")
    page.get_by_role("button", name="Save name").click()
    picker = page.get_by_label("Conversation", exact=True)
    expect(picker.locator("option:checked")).to_have_text("Planning the trip")
    expect(page.get_by_role("log", name=re.compile("Planning the trip"))).to_be_visible()
    shot(page, "conversations")

    picker.select_option(label="Default (the agent's own thread)")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("log").get_by_text("Hello in the default thread.")).to_be_visible()
    expect(page.get_by_role("log").get_by_text("Hello in the new conversation.")).to_have_count(0)

    page.get_by_label("Conversation", exact=True).select_option(label="Planning the trip")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("button", name="Fork").click()
    expect(page).to_have_url(re.compile(r"\?conversation=conv-"))
    expect(page.get_by_role("log").get_by_text("Hello in the new conversation.")).to_be_visible()
    expect(page.get_by_label("Conversation", exact=True).locator("option")).to_have_count(3)


def test_a_blank_name_is_refused_next_to_the_box_and_nothing_changes(page, make_agent):
    agent = make_agent(name="scout")
    conversation = conversations.create_conversation(agent, summary="Kept name")
    page.goto(f"/ade/agents/{agent.id}/?conversation={conversation.id}")
    page.get_by_text("Rename", exact=True).click()
    page.get_by_label("Name", exact=True).fill("   ")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("alert")).to_contain_text("required")
    conversation.refresh_from_db()
    assert conversation.summary == "Kept name"


def test_a_run_in_another_conversation_does_not_appear_in_the_one_shown(page, make_agent, fake_openai, letta_server):
    agent = make_agent(name="scout")
    other = conversations.create_conversation(agent, summary="Elsewhere")
    page.goto(f"/ade/agents/{agent.id}/")
    expect(page.get_by_text("live", exact=True)).to_be_visible()
    fake_openai.script(Reply(text="An answer in the other conversation."))
    client = sdk(letta_server, Organization.default())
    list(client.conversations.messages.create(other.id, input="from the API, elsewhere"))
    fake_openai.script(Reply(text="An answer here."))
    send(page, "and one here")
    log = page.get_by_role("log")
    expect(log.get_by_text("An answer here.")).to_be_visible()
    expect(log.get_by_text("from the API, elsewhere")).to_have_count(0)
    expect(log.get_by_text("An answer in the other conversation.")).to_have_count(0)


def test_a_memory_change_made_in_another_thread_shows_in_the_context_viewer(
    page, make_agent, fake_openai, letta_server
):
    agent = make_agent(name="scout")
    shown = conversations.create_conversation(agent, summary="On screen")
    page.goto(f"/ade/agents/{agent.id}/?conversation={shown.id}")
    expect(page.get_by_text("live", exact=True)).to_be_visible()
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Flies kites on Sundays"})]),
        Reply(text="Noted."),
    )

    sdk(letta_server, Organization.default()).agents.messages.create(agent.id, input="I fly kites on Sundays")

    # The agent's default thread changed a block that this conversation shares: its viewer shows the new value.
    expect(page.locator("#context")).to_contain_text("Flies kites on Sundays")
    expect(page.get_by_role("log").get_by_text("I fly kites on Sundays")).to_have_count(0)


def test_on_a_phone_the_picker_fits(phone, make_agent):
    agent = make_agent(name="scout")
    conversation = conversations.create_conversation(agent, summary="A rather long conversation name " * 3)
    phone.goto(f"/ade/agents/{agent.id}/?conversation={conversation.id}")
    expect(phone.get_by_role("button", name="New conversation")).to_be_visible()
    no_sideways_scroll(phone)
