"""What the SDK tests share: the model their agents run on (the fake OpenAI provider) and how they make one."""

from letta_client import Letta

MODEL = "openai/gpt-4.1-mini"

# What a streamed send shows when the model calls one tool and then answers: the messages, then how it ended.
ONE_TOOL_THEN_ANSWER = [
    "tool_call_message",
    "tool_return_message",
    "assistant_message",
    "stop_reason",
    "usage_statistics",
]


def create_agent(client: Letta, name: str = "helper", **extra):
    """An agent with the two usual memory blocks, created through the SDK."""
    return client.agents.create(
        name=name,
        model=MODEL,
        memory_blocks=[
            {"label": "human", "value": "Name: unknown", "limit": 2000},
            {"label": "persona", "value": "I am a helpful assistant.", "limit": 2000},
        ],
        **extra,
    )


def task_of_run(run_id: str):
    """The queue's record of the task that carries the background run `run_id`."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.get(args_kwargs__kwargs__run_id=run_id)


def run_row(run_id: str):
    from agents.models import Run

    return Run.objects.get(pk=run_id)
