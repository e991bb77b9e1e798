"""The agent loop against an OpenAI-compatible local server (the fake, taught llama.cpp's and llama-cpp-python's
ways): a send produces a reply or a clear error, never an empty 200; memory tools work after the first tool call;
an overflow the server reports mid-stream compacts and retries; windows come from the server, or are a guess."""

import pytest
from asgiref.sync import sync_to_async

from agents import providers as model_providers
from agents.models import Message, Step
from agents.runtime.compaction import SUMMARIZER_PROMPT
from agents.runtime.loop import run_agent
from agents.tokens import count_text
from memory.models import Block
from tests.fakes import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

MODEL = "local/gemma-3-270m-it-Q4_K_M"


@pytest.fixture
def local(providers, fake_openai):
    """A provider named "local" on the fake, as LOCAL_BASE_URL would declare a llama.cpp server."""
    providers["local"] = {"kind": "openai_compatible", "api_key": None, "base_url": fake_openai.base_url}
    model_providers.forget_served_windows()
    fake_openai.models = [MODEL.split("/", 1)[1]]
    yield fake_openai
    model_providers.forget_served_windows()


REMEMBER = ("memory_insert", {"label": "human", "new_string": "Birthday: 14 March"})


async def test_a_json_send_is_not_streamed_carries_an_output_cap_and_memory_tools_work(make_agent, local):
    local.refuse_null_content = True  # as llama-cpp-python: 500 for null content beside tool calls
    local.refuse_tool_streaming = "abort"  # and a stream with tools dies inside its 200
    agent = await sync_to_async(make_agent)(model=MODEL)
    local.script(Reply(tool_calls=[REMEMBER]), Reply(text="Noted your birthday."))

    result = await run_agent(agent.id, input="My birthday is 14 March.")

    assert result.stop_reason == "end_turn", result.error
    assert result.messages[-1]["content"] == "Noted your birthday."
    assert "Birthday: 14 March" in (await Block.objects.aget(agents=agent, label="human")).value
    first, second = local.requests
    assert "stream" not in first and "stream" not in second
    # No window described anywhere: LETTA_UNKNOWN_CONTEXT_WINDOW (8192), and half of it at most for the answer.
    assert first["max_tokens"] == 4096
    assert second["messages"][-2]["role"] == "assistant" and second["messages"][-2]["content"] == ""


async def test_a_streamed_send_falls_back_when_the_server_cannot_stream_with_tools(make_agent, local):
    local.refuse_tool_streaming = "in_stream"
    agent = await sync_to_async(make_agent)(model=MODEL)
    local.script(Reply(tool_calls=[REMEMBER]), Reply(text="Noted."))
    events = []

    async def collect(event):
        events.append(event)

    result = await run_agent(agent.id, input="My birthday is 14 March.", stream_tokens=True, on_event=collect)

    assert result.stop_reason == "end_turn", result.error
    assert "Birthday: 14 March" in (await Block.objects.aget(agents=agent, label="human")).value
    assert [bool(r.get("stream")) for r in local.requests] == [True, False, False]
    assert "Noted." in "".join(e.get("content") or "" for e in events if e["message_type"] == "assistant_message")


@pytest.mark.parametrize("shape", ["error", "object"])
async def test_an_overflow_reported_inside_a_200_stream_compacts_and_retries(make_agent, fake_openai, shape):
    agent = await sync_to_async(make_agent)()
    for turn in range(4):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn}")
    fake_openai.script(
        Reply(stream_error="Requested tokens (8207) exceed context window of 8192", stream_error_shape=shape),
        Reply(text="Summary: four questions were asked and answered."),
        Reply(text="Fresh answer."),
    )

    result = await run_agent(agent.id, input="question 5")

    assert result.stop_reason == "end_turn", result.error
    assert result.messages[-1]["content"] == "Fresh answer."
    assert "Summary: four questions" in fake_openai.last_request["messages"][1]["content"]


