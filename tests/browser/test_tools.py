"""Browser stories of the Tools panel and the custom tool editor."""

import re

from playwright.sync_api import expect

from agents import services
from agents.models import Agent
from tests.browser.conftest import no_sideways_scroll, shot

GREET = '''def greet(name: str) -> str:
    """Greet someone.

    Args:
        name: Who to greet.
    """
    print("greeting", name)
    return "hello " + name'''


def rules_of(agent) -> list[dict]:
    return Agent.objects.get(pk=agent.id).tool_rules


def test_write_a_custom_tool_test_run_it_save_and_attach_it(page, make_agent):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/tools/")
    page.get_by_role("link", name="New custom tool").click()
    expect(page.get_by_role("heading", name="New custom tool")).to_be_visible()

    source = page.get_by_label("Python source")
    source.fill(GREET.replace("name: str", "name"))
    schema = page.locator("#schema")
    expect(schema).to_contain_text("type annotation")
    source.fill(GREET)
    expect(schema).to_contain_text('"name": "greet"')
    expect(schema).to_contain_text("Who to greet.")

    arguments = page.get_by_label("Arguments (JSON)")
    arguments.fill("{name: Ada}")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("The arguments are not valid JSON")).to_be_visible()
    expect(page.get_by_label("Arguments (JSON)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Arguments (JSON)")).to_have_value("{name: Ada}")

    page.get_by_label("Arguments (JSON)").fill('{"name": "Ada"}')
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#run-return")).to_have_text("hello Ada")
    expect(page.locator("#run-stdout")).to_contain_text("greeting Ada")
    expect(page.locator("#run-status")).to_have_text("success")
    expect(page.locator("#run-duration")).to_have_text(re.compile(r"\d+ ms"))
    shot(page, "tool-editor")

    expect(page.get_by_label("Attach it to scout")).to_be_checked()
    page.get_by_role("button", name="Create tool").click()
    expect(page).to_have_url(re.compile(rf"/ade/agents/{agent.id}/tools/$"))
    expect(page.get_by_role("cell", name="greet", exact=False).first).to_be_visible()
    assert agent.tools.filter(name="greet").exists()

    page.get_by_label("greet requires approval").check()
    expect(page.locator("#enforced-rules")).to_contain_text("greet waits for a person's approval before it runs")
    expect(page.get_by_label("greet requires approval")).to_be_checked()
    assert {"type": "requires_approval", "tool_name": "greet"} in rules_of(agent)


def test_edit_the_tool_rules_and_see_what_the_loop_enforces(page, make_agent):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/tools/")
    expect(page.locator("#enforced-rules")).to_contain_text("No rules")

    new = page.get_by_role("group", name="Add a rule")
    new.get_by_label("Type").select_option(label="Terminal: ends the turn")
    new.get_by_label("Tool", exact=True).select_option("memory_insert")
    new.get_by_role("button", name="Add rule").click()
    enforced = page.locator("#enforced-rules")
    expect(enforced).to_contain_text("memory_insert ends your response (yields control) when called")

    new = page.get_by_role("group", name="Add a rule")
    new.get_by_label("Type").select_option(label="Max count per step")
    new.get_by_label("Tool", exact=True).select_option("memory_replace")
    new.get_by_label("Max calls per request").fill("2")
    new.get_by_role("button", name="Save rules").click()
    expect(enforced).to_contain_text("memory_replace: max 2 use(s) per response")
    expect(page.get_by_role("group", name="Tool rule 1")).to_be_visible()
    shot(page, "agent-tools")

    new = page.get_by_role("group", name="Add a rule")
    new.get_by_label("Type").select_option(label="Child tools: only these may follow")
    new.get_by_label("Tool", exact=True).select_option("conversation_search")
    new.get_by_role("button", name="Save rules").click()
    expect(page.get_by_role("alert")).to_contain_text("'children' must be a non-empty list of tool names")
    expect(page.get_by_role("group", name="Add a rule").get_by_label("Type")).to_have_value("constrain_child_tools")
    assert [r["type"] for r in rules_of(agent)] == ["exit_loop", "max_count_per_step"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove tool rule 0").click()
    expect(enforced).not_to_contain_text("memory_insert ends your response")
    expect(enforced).to_contain_text("memory_replace: max 2 use(s) per response")
    assert rules_of(agent) == [{"type": "max_count_per_step", "tool_name": "memory_replace", "max_count_limit": 2}]


def test_the_tools_panel_and_the_editor_fit_a_phone(phone, make_agent):
    agent = make_agent(name="scout")
    services.update_agent(
        agent,
        tool_rules=[
            {"type": "constrain_child_tools", "tool_name": "memory_insert", "children": ["memory_replace"]},
            {"type": "max_count_per_step", "tool_name": "conversation_search", "max_count_limit": 3},
        ],
    )
    phone.goto(f"/ade/agents/{agent.id}/tools/")
    expect(phone.get_by_role("heading", name="Tool rules")).to_be_visible()
    expect(phone.get_by_role("group", name="Tool rule 0").get_by_label("memory_replace")).to_be_checked()
    assert no_sideways_scroll(phone)
    shot(phone, "agent-tools-phone")

    phone.get_by_role("link", name="New custom tool").click()
    phone.get_by_label("Python source").fill(GREET)
    expect(phone.locator("#schema")).to_contain_text('"name": "greet"')
    assert no_sideways_scroll(phone)


def test_approval_and_rules_work_by_keyboard(page, make_agent):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/tools/")

    toggle = page.get_by_label("memory_insert requires approval")
    toggle.focus()
    page.keyboard.press("Space")
    expect(page.locator("#enforced-rules")).to_contain_text("memory_insert waits for a person's approval")
    expect(page.get_by_label("memory_insert requires approval")).to_be_checked()
    expect(page.get_by_label("memory_insert requires approval")).to_be_focused()  # the swap keeps the focus

    new = page.get_by_role("group", name="Add a rule")
    new.get_by_label("Type").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # the second type: terminal
    new.get_by_label("Tool", exact=True).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # a terminal rule has no other field: the others are hidden
    expect(new.get_by_role("button", name="Add rule")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#enforced-rules")).to_contain_text("conversation_search ends your response")
    assert rules_of(agent)[0] == {"type": "exit_loop", "tool_name": "conversation_search"}
