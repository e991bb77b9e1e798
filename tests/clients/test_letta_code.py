"""Letta Code (npm, headless) against this server, as a user runs it: `letta -p "..." --output-format stream-json`
with LETTA_BASE_URL and LETTA_API_KEY pointing here, the model behind the agent the fake OpenAI server."""

import pytest

from agents.models import Agent
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def _texts(request: dict) -> str:
    return str([m.get("content") for m in request["messages"]])


def test_a_coding_session_creates_its_agent_streams_runs_tools_and_keeps_conversations(letta, fake_openai):
    # 1. A first prompt creates Letta Code's agent on this server and streams the answer token by token.
    fake_openai.script(Reply(text="Hello from the fake model."))
    first = letta("-p", "Say hello", "--new-agent", "-m", "openai/gpt-4.1-mini")
    assert first.result["subtype"] == "success", first.stderr
    assert "outdated" not in first.stderr  # /v1/health's version is one Letta Code accepts
    assert first.result["result"] == "Hello from the fake model."
    agent_id, conversation_id = first.result["agent_id"], first.result["conversation_id"]
    assert Agent.objects.filter(pk=agent_id).exists() and conversation_id.startswith("conv-")
    chunks = [e for e in first.of_type("message") if e.get("message_type") == "assistant_message"]
    assert len(chunks) > 1 and "".join(c["content"] for c in chunks) == "Hello from the fake model."
    # Its skills (sent with every turn) are listed in the system prompt of that request.
    assert "<available_skills>" in fake_openai.last_request["messages"][0]["content"]

    # 2. Resuming that conversation, the model asks for Letta Code's own shell tool (its toolset for GPT models):
    #    the server hands the call to the client (an approval request), the command runs on this machine, and the
    #    client sends the result back for the model's next step.
    notes = letta.project / "notes.txt"
    notes.write_text("The launch code is 4321.\n")
    fake_openai.script(
        Reply(tool_calls=[("exec_command", {"cmd": "cat notes.txt", "description": "Read the notes"})]),
        Reply(text="notes.txt says the launch code is 4321."),
    )
    second = letta("-p", "What does notes.txt say?", "--conversation", conversation_id, "--yolo")
    assert second.result["subtype"] == "success", second.stderr
    assert second.result["result"] == "notes.txt says the launch code is 4321."
    assert second.result["conversation_id"] == conversation_id
    answered = fake_openai.requests[-1]["messages"]
    assert answered[-1]["role"] == "tool" and "4321" in answered[-1]["content"]
    assert "Say hello" in _texts(fake_openai.requests[-2])  # the same thread: the first turn is in context

    # 3. `--new` starts another conversation of the same agent, without that thread's messages.
    fake_openai.script(Reply(text="A fresh start."))
    third = letta("-p", "Start over", "--agent", agent_id, "--new")
    assert third.result["subtype"] == "success", third.stderr
    assert third.result["agent_id"] == agent_id and third.result["conversation_id"] != conversation_id
    assert "What does notes.txt say?" not in _texts(fake_openai.last_request)