@pytest.mark.parametrize(
    "reply, says",
    [
        (Reply(text="The answer is", stream_error="", stream_error_shape="cut"), "ended before the model finished"),
        (Reply(text="Let", stream_error="Invalid chat handler", stream_error_shape="object"), "Invalid chat handler"),
    ],
    ids=["cut-off", "error-event"],
)
async def test_a_stream_that_fails_inside_its_200_is_an_error_and_nothing_is_stored(
    make_agent, fake_openai, reply, says
):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(reply)

    result = await run_agent(agent.id, input="hello?")

    assert result.stop_reason == "llm_api_error" and says in result.error["message"]
    assert not await Message.objects.filter(agent=agent, role="assistant").aexists()
    assert (await Step.objects.aget(run_id=result.run_id)).status == "failed"


async def test_the_window_and_token_counts_come_from_the_server_when_it_can_tell(make_agent, local):
    listed = {m["handle"]: m for m in await model_providers.list_models(None)}[MODEL]
    assert listed["context_window"] == 8192 and listed["context_window_is_guess"] is True
    assert listed["max_context_window"] == 128_000  # a guess does not cap what an agent may set
    text = "Remember that my sister's birthday is on the 14th of March, and that she likes tea."
    before = count_text(text, MODEL.split("/", 1)[1]).tokens

    local.n_ctx = 6144  # a llama.cpp server started with -c 6144: /props and /tokenize answer
    agent = await sync_to_async(make_agent)(model=MODEL)
    local.script(Reply(text="Hi."))
    result = await run_agent(agent.id, input="hi")
    assert result.stop_reason == "end_turn", result.error

    assert local.last_request["max_tokens"] == 3072  # half of the window the server serves
    listed = {m["handle"]: m for m in await model_providers.list_models(None)}[MODEL]
    assert (listed["context_window"], listed["context_window_is_guess"]) == (6144, False)
    assert local.tokenize_requests and count_text(text, MODEL.split("/", 1)[1]).tokens > before


async def test_usage_a_server_does_not_report_is_unknown_not_zero(make_agent, local):
    agent = await sync_to_async(make_agent)(model=MODEL)
    local.script(Reply(tool_calls=[REMEMBER], omit_usage=True), Reply(text="Noted.", omit_usage=True))

    result = await run_agent(agent.id, input="My birthday is 14 March.")

    assert result.stop_reason == "end_turn", result.error
    assert result.usage["step_count"] == 2
    assert result.usage["prompt_tokens"] is None and result.usage["total_tokens"] is None
    steps = [s async for s in Step.objects.filter(run_id=result.run_id)]
    assert steps and all(not s.usage_reported and s.estimated_prompt_tokens for s in steps)


def _note(topic: str, words: int) -> str:
    return " ".join(f"{topic}{i}" for i in range(words))


async def test_an_overflow_at_a_window_smaller_than_the_agents_keeps_what_fits_the_servers(make_agent, fake_openai):
    # The agent was told 32k (from the model card); the server was started with 2048 and says so when it refuses.
    agent = await sync_to_async(make_agent)(context_window_limit=32_000)
    for turn, topic in enumerate(("harbour", "garden")):
        fake_openai.script(Reply(text=f"noted {turn}"))
        await run_agent(agent.id, input=_note(topic, 700))
    said = "This model's maximum context length is 2048 tokens. However, you requested 2900 tokens."
    refused = []

    def server(request: dict) -> Reply:
        if request["messages"][0]["content"] == SUMMARIZER_PROMPT:  # as many pieces as the transcript needs
            return Reply(text="Summary: two long notes were read.")
        if not refused:
            refused.append(request)
            return Reply(status=400, error_kind="context_overflow", error_message=said)
        return Reply(text="Fresh answer.")

    fake_openai.responder = server

    result = await run_agent(agent.id, input="What was in the notes?")

    assert result.stop_reason == "end_turn", result.error
    assert result.messages[-1]["content"] == "Fresh answer."
    sent = "\n".join(str(m.get("content")) for m in fake_openai.last_request["messages"])
    # Both notes went into the summary: what stays must fit 30% of the 2048 the server enforces.
    assert "harbour1" not in sent and "garden1" not in sent and "Summary: two long notes" in sent
