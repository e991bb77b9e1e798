"""Which thread a request addresses: an agent's default thread or one of its conversations.

Letta's clients name a thread three ways: a conversation id (`conv-…`), `default` with the agent's id beside it
(agent-direct mode), or the agent's id itself in the conversation's place (Letta Code's cancel). All three resolve
here, so every route reads them the same way.
"""

from accounts.errors import DomainError, NotFoundError
from agents.model_settings import agent_fields
from agents.models import Agent, ContextWindow, Conversation
from agents.runtime.errors import RunRefused
from agents.runtime.run_lifecycle import get_agent

DEFAULT = "default"


class ConversationNotFound(NotFoundError, RunRefused):
    pass


def is_default(conversation_id: str) -> bool:
    return conversation_id == DEFAULT or conversation_id.startswith("agent-")


def agent_of_thread(
    organization_id: str | None, conversation_id: str, agent_id: str | None
) -> tuple[Agent, str | None]:
    """The agent a conversation route addresses and the conversation's id (None for the agent's default thread)."""
    thread = thread_of(organization_id, conversation_id, agent_id)
    return thread.agent, thread.conversation_id


def thread_of(organization_id: str | None, conversation_id: str, agent_id: str | None) -> ContextWindow:
    """The thread a conversation route addresses, loaded as `load_thread` loads it (one query for a conversation:
    its agent comes with it)."""
    if conversation_id == DEFAULT and not agent_id:
        raise DomainError(
            "The 'default' conversation needs the agent: pass agent_id (agent-direct mode), or use a conversation id."
        )
    if is_default(conversation_id):
        return get_agent(agent_id if conversation_id == DEFAULT else conversation_id, organization_id)
    conversation = _conversation(organization_id, conversation_id)
    if agent_id and agent_id != conversation.agent_id:
        raise ConversationNotFound(f"Conversation {conversation_id} does not belong to agent {agent_id}.")
    conversation.agent = with_overrides(conversation.agent, conversation)
    return conversation


def load_thread(agent: Agent, conversation_id: str | None) -> ContextWindow:
    """The thread a run of `agent` reads and writes. A conversation's model settings are laid over this copy of
    the agent (the run's view of it; never saved), so the loop needs no other notion of them."""
    if conversation_id is None:
        return agent
    try:
        conversation = Conversation.objects.get(pk=conversation_id, agent=agent)
    except Conversation.DoesNotExist:
        raise ConversationNotFound(f"Conversation {conversation_id} not found.") from None
    conversation.agent = with_overrides(agent, conversation)
    return conversation


def thread_agent(agent_id: str, organization_id: str | None, conversation_id: str | None) -> Agent:
    """The agent as a run in the thread sees it (a conversation's model settings laid over it)."""
    return load_thread(get_agent(agent_id, organization_id), conversation_id).agent


def with_overrides(agent: Agent, conversation: Conversation) -> Agent:
    agent.model = conversation.model or agent.model
    agent.context_window_limit = conversation.context_window_limit or agent.context_window_limit
    for name, value in agent_fields(conversation.model_settings).items():
        setattr(agent, name, value)
    return agent


def _conversation(organization_id: str | None, conversation_id: str) -> Conversation:
    conversations = Conversation.objects.select_related("agent")
    if organization_id:
        conversations = conversations.for_organization(organization_id)
    try:
        return conversations.get(pk=conversation_id)
    except Conversation.DoesNotExist:
        raise ConversationNotFound(f"Conversation {conversation_id} not found.") from None
