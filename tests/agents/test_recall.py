"""Recall search (conversation_search's backend) on the real full-text index over Message.text."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from agents.models import Agent, Message
from agents.recall import search_messages

# The FTS5 table and its triggers come from migrations, which the test database runs.
pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(org):
    return Agent.objects.create(organization=org, name="helper", model="openai/gpt-4.1-mini")


@pytest.fixture
def say(org, agent):
    def say(text, role="user", at=None, to=None, **fields):
        if at:
            fields["created_at"] = at
        return Message.objects.create(
            organization=org,
            agent=to or agent,
            role=role,
            text=text,
            content=[{"type": "text", "text": text}] if text else [],
            **fields,
        )

    return say


def contents(agent, query=None, **kwargs):
    return [r["content"] for r in search_messages(agent.id, query, **kwargs)]


def test_best_match_first_with_relevance(agent, say):
    for text in ("Good morning.", "What's for lunch?", "The build is green.", "Ship it on Monday."):
        say(text)
    say("I bought a new bicycle.")
    say("The bicycle shop fixed the bicycle, a fine bicycle.", role="assistant")

    results = search_messages(agent.id, "bicycle")
    assert [r["content"] for r in results] == [
        "The bicycle shop fixed the bicycle, a fine bicycle.",
        "I bought a new bicycle.",
    ]
    assert list(results[0]) == ["timestamp", "time_ago", "role", "relevance", "content"]
    assert results[0]["role"] == "assistant" and results[0]["relevance"] > results[1]["relevance"] > 0


def test_a_rare_word_outweighs_a_common_one(agent, say):
    for i in range(6):
        say(f"Status update {i}: the deploy is done.")
    say("Status: the invoice is paid.")
    say("The status of the status update, in short.")

    assert contents(agent, "status invoice")[0] == "Status: the invoice is paid."


def test_stemming_and_punctuation(agent, say):
    say("We were running late.")

    assert contents(agent, "run") == ["We were running late."]
    assert contents(agent, 'C++ AND "x" NEAR( OR') == []
    assert contents(agent, "late!!! (running?)") == ["We were running late."]


def test_without_words_the_most_recent_come_first(agent, say):
    for i in range(7):
        say(f"message {i}")

    results = search_messages(agent.id, "  ?! ", limit=3)
    assert [r["content"] for r in results] == ["message 6", "message 5", "message 4"]
    assert "relevance" not in results[0]
    assert contents(agent) == ["message 6", "message 5", "message 4", "message 3", "message 2"]


def test_updated_text_is_reindexed(agent, say):
    message = say("The meeting is on Tuesday.")

    Message.objects.filter(pk=message.pk).update(text="The meeting is on Wednesday.")
    assert contents(agent, "tuesday") == [] and contents(agent, "wednesday") == ["The meeting is on Wednesday."]
    message.refresh_from_db()
    message.text = "Cancelled."
    message.save()
    assert contents(agent, "wednesday") == [] and contents(agent, "cancelled") == ["Cancelled."]


def test_deleted_messages_are_gone(agent, say):
    say("Remember the umbrella.").delete()
    assert contents(agent, "umbrella") == []


def test_roles_filter(agent, say):
    say("Pizza tonight?")
    say("Pizza sounds good.", role="assistant")

    assert contents(agent, "pizza", roles=["assistant"]) == ["Pizza sounds good."]
    assert contents(agent, "pizza", roles=["user"]) == ["Pizza tonight?"]
    # Unknown or unsearchable roles fall back to every searchable role.
    assert len(contents(agent, "pizza", roles=["tool"])) == 2


def test_tool_messages_and_the_agents_own_calls_are_excluded(agent, say):
    say(
        "",
        role="assistant",
        tool_calls=[
            {
                "id": "call-1",
                "type": "function",
                "function": {"name": "archival_memory_search", "arguments": '{"query": "weather report"}'},
            }
        ],
    )
    say("weather report: sunny", role="tool", tool_call_id="call-1")
    say("You are a weather bot.", role="system")
    say("What is the weather report?")

    assert contents(agent, "weather report") == ["What is the weather report?"]
    assert contents(agent, "weather", roles=["assistant", "user", "tool"]) == ["What is the weather report?"]


def test_another_agents_messages_are_never_seen(org, agent, say):
    other = Agent.objects.create(organization=org, name="other", model="openai/gpt-4.1-mini")
    say("Secret plans for the launch.", to=other)
    say("Public plans.")

    assert contents(agent, "secret plans launch") == ["Public plans."]
    assert contents(agent) == ["Public plans."]


def test_date_range_and_whole_day_end(agent, say):
    say("Coffee on the fourteenth.", at=datetime(2025, 1, 14, 23, 0, tzinfo=UTC))
    say("Coffee on the fifteenth, late.", at=datetime(2025, 1, 15, 23, 30, tzinfo=UTC))
    say("Coffee on the sixteenth.", at=datetime(2025, 1, 16, 9, 0, tzinfo=UTC))

    assert contents(agent, "coffee", start_date="2025-01-15", end_date="2025-01-15") == [
        "Coffee on the fifteenth, late."
    ]
    assert contents(agent, start_date="2025-01-15") == ["Coffee on the sixteenth.", "Coffee on the fifteenth, late."]
    assert contents(agent, "coffee", end_date="2025-01-15T12:00") == ["Coffee on the fourteenth."]


def test_naive_dates_are_in_the_agents_timezone(agent, say):
    say("Dinner booked.", at=datetime(2025, 1, 15, 23, 30, tzinfo=UTC))  # 2025-01-16 00:30 in Paris

    assert contents(agent, "dinner", end_date="2025-01-15", tz="Europe/Paris") == []
    assert contents(agent, "dinner", start_date="2025-01-16", tz="Europe/Paris") == ["Dinner booked."]


def test_limit(agent, say):
    for i in range(120):
        say(f"note {i}")
    assert len(contents(agent, "note")) == 5
    assert len(contents(agent, "note", limit=2)) == 2
    assert len(contents(agent, "note", limit=500)) == 100


@pytest.mark.skipif(connection.vendor != "sqlite", reason="checks the SQLite FTS5 index itself")
def test_the_index_matches_the_messages(agent, say):
    first = say("one")
    say("two")
    first.delete()
    Message.objects.filter(agent=agent).update(text="three")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO agents_message_fts(agents_message_fts, rank) VALUES ('integrity-check', 1)")
