"""The chat on an agent's page, told as a person uses it, with the fake provider scripting the model: a fact told
becomes a memory edit seen live, approvals granted and denied from the page, a long run cancelled, a provider
failure, a run started through the API, older history on scroll, escaping, a phone, and the keyboard alone."""

import re
import threading

from playwright.sync_api import expect

from accounts.models import Organization
from agents.models import Message
from tests.api.live_server import sdk
from tests.browser.conftest import no_sideways_scroll, shot
from tests.fakes import Reply

INSERT_JAZZ = ("memory_insert", {"label": "human", "new_string": "Likes jazz"})


def send(page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def chat_log(page):
    return page.get_by_role("log")


def test_a_fact_told_to_the_agent_shows_up_live_as_a_memory_edit_then_in_the_block_and_timeline(
    page, make_agent, fake_openai
):
    agent = make_agent(name="scout")
    fake_openai.script(
        Reply(reasoning="The user told me a preference; I should remember it.", tool_calls=[INSERT_JAZZ]),
        Reply(text="Noted: you like jazz. I will remember that."),
    )
    page.goto(f"/ade/agents/{agent.id}/")
    expect(page.get_by_text("No messages yet")).to_be_visible()

    send(page, "I like jazz")

    log = chat_log(page)
    expect(log.get_by_text("I like jazz", exact=True)).to_be_visible()
    expect(log.get_by_text("Tool call: memory_insert")).to_be_visible()
    diff = log.get_by_label("Changes to human in version 2")
    expect(diff).to_contain_text("+ Likes jazz")
    expect(log.get_by_text("Noted: you like jazz. I will remember that.")).to_be_visible()
    expect(log.get_by_text("Run completed: end_turn · 2 steps")).to_be_visible()
    expect(page.get_by_text("running", exact=True)).to_be_hidden()
    log.get_by_text("Reasoning").click()  # each part folds open
    expect(log.get_by_text("I should remember it.")).to_be_visible()
    expect(page.locator("#section-core_memory")).to_contain_text("Likes jazz")  # the viewer refreshed
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "chat")

    log.get_by_role("link", name="in the memory timeline").click()
    expect(page).to_have_url(re.compile(r"/timeline/#revision-\d+$"))
    expect(page.locator("li.revision").first).to_contain_text("Likes jazz")
    page.goto(f"/ade/agents/{agent.id}/memory/")
    expect(page.get_by_label("Value of human")).to_have_value("Name: unknown\nLikes jazz")


def test_an_approval_is_granted_and_another_denied_with_a_reason_the_model_hears(page, make_agent, fake_openai):
    agent = make_agent(tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}])
    fake_openai.script(
        Reply(tool_calls=[INSERT_JAZZ]),
        Reply(text="Saved that you like jazz."),
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Hates jazz"})]),
        Reply(text="All right, I will leave it."),
    )
    page.goto(f"/ade/agents/{agent.id}/")
    log = chat_log(page)

    send(page, "I like jazz")
    expect(log.get_by_text("Approval needed")).to_be_visible()
    expect(log.get_by_text("The agent wants to call memory_insert with:")).to_be_visible()
    log.get_by_role("button", name="Approve").click()
    expect(log.get_by_text("Saved that you like jazz.")).to_be_visible()
    expect(log.get_by_text("Approved.", exact=True)).to_be_visible()

    send(page, "Actually, I hate jazz")
    expect(log.get_by_role("button", name="Deny")).to_be_visible()
    log.get_by_label("Reason (told to the agent when you deny)").fill("Keep the old note, please")
    log.get_by_role("button", name="Deny").click()
    expect(log.get_by_text("Denied: “Keep the old note, please”.")).to_be_visible()
    expect(log.get_by_text("All right, I will leave it.")).to_be_visible()
    assert "Keep the old note, please" in str(fake_openai.last_request)
    expect(log.get_by_role("button", name="Approve")).to_have_count(0)  # both requests answered


def test_a_long_run_is_cancelled_with_the_button(page, make_agent, fake_openai):
    agent = make_agent()
    fake_openai.script(Reply(text="This answer takes a long time.", delay=8))
    page.goto(f"/ade/agents/{agent.id}/")

    send(page, "Think hard")
    expect(page.get_by_text("running", exact=True)).to_be_visible()
    page.get_by_role("button", name="Cancel", exact=True).click()

    expect(chat_log(page).get_by_text("Run cancelled: cancelled")).to_be_visible()
    expect(page.get_by_text("running", exact=True)).to_be_hidden()
    expect(chat_log(page).get_by_text("This answer takes a long time.")).to_have_count(0)


