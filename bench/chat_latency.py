"""The chat in a real browser: how soon a streamed piece reaches the page, and how fast the agent page loads.

Event latency: the fake provider stamps each streamed piece with its own wall clock (ms since the epoch) just
before it writes it; the page records `Date.now()` as each websocket message arrives (a wrapper installed before
the page's scripts run). The delay per piece is the difference, the same clock on one machine: provider ->
our SDK client -> the loop -> the channel layer -> the websocket -> the page. The issue wants under 100 ms. Pieces
are paced (PACES_MS apart: a typical provider's chunk rate, then a fast one), so the figure is each event's latency
at that rate, queueing included.

Page load: the agent page (chat + context viewer) opened signed in, at 10 and at many stored messages; the
navigation timing's response end (server time plus transfer) and DOMContentLoaded, median of several loads.
The history is paged (30 messages), so both should stay flat.

Runs daphne in a subprocess on the scratch database and Debian's Chromium through Playwright.
"""

import json
import os
import time

from bench.setup import django_on_scratch_db, median

CHROMIUM = "/usr/bin/chromium"
PACES_MS = (20, 5)  # between streamed pieces: a typical provider's chunk rate, and a fast one
STAMP = "§"
STAMP_JSON = b"\\u00a7"  # how json.dumps writes it in the fake's chunk

# Records each websocket message's arrival time in the page, before any script of the page runs.
RECORD_ARRIVALS = """
(() => {
  window.__arrivals = [];
  const Native = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("message", (m) => window.__arrivals.push([Date.now(), m.data]));
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""


def stamping_fake():
    """A fake OpenAI server whose streamed pieces carry the wall clock at which each was sent."""
    from tests.fakes.openai_server import FakeOpenAI

    class StampingFake(FakeOpenAI):
        pace_ms = PACES_MS[0]

        def stream_events(self, request, reply):
            for chunk in super().stream_events(request, reply):
                if STAMP_JSON in chunk:
                    time.sleep(self.pace_ms / 1000)
                    chunk = chunk.replace(STAMP_JSON, f"{time.time() * 1000:.3f}".encode())
                yield chunk

    return StampingFake()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def seed(agent, count: int) -> None:
    from agents.models import Message

    Message.objects.bulk_create(
        [
            Message(
                organization_id=agent.organization_id,
                agent=agent,
                role="user" if i % 2 == 0 else "assistant",
                content=[{"type": "text", "text": f"prior message {i}: tea, chess and travel plans."}],
                text=f"prior message {i}",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )


def signed_in_context(browser, url: str):
    from django.contrib.auth.models import User
    from django.test import Client

    from accounts.models import Membership, Organization

    user, created = User.objects.get_or_create(username="bench-chat")
    if created:
        Membership.objects.create(user=user, organization=Organization.default())
    client = Client()
    client.force_login(user)
    # The harness polls the page with evaluated expressions, which the ADE's CSP forbids the page's own scripts.
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 860}, bypass_csp=True)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": url}])
    return context


def event_latency(context, agent_id: str, pieces: int, fake) -> list[float]:
    from tests.fakes import Reply

    fake.script(Reply(text=" ".join([STAMP] * pieces)))
    page = context.new_page()
    page.add_init_script(RECORD_ARRIVALS)
    page.goto(f"/ade/agents/{agent_id}/")
    page.wait_for_function("document.getElementById('live-status').textContent === 'live'")
    page.get_by_label("Message", exact=True).fill("stream please")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "window.__arrivals.some(([, data]) => JSON.parse(data).message_type === 'run_finished')", timeout=120_000
    )
    delays = []
    for arrived, data in page.evaluate("window.__arrivals"):
        event = json.loads(data)
        if event.get("delta") and event["message_type"] == "assistant_message" and event["content"].strip():
            delays.append(arrived - float(event["content"].strip()))
    page.close()
    return delays


def load_times(context, agent_id: str, loads: int) -> tuple[float, float]:
    page = context.new_page()
    page.goto(f"/ade/agents/{agent_id}/")  # warm
    responses, ready = [], []
    for _ in range(loads):
        page.goto(f"/ade/agents/{agent_id}/")
        timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
        timing = json.loads(timing)
        responses.append(timing["responseEnd"] - timing["startTime"])
        ready.append(timing["domContentLoadedEventEnd"] - timing["startTime"])
    page.close()
    return median(responses), median(ready)


def main(small: bool = False) -> None:
    django_on_scratch_db()
    # Playwright's sync API keeps an asyncio loop marked running on this thread, which the ORM would take for async
    # code; the ORM calls here are plain synchronous set-up (as in tests/browser/conftest.py).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    from accounts.models import Organization
    from agents import services
    from tests.api.live_server import LiveServer
    from tests.postgres import database_env

    pieces = 100 if small else 300
    sizes = (10, 1_000) if small else (10, 10_000)
    fake = stamping_fake()
    server = LiveServer(
        {
            **database_env(settings.DATABASES["default"]),
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "sk-bench",
            "LETTA_LLM_MAX_RETRIES": "0",
        }
    )
    org = Organization.default()
    agents = {}
    for count in sizes:
        agent = services.create_agent(organization_id=org.id, name=f"bench-chat-{count}", model="openai/gpt-4.1-mini")
        seed(agent, count)
        agents[count] = agent
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            context = signed_in_context(browser, server.url)
            print(f"chat event latency, provider piece -> page (ms, {pieces} streamed pieces; target < 100 ms)")
            for pace in PACES_MS:
                fake.pace_ms = pace
                delays = event_latency(context, agents[sizes[0]].id, pieces, fake)
                print(
                    f"  pieces {pace:>2} ms apart: median {median(delays):6.1f}   p95 {percentile(delays, 0.95):6.1f}"
                    f"   ({len(delays)} received)"
                )
            print("agent page load with the chat (ms: median of 5, response end / DOMContentLoaded)")
            for count in sizes:
                response, ready = load_times(context, agents[count].id, 5)
                print(f"  {count:>6} stored messages: {response:6.1f} / {ready:6.1f}")
            browser.close()
    finally:
        server.close()
        fake.close()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true")
    main(small=parser.parse_args().small)
