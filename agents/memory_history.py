"""The memory history of a block or of an agent, as the timeline page and the history API both show it.

`memory.history` pages and names the revisions; this adds what only `agents` knows, the run of each agent edit's
step, so an entry can say (and link) which run made it.
"""

from agents.models import Agent, Step
from memory import history
from memory.history import HistoryEntry
from memory.models import Block


def runs_of_steps(step_ids: set[str]) -> dict[str, str]:
    return dict(Step.objects.filter(pk__in=step_ids).values_list("id", "run_id"))


def block_history(block: Block, **page) -> list[HistoryEntry]:
    """A page of one block's revisions; `page` is revision_page's after/before (versions), order and limit."""
    revisions = history.revision_page(history.block_revisions(block.id), key="version", **page)
    return history.named(revisions, runs_of_steps=runs_of_steps)


def agent_history(agent: Agent, *, block_id: str | None = None, **page) -> list[HistoryEntry]:
    """A page of the revisions of the agent's blocks (or of one of them), cursors being revision ids."""
    blocks = agent.blocks.filter(pk=block_id) if block_id else agent.blocks.all()
    revisions = history.revisions_of_blocks(blocks.values("id"))
    return history.named(history.revision_page(revisions, key="id", **page), runs_of_steps=runs_of_steps)
