import pytest
from django.core.management import CommandError, call_command

from agents.models import Agent
from memory.models import Block
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_chat_creates_an_agent_and_shows_its_steps(providers, fake_openai, capsys):
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Lin"})]),
        Reply(text="Hi Lin!"),
    )
    call_command("chat", create="terminal", model="openai/gpt-4.1-mini", message=["I'm Lin"])

    out = capsys.readouterr().out
    assert "tool call:" in out and "memory_insert" in out
    assert "tool return:" in out and "agent:" in out and "Hi Lin!" in out and "[end_turn]" in out
    agent = Agent.objects.get(name="terminal")
    assert "Name: Lin" in Block.objects.get(agents=agent, label="human").value


def test_chat_with_an_unknown_agent_says_so(db):
    with pytest.raises(CommandError, match="No agent named"):
        call_command("chat", "nobody", message=["hi"])


def test_chat_create_without_a_model_explains_the_handle(db, settings):
    settings.DEFAULT_MODEL = None
    with pytest.raises(CommandError, match="model handle"):
        call_command("chat", create="x", message=["hi"])
