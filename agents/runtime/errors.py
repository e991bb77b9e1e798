"""Errors a run can end with before or between steps. Each message names the thing and the fix."""

from accounts.errors import ConflictError, DomainError, NotFoundError


class RunRefused(DomainError):
    """The request cannot start a run; nothing was stored."""


class AgentNotFound(NotFoundError, RunRefused):
    pass


class AgentBusyError(ConflictError, RunRefused):
    code = "AGENT_BUSY"

    def __init__(self, agent_id: str, run_id: str, conversation_id: str | None = None):
        where = f"Conversation {conversation_id} of agent {agent_id}" if conversation_id else f"Agent {agent_id}"
        super().__init__(
            f"{where} is already processing run {run_id}. Wait for it to finish, cancel it, "
            "or send again with wait=true to queue behind it.",
            run_id=run_id,
        )


class PendingApprovalError(ConflictError, RunRefused):
    code = "PENDING_APPROVAL"

    def __init__(self, agent_id: str, request_id: str, tool_names: list[str]):
        super().__init__(
            f"Agent {agent_id} is waiting for approval of {', '.join(tool_names)} (request {request_id}). "
            "Reply with an approval message (type 'approval') before sending a new message.",
            pending_request_id=request_id,
        )


class NoPendingApprovalError(RunRefused):
    def __init__(self):
        super().__init__("No tool call is currently awaiting approval.")


class InvalidApprovalError(RunRefused):
    pass