def test_a_provider_failure_is_shown_and_the_run_kept(page, make_agent, fake_openai):
    agent = make_agent()
    fake_openai.script(Reply.server_error("the model server is down"))
    page.goto(f"/ade/agents/{agent.id}/")

    send(page, "Hello?")

    alert = chat_log(page).get_by_role("alert")
    expect(alert).to_contain_text("The run failed")
    expect(alert).to_contain_text("The run was kept")
    run_link = re.compile(rf"^/ade/agents/{agent.id}/runs/run-[^/]+/$")
    expect(alert.get_by_role("link", name="open the run")).to_have_attribute("href", run_link)
    expect(chat_log(page).get_by_text("Run failed: llm_api_error")).to_be_visible()
    expect(chat_log(page).get_by_text("Hello?", exact=True)).to_be_visible()  # the input was stored

    alert.get_by_role("link", name="open the run").click()  # the kept run, in the inspector
    expect(page.get_by_text("the model server is down").first).to_be_visible()


def test_a_run_started_through_the_api_appears_live_with_its_input(page, make_agent, fake_openai, letta_server):
    agent = make_agent()
    fake_openai.script(Reply(text="Hello, API caller."))
    page.goto(f"/ade/agents/{agent.id}/")
    expect(page.locator("#live-status")).to_have_text("live")

    client = sdk(letta_server, Organization.default())
    sent = threading.Thread(
        target=lambda: client.agents.messages.create(
            agent.id, messages=[{"role": "user", "content": "Sent from a script"}]
        )
    )
    sent.start()

    log = chat_log(page)
    expect(log.get_by_text("Sent from a script")).to_be_visible()
    expect(log.get_by_text("Hello, API caller.")).to_be_visible()
    expect(log.get_by_text("Run completed: end_turn")).to_be_visible()
    sent.join()


