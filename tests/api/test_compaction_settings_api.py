"""An agent's compaction_settings: stored on create and update, returned, checked, and used by compaction."""

import pytest
from asgiref.sync import sync_to_async

from agents.compaction_settings import CompactionSettings
from agents.models import Agent, Message
from agents.runtime.loop import run_agent
from tests.fakes import Reply

SETTINGS = {"mode": "sliding_window", "sliding_window_percentage": 0.2, "clip_chars": 4000, "prompt": "Be brief."}


def _create(api, **fields):
    body = {"name": "compacting", "model": "openai/gpt-4.1-mini", **fields}
    return api.post("/v1/agents/", body, content_type="application/json")


def test_settings_are_stored_returned_and_changed(api, providers):
    response = _create(api, compaction_settings={**SETTINGS, "model": None})
    assert response.status_code == 200, response.content
    agent_id = response.json()["id"]
    assert response.json()["compaction_settings"] == SETTINGS
    assert api.get(f"/v1/agents/{agent_id}").json()["compaction_settings"] == SETTINGS

    changed = {"mode": "all", "model": "anthropic/claude-sonnet-4-5"}
    response = api.patch(f"/v1/agents/{agent_id}", {"compaction_settings": changed}, content_type="application/json")
    assert response.status_code == 200 and response.json()["compaction_settings"] == changed
    response = api.patch(f"/v1/agents/{agent_id}", {"name": "renamed"}, content_type="application/json")
    assert response.json()["compaction_settings"] == changed  # untouched when not sent
    response = api.patch(f"/v1/agents/{agent_id}", {"compaction_settings": None}, content_type="application/json")
    assert response.json()["compaction_settings"] is None


def test_letta_clouds_auto_model_is_kept_and_means_the_servers_choice(api, providers):
    # Letta Code creates every agent with compaction_settings.model "letta/auto" (Letta Cloud's router).
    response = _create(api, compaction_settings={"model": "letta/auto", "mode": "sliding_window"})
    assert response.status_code == 200, response.content
    assert response.json()["compaction_settings"] == {"model": "letta/auto", "mode": "sliding_window"}
    agent = Agent.objects.get(pk=response.json()["id"])
    assert CompactionSettings.of(agent).model is None


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"mode": "everything"}, "compaction_settings.mode 'everything'"),
        ({"sliding_window_percentage": 30}, "sliding_window_percentage must be a fraction"),
        ({"clip_chars": 0}, "clip_chars must be a positive integer"),
        ({"model": "mystery/model"}, "compaction_settings.model"),
        ({"window": 3}, "compaction_settings has no window"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(api, providers, bad, named):
    response = _create(api, compaction_settings=bad)
    assert response.status_code == 400 and named in response.json()["detail"]
    assert not Agent.objects.exists()

    agent_id = _create(api, compaction_settings=SETTINGS).json()["id"]
    response = api.patch(f"/v1/agents/{agent_id}", {"compaction_settings": bad}, content_type="application/json")
    assert response.status_code == 400 and named in response.json()["detail"]
    assert Agent.objects.get(pk=agent_id).compaction_settings == SETTINGS


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_compaction_uses_the_agents_model_prompt_clip_and_mode(make_agent, fake_openai, fake_anthropic):
    chosen = {"model": "anthropic/claude-sonnet-4-5", "prompt": "Summarize in one line.", "clip_chars": 12}
    agent = await sync_to_async(make_agent)(compaction_settings={**chosen, "mode": "all"})
    for turn in range(4):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn}")
    fake_openai.script(Reply.context_overflow(), Reply(text="Fresh answer."))
    fake_anthropic.script(Reply(text="Four questions were asked and answered."))

    result = await run_agent(agent.id, input="question 4")

    assert result.stop_reason == "end_turn", result.error
    assert "Summarize in one line." in str(fake_anthropic.last_request["system"])
    fresh = await Agent.objects.aget(pk=agent.pk)
    in_context = [m async for m in Message.objects.filter(id__in=fresh.message_ids)]
    summary = next(m for m in in_context if m.role == "summary")
    assert "Four questio" in summary.text and "Four question" not in summary.text  # clipped to 12 characters
    # mode "all": everything older than the newest turn was summarized.
    assert [m.role for m in sorted(in_context, key=lambda m: fresh.message_ids.index(m.id))][:4] == [
        "system",
        "summary",
        "user",
        "assistant",
    ]
    assert "question 0" not in str([m.text for m in in_context])
