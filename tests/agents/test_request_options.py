"""What one send asks of its run alone: the client's skills in the system prompt, another model, compaction shown
in the response. Nothing of it is stored on the agent."""

import pytest
from asgiref.sync import sync_to_async

from agents.models import Agent, Message
from agents.runtime.loop import run_agent
from agents.runtime.request_options import ClientSkill, RequestOptions, render_skills
from tests.fakes import Reply

SKILLS = [
    {
        "name": "pdf",
        "description": "Read and fill PDF forms.\nMore detail.",
        "location": "/home/u/.letta/skills/pdf/SKILL.md",
    },
    {"name": "xlsx", "description": "Spreadsheets.", "location": "/home/u/.letta/skills/xlsx/SKILL.md"},
    {"name": "deploy", "description": "", "location": "/work/app/.skills/deploy/SKILL.md"},
]


def test_skills_render_as_letta_lists_them():
    section = render_skills(tuple(ClientSkill(**s) for s in SKILLS))
    assert section == (
        "<available_skills>\n"
        "/home/u/.letta/skills\n"
        "├── pdf/\n"
        "│   └── SKILL.md (Read and fill PDF forms.)\n"
        "└── xlsx/\n"
        "    └── SKILL.md (Spreadsheets.)\n"
        "\n"
        "/work/app/.skills\n"
        "└── deploy/\n"
        "    └── SKILL.md\n"
        "</available_skills>"
    )
    assert render_skills(()) == ""


@pytest.mark.django_db(transaction=True)
def test_client_skills_reach_the_model_for_that_request_only(api, make_agent, fake_openai):
    agent = make_agent()
    body = {"input": "hi", "client_skills": SKILLS}
    response = api.post(f"/v1/agents/{agent.id}/messages", body, content_type="application/json")
    assert response.status_code == 200, response.content

    system = fake_openai.last_request["messages"][0]["content"]
    # After the stored prompt (memory and all), as Letta appends it.
    assert system.endswith("</memory_metadata>\n\n" + render_skills(tuple(ClientSkill(**s) for s in SKILLS)))
    stored = Message.objects.get(id=Agent.objects.get(pk=agent.pk).message_ids[0])
    assert "<available_skills>" not in stored.text  # the agent's own system message is unchanged

    api.post(f"/v1/agents/{agent.id}/messages", {"input": "again"}, content_type="application/json")
    assert "<available_skills>" not in fake_openai.last_request["messages"][0]["content"]


@pytest.mark.django_db(transaction=True)
def test_a_client_skill_without_a_name_is_refused(api, make_agent, fake_openai):
    agent = make_agent()
    body = {"input": "hi", "client_skills": [{"description": "nameless"}]}
    response = api.post(f"/v1/agents/{agent.id}/messages", body, content_type="application/json")
    assert response.status_code == 422 and "client_skills" in response.json()["detail"]
    assert fake_openai.requests == [] and not Message.objects.filter(agent=agent, role="user").exists()


@pytest.mark.django_db(transaction=True)
def test_override_model_answers_with_another_model_and_leaves_the_agent_as_it_was(
    api, make_agent, fake_openai, fake_anthropic
):
    agent = make_agent(model="openai/gpt-4.1-mini")
    fake_anthropic.script(Reply(text="Claude here."))
    body = {"input": "who are you?", "override_model": "anthropic/claude-sonnet-4-5"}
    response = api.post(f"/v1/agents/{agent.id}/messages", body, content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["messages"][-1]["content"] == "Claude here."
    assert fake_openai.requests == [] and fake_anthropic.last_request["model"] == "claude-sonnet-4-5"
    assert Agent.objects.get(pk=agent.pk).model == "openai/gpt-4.1-mini"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("handle", ["gpt-4.1-mini", "mystery/model-x"])
def test_an_unknown_override_model_is_refused_before_anything_is_stored(api, make_agent, fake_openai, handle):
    agent = make_agent()
    body = {"input": "hi", "override_model": handle}
    response = api.post(f"/v1/agents/{agent.id}/messages", body, content_type="application/json")
    assert response.status_code == 400
    assert (
        response.json()["detail"].startswith("override_model: ") and handle.split("/")[0] in response.json()["detail"]
    )
    assert fake_openai.requests == [] and not Message.objects.filter(agent=agent, role="user").exists()


async def _overflowing_run(agent, fake_openai, options: RequestOptions | None):
    for turn in range(4):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn}")
    fake_openai.script(Reply.context_overflow(), Reply(text="Summary: four questions."), Reply(text="Fresh answer."))
    events = []

    async def collect(event):
        events.append(event)

    result = await run_agent(agent.id, input="question 5", on_event=collect, options=options)
    assert result.stop_reason == "end_turn"
    return result, [e["message_type"] for e in events]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_compaction_shows_in_the_response_only_when_asked(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    result, kinds = await _overflowing_run(agent, fake_openai, RequestOptions(include_compaction_messages=True))
    assert "event_message" in kinds and "summary_message" in kinds
    summary = next(m for m in result.messages if m["message_type"] == "summary_message")
    assert summary["summary"] == "Summary: four questions."
    assert summary["compaction_stats"]["trigger"] == "provider_overflow"
    assert {"messages_count_before", "messages_count_after", "context_window"} <= set(summary["compaction_stats"])

    other = await sync_to_async(make_agent)(name="quiet")
    result, kinds = await _overflowing_run(other, fake_openai, None)
    assert "event_message" not in kinds and "summary_message" not in kinds
    assert all(m["message_type"] not in ("event_message", "summary_message") for m in result.messages)
