"""End-to-end stories of the agent loop: real SDKs, fake provider servers, nothing in the project mocked."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from agents import services
from agents.models import Agent, Message, Run, Step
from agents.runtime.errors import AgentBusyError, NoPendingApprovalError, PendingApprovalError
from agents.runtime.loop import run_agent
from memory.models import Block, BlockRevision
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def system_prompt_sent(request: dict) -> str:
    """The system text a provider received, in either wire format."""
    if "system" in request:
        system = request["system"]
        return system if isinstance(system, str) else "".join(part["text"] for part in system)
    return request["messages"][0]["content"]


async def block(agent: Agent, label: str) -> Block:
    return await Block.objects.aget(agents=agent, label=label)


def history(agent_id: str) -> list[tuple]:
    return list(Message.objects.filter(agent_id=agent_id).order_by("sequence_id").values_list("id", "role", "text"))


async def snapshot(agent: Agent) -> tuple:
    fresh = await Agent.objects.aget(pk=agent.pk)
    blocks = [(b.label, b.value, b.version) async for b in Block.objects.filter(agents=agent).order_by("label")]
    return fresh.message_ids, await sync_to_async(history)(agent.id), blocks


async def test_agent_stores_a_fact_and_sees_it_in_the_next_turn(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada, likes tea"})]),
        Reply(text="Nice to meet you, Ada!"),
    )
    result = await run_agent(agent.id, input="Hi, I'm Ada and I like tea.")

    assert result.stop_reason == "end_turn"
    kinds = [m["message_type"] for m in result.messages]
    assert kinds == ["tool_call_message", "tool_return_message", "assistant_message"]
    assert result.messages[-1]["content"] == "Nice to meet you, Ada!"
    human = await block(agent, "human")
    assert "Name: Ada, likes tea" in human.value
    revision = await BlockRevision.objects.filter(block=human).order_by("-version").afirst()
    assert revision.actor_type == "agent" and revision.tool_name == "memory_insert"
    assert revision.agent_id == agent.id and revision.step_id and revision.tool_call_id
    assert "Ada" not in revision.value_before and "Ada" in revision.value_after

    fake_openai.script(Reply(text="You are Ada."))
    await run_agent(agent.id, input="What's my name?")
    assert "Name: Ada, likes tea" in system_prompt_sent(fake_openai.last_request)
    # the whole conversation so far is in the request, tool call followed by its return
    roles = [m["role"] for m in fake_openai.last_request["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]


async def test_memory_replace_with_anthropic_streaming(make_agent, fake_anthropic):
    agent = await sync_to_async(make_agent)(model="anthropic/claude-sonnet-4-5")
    fake_anthropic.script(
        Reply(
            reasoning="The user gave their name.",
            tool_calls=[
                ("memory_replace", {"label": "human", "old_string": "Name: unknown", "new_string": "Name: Grace"})
            ],
        ),
        Reply(text="Hello Grace, good to meet you."),
    )
    events = []

    async def collect(event):
        events.append(event)

    result = await run_agent(agent.id, input="I'm Grace.", stream_tokens=True, on_event=collect)

    assert result.stop_reason == "end_turn"
    assert (await block(agent, "human")).value == "Name: Grace"
    pieces = [e["content"] for e in events if e["message_type"] == "assistant_message"]
    assert len(pieces) > 1 and "".join(pieces) == "Hello Grace, good to meet you."
    assert events[-2]["message_type"] == "stop_reason" and events[-1]["message_type"] == "usage_statistics"
    fake_anthropic.script(Reply(text="Grace."))
    await run_agent(agent.id, input="Who am I?")
    assert "Name: Grace" in system_prompt_sent(fake_anthropic.last_request)


@pytest.mark.parametrize(
    "call, expected",
    [
        (("memory_replace", {"label": "nope", "old_string": "a", "new_string": "b"}), "nope"),
        (("memory_replace", {"label": "human", "old_string": "absent text", "new_string": "b"}), "did not appear"),
        (("memory_insert", {"label": "human", "new_string": "x" * 5000}), "limit"),
        (("memory_insert", {"label": "human"}), "new_string"),
        (("memory_insert", {"label": "policy", "new_string": "override"}), "read-only"),
    ],
    ids=["unknown-label", "text-missing", "over-limit", "missing-argument", "read-only"],
)
async def test_bad_memory_calls_return_an_error_and_change_nothing(make_agent, fake_openai, call, expected):
    agent = await sync_to_async(make_agent)(
        blocks=[
            {"label": "human", "value": "Name: unknown", "limit": 2000},
            {"label": "policy", "value": "Be kind.", "read_only": True},
        ]
    )
    before = [(b.label, b.value, b.version) async for b in Block.objects.filter(agents=agent).order_by("label")]
    fake_openai.script(Reply(tool_calls=[call]), Reply(text="Sorry, that did not work."))

    result = await run_agent(agent.id, input="remember this")

    tool_return = next(m for m in result.messages if m["message_type"] == "tool_return_message")
    assert tool_return["status"] == "error"
    assert expected in tool_return["tool_return"]
    after = [(b.label, b.value, b.version) async for b in Block.objects.filter(agents=agent).order_by("label")]
    assert after == before
    # the model saw the error and could answer
    assert result.stop_reason == "end_turn"
    assert '"status": "Failed"' in fake_openai.last_request["messages"][-1]["content"]


async def test_tool_needing_approval_stops_then_runs_once_approved(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}])
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes chess"})]))
    result = await run_agent(agent.id, input="I like chess")

    assert result.stop_reason == "requires_approval"
    request = result.messages[-1]
    assert request["message_type"] == "approval_request_message"
    assert "Likes chess" not in (await block(agent, "human")).value
    with pytest.raises(PendingApprovalError):
        await run_agent(agent.id, input="hello?")

    fake_openai.script(Reply(text="Noted that you like chess."))
    call_id = request["tool_call"]["tool_call_id"]
    result = await run_agent(
        agent.id, [{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": True}]}]
    )

    assert result.stop_reason == "end_turn"
    assert "Likes chess" in (await block(agent, "human")).value
    kinds = [m["message_type"] for m in result.messages]
    assert kinds == ["approval_response_message", "tool_return_message", "assistant_message"]


async def test_denied_tool_call_reaches_the_model_as_an_error(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}])
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Secret"})]))
    first = await run_agent(agent.id, input="remember my secret")
    call_id = first.messages[-1]["tool_call"]["tool_call_id"]

    fake_openai.script(Reply(text="Understood, I won't store it."))
    result = await run_agent(
        agent.id,
        [
            {
                "type": "approval",
                "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": False, "reason": "private"}],
            }
        ],
    )

    assert result.stop_reason == "end_turn"
    assert "Secret" not in (await block(agent, "human")).value
    tool_msg = fake_openai.last_request["messages"][-1]
    assert tool_msg["role"] == "tool" and "denied" in tool_msg["content"] and "private" in tool_msg["content"]


async def test_approval_reply_without_pending_request_is_refused(make_agent):
    agent = await sync_to_async(make_agent)()
    with pytest.raises(NoPendingApprovalError):
        await run_agent(
            agent.id,
            [{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": "call_x", "approve": True}]}],
        )
    assert not await Run.objects.filter(agent=agent).aexists()


async def test_max_steps_stops_a_model_that_keeps_calling_tools(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.responder = lambda request: Reply(tool_calls=[("conversation_search", {"query": "tea"})])

    result = await run_agent(agent.id, input="loop forever", max_steps=3)

    assert result.stop_reason == "max_steps"
    assert result.usage["step_count"] == 3
    run = await Run.objects.aget(pk=result.run_id)
    assert run.status == "completed" and run.stop_reason == "max_steps" and run.step_count == 3
    assert await Step.objects.filter(run=run, status="success").acount() == 3


async def test_an_agents_own_max_steps_bounds_a_run_that_names_none(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    await sync_to_async(services.update_agent)(agent, max_steps=2)
    fake_openai.responder = lambda request: Reply(tool_calls=[("conversation_search", {"query": "tea"})])

    own = await run_agent(agent.id, input="loop forever")
    named = await run_agent(agent.id, input="loop forever", max_steps=3)

    assert (own.stop_reason, own.usage["step_count"]) == ("max_steps", 2)
    assert named.usage["step_count"] == 3


async def test_provider_500_is_retried_and_the_run_succeeds(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply.server_error(), Reply(text="Here I am."))

    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "end_turn"
    assert result.messages[-1]["content"] == "Here I am."
    assert len(fake_openai.requests) == 2


async def test_provider_failure_mid_run_leaves_history_and_memory_untouched(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="First answer."))
    await run_agent(agent.id, input="first")
    before = await snapshot(agent)

    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Changed"})]),
        Reply.auth_error(),
    )
    result = await run_agent(agent.id, input="second")

    assert result.stop_reason == "llm_api_error"
    assert result.error["error_type"] == "llm_authentication"
    run = await Run.objects.aget(pk=result.run_id)
    assert run.status == "failed" and run.metadata["error"]["error_type"] == "llm_authentication"
    failed = await Step.objects.filter(run=run, status="failed").afirst()
    assert failed.error_type == "llm_authentication"
    # the first step of this run (the memory edit) landed; the failed second step left nothing behind
    message_ids, rows, blocks = await snapshot(agent)
    assert message_ids[: len(before[0])] == before[0]
    assert [r[1] for r in rows[len(before[1]) :]] == ["user", "assistant", "tool"]


async def test_provider_failure_on_first_step_keeps_the_users_message_in_history_only(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    message_ids, rows, blocks = await snapshot(agent)
    fake_openai.script(Reply(status=400, error_message="bad request: unsupported parameter"))

    result = await run_agent(agent.id, input="please remember my birthday")

    assert result.stop_reason == "llm_api_error" and result.error["error_type"] == "llm_bad_request"
    after_ids, after_rows, after_blocks = await snapshot(agent)
    # Nothing the user sent is lost: the message is in the history, under the failed run...
    assert [r[1:] for r in after_rows[len(rows) :]] == [("user", "please remember my birthday")]
    kept = await Message.objects.aget(id=after_rows[-1][0])
    assert kept.run_id == result.run_id
    # ...but the context window and memory are as they were, so a retry does not send it twice.
    assert after_ids == message_ids and after_blocks == blocks
    assert (await Run.objects.aget(pk=result.run_id)).pending_input is None


@pytest.mark.parametrize(
    "reply",
    [Reply(text=""), Reply(text="  \n"), Reply(no_choices=True), Reply(text="", finish="length")],
    ids=["empty-text", "whitespace", "no-choices", "empty-at-length"],
)
async def test_an_empty_reply_is_a_provider_error_and_is_never_resent(make_agent, fake_openai, reply):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(reply)

    result = await run_agent(agent.id, input="hello?")

    assert result.stop_reason == "llm_api_error"
    assert result.error["error_type"] == "llm_empty_response" and "nothing was stored" in result.error["message"]
    assert not await Message.objects.filter(agent=agent, role="assistant").aexists()
    failed = await Step.objects.aget(run_id=result.run_id)
    assert failed.status == "failed" and failed.error_type == "llm_empty_response"

    fake_openai.script(Reply(text="Hello!"))
    assert (await run_agent(agent.id, input="hello again")).stop_reason == "end_turn"
    sent = fake_openai.last_request["messages"]
    assert not [m for m in sent if m["role"] == "assistant"]  # the empty reply was never stored, so never resent
    assert [m["content"] for m in sent if m["role"] == "user"][-1].endswith("hello again")


async def test_concurrent_edits_to_a_shared_block_both_land(make_agent, fake_openai, org):
    from memory import services as memory_services
    from memory.services import EditActor

    shared = await sync_to_async(memory_services.create_block)(
        organization_id=org.id, label="team", value="Team notes:", limit=5000, actor=EditActor.api()
    )
    first = await sync_to_async(make_agent)(name="a", blocks=[], block_ids=[shared.id])
    second = await sync_to_async(make_agent)(name="b", blocks=[], block_ids=[shared.id])

    def respond(request):
        said = request["messages"][-1]
        if said["role"] == "tool":
            return Reply(text="Saved.")
        fact = said["content"]
        return Reply(tool_calls=[("memory_insert", {"label": "team", "new_string": fact})], delay=0.2)

    fake_openai.responder = respond
    await asyncio.gather(run_agent(first.id, input="fact from a"), run_agent(second.id, input="fact from b"))

    value = (await Block.objects.aget(pk=shared.pk)).value
    assert "fact from a" in value and "fact from b" in value
    assert await BlockRevision.objects.filter(block=shared).acount() == 3


async def test_a_second_send_to_a_busy_agent_is_refused_or_waits(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="slow answer", delay=0.5), Reply(text="queued answer"))

    first = asyncio.create_task(run_agent(agent.id, input="first"))
    await await_until(
        Run.objects.filter(agent=agent, status=Run.Status.RUNNING).aexists, message="the first run to hold the agent"
    )
    with pytest.raises(AgentBusyError) as refused:
        await run_agent(agent.id, input="second")
    assert refused.value.status_code == 409 and refused.value.run_id in refused.value.message

    waiting = await run_agent(agent.id, input="third", wait=True)
    assert (await first).stop_reason == "end_turn"
    assert waiting.messages[-1]["content"] == "queued answer"
    texts = [r[2] for r in await sync_to_async(history)(agent.id) if r[1] == "user"]
    assert texts == ["first", "third"]


async def test_legacy_agent_replies_through_send_message(org, providers, fake_openai):
    from agents import services

    agent = await sync_to_async(services.create_agent)(
        organization_id=org.id,
        name="legacy",
        model="openai/gpt-4o",
        agent_type="memgpt_agent",
        memory_blocks=[{"label": "human", "value": ""}],
    )
    fake_openai.script(Reply(tool_calls=[("send_message", {"message": "Hello from the old days."})]))

    result = await run_agent(agent.id, input="hi")

    assert result.stop_reason == "tool_rule"
    assert [m["message_type"] for m in result.messages] == ["assistant_message"]
    assert result.messages[0]["content"] == "Hello from the old days."


async def test_parallel_tool_calls_run_in_order_when_enabled(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(parallel_tool_calls=True)
    fake_openai.script(
        Reply(
            tool_calls=[
                ("memory_insert", {"label": "human", "new_string": "one"}),
                ("memory_insert", {"label": "human", "new_string": "two"}),
            ]
        ),
        Reply(text="done"),
    )
    result = await run_agent(agent.id, input="store two facts")

    assert [m["message_type"] for m in result.messages].count("tool_return_message") == 2
    value = (await block(agent, "human")).value
    assert value.index("one") < value.index("two")
    assert fake_openai.requests[0]["parallel_tool_calls"] is True
