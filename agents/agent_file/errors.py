from accounts.errors import DomainError


class AgentFileError(DomainError, ValueError):
    """The agent file cannot be imported as it is; the message names the entity and field and says what to fix."""
