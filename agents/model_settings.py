"""Letta's `model_settings` (an agent's, and a conversation's overrides): the part this server applies, as the agent's
own fields. The other keys Letta's clients send (`provider_type`, `reasoning`, `response_format`, ...) are kept as
sent and have no counterpart here."""

# Its key -> the agent's field.
APPLIED = {
    "temperature": "temperature",
    "max_output_tokens": "max_tokens",
    "parallel_tool_calls": "parallel_tool_calls",
}


def agent_fields(model_settings: dict | None) -> dict:
    """The agent fields `model_settings` sets: those it gives a value (a None leaves the field as it is)."""
    settings = model_settings or {}
    return {ours: settings[theirs] for theirs, ours in APPLIED.items() if settings.get(theirs) is not None}
