"""What every panel of an agent's page shares: the agent, scoped to the signed-in person's organization, and the
tab it shows."""


def panel_context(agent, tab: str, **extra) -> dict:
    """The context agent_base.html needs: the agent, which tab is current, and the section of the top bar."""
    return {"agent": agent, "tab": tab, "section": "agents", **extra}