def test_older_history_loads_on_scrolling_up_keeping_the_place(page, make_agent):
    agent = make_agent()
    Message.objects.bulk_create(
        [
            Message(
                organization_id=agent.organization_id,
                agent=agent,
                role="user",
                content=[{"type": "text", "text": f"note number {i}"}],
            )
            for i in range(75)
        ]
    )
    page.goto(f"/ade/agents/{agent.id}/")
    log = chat_log(page)
    expect(log.get_by_text("note number 74", exact=True)).to_be_in_viewport()
    expect(log.get_by_text("note number 45", exact=True)).to_have_count(1)
    expect(log.get_by_text("note number 44", exact=True)).to_have_count(0)

    log.evaluate("(el) => { el.scrollTop = 0; }")
    expect(log.get_by_text("note number 15", exact=True)).to_have_count(1)
    expect(log.get_by_text("note number 45", exact=True)).to_be_in_viewport()  # the place is kept
    log.evaluate("(el) => { el.scrollTop = 0; }")
    expect(log.get_by_text("note number 0", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()


def test_message_content_is_shown_as_text_never_as_html(page, make_agent, fake_openai):
    agent = make_agent()
    fake_openai.script(Reply(text="<b>not bold</b> <img src=x onerror=alert(2)>"))
    page.goto(f"/ade/agents/{agent.id}/")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    send(page, "<img src=x onerror=alert(1)>")

    log = chat_log(page)
    expect(log.get_by_text("<img src=x onerror=alert(1)>", exact=True)).to_be_visible()
    expect(log.get_by_text("<b>not bold</b> <img src=x onerror=alert(2)>")).to_be_visible()
    page.reload()  # the history renders the same way
    expect(log.get_by_text("<img src=x onerror=alert(1)>", exact=True)).to_be_visible()
    assert log.locator("img, b").count() == 0 and dialogs == []


def test_on_a_phone_the_chat_comes_first_and_nothing_scrolls_sideways(phone, make_agent, fake_openai):
    agent = make_agent()
    fake_openai.script(Reply(text="A reply that is long enough to wrap on a phone screen, " * 3))
    phone.goto(f"/ade/agents/{agent.id}/")
    send(phone, "Hi from the phone")
    expect(chat_log(phone).get_by_text("Run completed: end_turn")).to_be_visible()
    chat_box = phone.locator("#chat").bounding_box()
    viewer = phone.locator("#context").bounding_box()
    assert chat_box["y"] < viewer["y"]
    assert no_sideways_scroll(phone)


def test_the_keyboard_alone_reaches_the_box_and_sends(page, make_agent, fake_openai):
    agent = make_agent()
    fake_openai.script(Reply(text="Heard you."))
    page.goto(f"/ade/agents/{agent.id}/")
    box = page.get_by_label("Message", exact=True)
    for _ in range(60):
        page.keyboard.press("Tab")
        if box.evaluate("(el) => el === document.activeElement"):
            break
    expect(box).to_be_focused()

    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    page.keyboard.press("Enter")

    expect(chat_log(page).get_by_text("Heard you.")).to_be_visible()
    expect(chat_log(page).locator(".msg-you .body")).to_have_text("first line\nsecond line")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")


class FlakyNetwork:
    """The page's websocket through Playwright: the first connection reaches the server; `drop()` cuts it, later
    attempts are refused while `away`, and once back they open without the server (no live events), so whatever
    the page shows after that came from its catch-up."""

    def __init__(self, page):
        self.routes = []
        self.away = False
        page.route_web_socket(re.compile(r"/ws/agents/"), self._connect)

    def _connect(self, route):
        self.routes.append(route)
        if len(self.routes) == 1:
            route.connect_to_server()
        elif self.away:
            route.close(code=4000, reason="network down")

    def drop(self, code=4000):
        self.away = True
        self.routes[0].close(code=code, reason="dropped")


def test_a_dropped_socket_reconnects_and_catches_up_without_duplicates(page, make_agent, fake_openai, letta_server):
    agent = make_agent()
    network = FlakyNetwork(page)
    fake_openai.script(Reply(text="First answer."), Reply(text="Answer while you were away."))
    page.goto(f"/ade/agents/{agent.id}/")
    send(page, "First question")
    log = chat_log(page)
    expect(log.get_by_text("Run completed: end_turn")).to_be_visible()

    network.drop()
    expect(page.locator("#live-status")).to_have_text("reconnecting…")
    client = sdk(letta_server, Organization.default())
    client.agents.messages.create(agent.id, messages=[{"role": "user", "content": "Asked while the page was away"}])
    network.away = False

    expect(log.get_by_text("Answer while you were away.")).to_be_visible()
    expect(log.get_by_text("Asked while the page was away")).to_have_count(1)
    expect(log.get_by_text("Run completed: end_turn")).to_have_count(2)
    expect(log.get_by_text("First question", exact=True)).to_have_count(1)
    expect(log.get_by_text("First answer.")).to_have_count(1)


def test_a_socket_closed_for_an_ended_session_offers_sign_in_and_keeps_what_was_typed(page, make_agent):
    agent = make_agent()
    network = FlakyNetwork(page)
    page.goto(f"/ade/agents/{agent.id}/")
    expect(page.locator("#live-status")).to_have_text("live")
    page.get_by_label("Message", exact=True).fill("half a thought")

    page.context.clear_cookies()  # signed out elsewhere; the server then closes the socket with 4401
    network.drop(code=4401)

    status = page.locator("#live-status")
    expect(status).to_contain_text("you were signed out")
    expect(page.get_by_label("Message", exact=True)).to_have_value(
        "half a thought"
    )  # the page stays, with what was typed
    status.get_by_role("link", name="sign in again").click()
    expect(page).to_have_url(re.compile(r"/login/\?next=" + re.escape(f"/ade/agents/{agent.id}/".replace("/", "%2F"))))


def test_a_client_side_tool_says_the_page_cannot_run_it_and_how_to_answer_it(
    page, make_agent, fake_openai, letta_server
):
    import httpx

    from accounts import services as accounts

    agent = make_agent()
    fake_openai.script(Reply(tool_calls=[("read_file", {"path": "notes.txt"})]))
    page.goto(f"/ade/agents/{agent.id}/")
    expect(page.locator("#live-status")).to_have_text("live")
    _, key = accounts.create_api_key(organization_id=agent.organization_id, name="cli")
    body = {
        "messages": [{"role": "user", "content": "Read my notes"}],
        "client_tools": [
            {"name": "read_file", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}
        ],
    }
    answer = httpx.post(
        f"{letta_server.url}/v1/agents/{agent.id}/messages", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.json()["stop_reason"]["stop_reason"] == "requires_approval"

    log = chat_log(page)
    expect(log.get_by_text("read_file is a client-side tool")).to_be_visible()
    expect(log.get_by_text(f"POST /v1/agents/{agent.id}/messages")).to_be_visible()
    expect(log.get_by_role("button", name="Approve")).to_have_count(0)
