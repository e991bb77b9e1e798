"""The Letta-v1-compatible REST API for agents, their core memory, messages and runs."""
