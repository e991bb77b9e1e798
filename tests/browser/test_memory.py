"""Memory blocks in the browser: a refused and a saved edit, a duplicate label, two tabs saving one block, a phone."""

from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll, shot


def memory_agent(make_agent):
    return make_agent(
        name="scout",
        blocks=[
            {"label": "human", "value": "Name: Ada", "limit": 20},
            {"label": "persona", "value": "I am a careful assistant.", "limit": 200},
        ],
    )


def test_an_edit_over_the_limit_is_refused_with_the_text_kept_then_a_valid_one_saved(page, make_agent):
    agent = memory_agent(make_agent)
    page.goto(f"/ade/agents/{agent.id}/memory/")
    value = page.get_by_label("Value of human")

    too_long = "Name: Ada, Countess of Lovelace"
    value.fill(too_long)
    expect(page.get_by_text("31 / 20 characters")).to_be_visible()
    page.get_by_role("button", name="Save human").click()
    expect(page.get_by_text("over its limit of 20")).to_be_visible()
    expect(page.get_by_label("Value of human")).to_have_value(too_long)

    page.get_by_label("Value of human").fill("Name: Ada L.")
    page.get_by_role("button", name="Save human").click()
    expect(page.get_by_text("Saved (version 2).")).to_be_visible()
    expect(page.get_by_label("Value of human")).to_have_value("Name: Ada L.")
    shot(page, "agent-memory")


def test_adding_a_block_with_a_label_the_agent_has_is_refused(page, make_agent):
    agent = memory_agent(make_agent)
    page.goto(f"/ade/agents/{agent.id}/memory/")
    add = page.get_by_role("region", name="Add a block")

    add.get_by_label("Label").fill("human")
    add.get_by_label("Value").fill("Someone else")
    add.get_by_role("button", name="Add block").click()
    expect(page.get_by_text("already has a memory block labelled 'human'")).to_be_visible()
    expect(page.get_by_role("region", name="Add a block").get_by_label("Value")).to_have_value("Someone else")

    add = page.get_by_role("region", name="Add a block")
    add.get_by_label("Label").fill("project")
    add.get_by_label("Limit").fill("8")  # the count follows the limit typed
    expect(add.get_by_text("12 / 8 characters")).to_be_visible()
    add.get_by_label("Limit").fill("100")
    expect(add.get_by_text("12 / 100 characters")).to_be_visible()
    add.get_by_role("button", name="Add block").click()
    expect(page.get_by_text("Block “project” added.")).to_be_visible()
    expect(page.get_by_label("Value of project")).to_have_value("Someone else")


def test_two_tabs_saving_one_block_see_both_versions(page, make_agent):
    agent = memory_agent(make_agent)
    first = page
    second = page.context.new_page()
    for tab in (first, second):
        tab.goto(f"/ade/agents/{agent.id}/memory/")

    first.get_by_label("Value of human").fill("Name: Ada (tab 1)")
    first.get_by_role("button", name="Save human").click()
    expect(first.get_by_text("Saved (version 2).")).to_be_visible()

    second.get_by_label("Value of human").fill("Name: Ada (tab 2)")
    second.get_by_role("button", name="Save human").click()
    expect(second.get_by_role("alert")).to_contain_text("was changed since you loaded it")
    expect(second.get_by_label("Stored version of human")).to_have_text("Name: Ada (tab 1)")
    expect(second.get_by_label("Your version of human")).to_have_value("Name: Ada (tab 2)")
    shot(second, "agent-memory-conflict")

    second.get_by_role("button", name="Save mine over it").click()
    expect(second.get_by_text("Saved (version 3).")).to_be_visible()
    first.reload()
    expect(first.get_by_label("Value of human")).to_have_value("Name: Ada (tab 2)")


def test_the_memory_panel_fits_a_phone(phone, make_agent):
    agent = memory_agent(make_agent)
    phone.goto(f"/ade/agents/{agent.id}/memory/")

    expect(phone.get_by_label("Value of persona")).to_be_visible()
    expect(phone.get_by_role("region", name="Add a block")).to_be_visible()
    assert no_sideways_scroll(phone)
