"""The agent loop against a real llama-cpp-python server (0.3.36, Gemma 3 270M Q4_K_M on the CPU), driven with the
unmodified letta-client SDK the way a user with a local model would: create a provider for the server, an agent on
its model, then send, as JSON and as a stream. What the model writes is not asserted (a 270M model says what it
says); what the platform makes of it is: a reply or an error in the server's words, never an empty success; a
forced tool call that changes memory; a context the server finds too long compacted and tried again.

Generation is kept short (the agent's max_tokens) so each send takes seconds on a CPU."""

import json

import httpx
import pytest
from letta_client import APIStatusError

from accounts import services as accounts
from accounts.models import Organization
from agents.models import Message
from agents.runtime.transcript import text_of
from memory.models import Block
from tests.api.live_server import sdk
from tests.open_models.conftest import MODEL_ALIAS, N_CTX

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning"),
]

HANDLE = f"llamacpp/{MODEL_ALIAS}"
MAX_TOKENS = 32
SEND_TIMEOUT = 600  # seconds: a CPU may take a while over a long prompt; only a hung run ever waits this long


@pytest.fixture
def client(letta_server, llama_server):
    return sdk(letta_server, Organization.default()).with_options(timeout=SEND_TIMEOUT)


@pytest.fixture
def provider(letta_server, llama_server):
    """The user's provider for their llama.cpp server, created through the API. Named by `localhost`, the host the
    live server's outbound policy lets users' providers reach (tests/api/live_server.py)."""
    _, key = accounts.create_api_key(organization_id=Organization.default().id, name="provider")
    response = httpx.post(
        f"{letta_server.url}/v1/providers/",
        json={
            "name": "llamacpp",
            "provider_type": "openai_compatible",
            "api_key": "none",
            "base_url": f"http://localhost:{llama_server.port}/v1",
        },
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def make_agent(client, provider, **extra):
    extra.setdefault("max_tokens", MAX_TOKENS)
    return client.agents.create(
        name="local",
        model=HANDLE,
        memory_blocks=[
            {"label": "human", "value": "Name: unknown", "limit": 2000},
            {"label": "persona", "value": "I am a helpful assistant.", "limit": 2000},
        ],
        **extra,
    )


def json_send(client, agent_id: str, text: str) -> tuple[list, str | None]:
    """(messages, error text): what a JSON send answered, or the error it raised."""
    try:
        response = client.agents.messages.create(agent_id, input=text)
    except APIStatusError as error:
        return [], f"HTTP {error.status_code}: {error.body}"
    return response.messages, None


def streamed_send(client, agent_id: str, text: str) -> tuple[list, str | None, str | None]:
    """(messages, error text, stop reason) of a send streamed token by token."""
    events, error = [], None
    try:
        for event in client.agents.messages.stream(agent_id, input=text, stream_tokens=True, include_pings=False):
            events.append(event)
    except APIStatusError as exc:
        error = f"HTTP {exc.status_code}: {exc.body}"
    stops = [e.stop_reason for e in events if e.message_type == "stop_reason"]
    errors = [e for e in events if e.message_type == "error_message"]
    if errors and error is None:
        error = json.dumps(errors[-1].model_dump(mode="json"))
    return events, error, stops[-1] if stops else None


def assistant_text(messages) -> str:
    return "".join(m.content for m in messages if m.message_type == "assistant_message" and m.content)


def assert_reply_or_clear_error(messages, error: str | None):
    """Never a success with nothing in it: a reply with text, or an error that says what the server said."""
    if error is None:
        assert assistant_text(messages).strip(), f"a successful send with no reply: {messages}"
    else:
        assert len(error) > 40 and "llm" in error.lower(), error


def test_a_json_send_gets_a_reply_or_a_clear_error(client, provider):
    agent = make_agent(client, provider)

    messages, error = json_send(client, agent.id, "Say hello to me in one short sentence.")

    assert_reply_or_clear_error(messages, error)
    assert error is None, error  # what this model and server do today: they answer


def test_a_streamed_send_gets_a_reply_or_a_clear_error(client, provider):
    agent = make_agent(client, provider)

    events, error, stop = streamed_send(client, agent.id, "Say hello to me in one short sentence.")

    assert_reply_or_clear_error(events, error)
    # A 270M model often talks until the agent's max_tokens: that is a reply too, cut where the agent said.
    assert error is None and stop in ("end_turn", "max_tokens_exceeded"), (error, stop)


FACT = "Likes green tea."


@pytest.mark.parametrize("mode", ["json", "stream"])
def test_a_forced_memory_insert_changes_the_block(client, provider, mode):
    # The rule forces the call (the server constrains the model's output to the tool's schema) and fixes its
    # arguments, so what is stored does not depend on what a 270M model would write.
    agent = make_agent(
        client,
        provider,
        max_tokens=256,  # room for the whole JSON of the call, which the server's grammar makes the model write
        tool_rules=[
            {
                "type": "run_first",
                "tool_name": "memory_insert",
                "args": {"label": "human", "new_string": FACT, "insert_line": -1},
            }
        ],
    )

    if mode == "json":
        messages, error = json_send(client, agent.id, "I like green tea; please remember that.")
    else:
        messages, error, _ = streamed_send(client, agent.id, "I like green tea; please remember that.")

    calls = [m for m in messages if m.message_type == "tool_call_message"]
    assert calls and calls[0].tool_call.name == "memory_insert", (messages, error)
    returns = [m for m in messages if m.message_type == "tool_return_message"]
    assert returns and returns[0].status == "success", (calls[0].tool_call.arguments, returns[0].tool_return)
    assert FACT in Block.objects.get(agents__id=agent.id, label="human").value
    # After the tool, the model is asked again with the call and its return in the history: a reply or a clear
    # error, never an empty success.
    assert_reply_or_clear_error(messages, error)


# About 60% of the server's window each: one note fits, two do not.
NOTE_SENTENCES = N_CTX * 3 // 5 // 21


def long_note(topic: str, sentences: int) -> str:
    """Plain text of about 21 tokens a sentence (Gemma's tokenizer), numbered so no two sentences are alike."""
    colours = ("red", "blue", "green", "amber", "violet", "grey", "white")
    places = ("harbour", "market", "library", "station", "garden", "bridge", "museum", "bakery")
    lines = [
        f"{topic} note {i}: the {colours[i % 7]} van stopped at the {places[i % 8]} at {i % 12 + 1} o'clock."
        for i in range(sentences)
    ]
    return " ".join(lines) + f" That is all about {topic}; reply with one word."


@pytest.mark.parametrize("mode", ["json", "stream"])
def test_a_context_the_server_finds_too_long_is_compacted_and_tried_again(client, provider, llama_server, mode):
    # The agent is told its window is 32k while the server serves 2k (a user who set it from the model card): our
    # own budget lets the second long note through, and only the server finds the request too long.
    agent = make_agent(client, provider, context_window_limit=32_000)
    note = long_note("harbour", NOTE_SENTENCES)
    tokens = len(httpx.post(f"{llama_server.url}/extras/tokenize", json={"input": note}, timeout=30).json()["tokens"])
    assert N_CTX // 2 < tokens < N_CTX * 3 // 4, tokens  # one note fits the server's window, two do not

    # A JSON send is not streamed to the server, which answers 400 context_length_exceeded; streamed token by
    # token, the server fails inside its 200 stream with the text only in its log, and is asked again without
    # streaming, which answers the 400.
    send = json_send if mode == "json" else lambda *args: streamed_send(*args)[:2]
    _, error = send(client, agent.id, note)
    assert error is None, error
    # The second note is the turn kept; the first, the only stored turn, is summarized to a size the 2k the
    # server's error names leaves room for.
    messages, error = send(client, agent.id, long_note("garden", NOTE_SENTENCES))

    assert_reply_or_clear_error(messages, error)
    # The request fits after compaction; what a 270M model then writes may still be nothing (an llm_empty_response,
    # a clear error), but never the overflow again.
    assert error is None or "llm_empty_response" in error, error
    summaries = Message.objects.filter(agent_id=agent.id, role="summary")
    assert [json.loads(text_of(s.content))["compaction_stats"]["trigger"] for s in summaries] == ["provider_overflow"]
