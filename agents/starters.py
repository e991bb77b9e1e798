"""Starter agents the ADE offers: data, not code, so a new starter is one more entry in STARTERS.

Creating one goes through the same services as any agent (`agents.services.create_agent`, and the archive's
passages through `agents.passages.insert_passage`), so a starter obeys every rule an API-created agent does.
"""

from dataclasses import dataclass, field

from django.db import transaction

from agents import passages, services
from agents.models import Agent
from memory.services import EditActor

# Starter blocks are roomy but bounded: the agent rewrites them as it learns, within this many characters.
STARTER_BLOCK_LIMIT = 5_000


@dataclass(frozen=True)
class Starter:
    slug: str
    title: str
    name: str  # the agent's name offered in the form
    description: str
    persona: str
    human: str
    blocks: tuple[dict, ...] = ()  # further blocks: {"label", "value", "description"}
    tags: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()  # archival memory it starts with
    passage_tags: tuple[str, ...] = field(default=())

    def memory_blocks(self) -> list[dict]:
        base = [{"label": "persona", "value": self.persona}, {"label": "human", "value": self.human}]
        return [{"limit": STARTER_BLOCK_LIMIT, **spec} for spec in (*base, *self.blocks)]


STARTERS = (
    Starter(
        slug="companion",
        title="Companion",
        name="companion",
        description="A friendly companion that learns about you as you talk and remembers it next time.",
        persona=(
            "I am a warm, curious companion. I remember what my friend tells me about their life, and I bring it up "
            "when it matters. When I learn something lasting about them (their name, what they care about, how "
            "they like to be spoken to), I write it into my memory of them at once."
        ),
        human="Nothing known yet. Ask their name, and note what they share about themselves.",
        tags=("starter", "companion"),
    ),
    Starter(
        slug="support",
        title="Customer support",
        name="support-agent",
        description="A support agent that answers from a block of company facts and keeps notes on each customer.",
        persona=(
            "I am the support assistant of Acme Widgets. I answer only from the facts in my company block; when "
            "they do not cover a question, I say so and offer to hand over to a person. I stay brief and polite."
        ),
        human="The customer I am helping. Note their name, order numbers and the problem they report.",
        blocks=(
            {
                "label": "company",
                "description": "Facts about the company the support agent answers for. Edit to match yours.",
                "value": (
                    "Company: Acme Widgets\n"
                    "Support hours: Monday to Friday, 9:00-17:00 CET\n"
                    "Shipping: free over 50 EUR; 3-5 working days in the EU\n"
                    "Returns: within 30 days, unused, with the order number\n"
                    "Contact: support@acme.example"
                ),
                "read_only": True,
            },
        ),
        tags=("starter", "support"),
    ),
    Starter(
        slug="research",
        title="Research assistant",
        name="researcher",
        description="A research agent with an archive of notes it searches before answering, and adds to as it reads.",
        persona=(
            "I am a careful research assistant. Before I answer, I search my archival memory for notes on the "
            "topic and cite what I find. I store new findings as short archival passages with tags."
        ),
        human="The researcher I work with. Note their field, their questions and the sources they trust.",
        tags=("starter", "research"),
        passages=(
            "MemGPT (Packer et al., 2023) treats an LLM's context window like an operating system's main memory, "
            "paging information in and out of external storage with function calls.",
            "Retrieval-augmented generation (Lewis et al., 2020) conditions a generator on passages fetched from an "
            "index at query time, so knowledge can be updated without retraining.",
            "Hybrid search combines full-text ranking (such as BM25) with vector similarity; reciprocal rank fusion "
            "is a simple way to merge the two rankings.",
        ),
        passage_tags=("notes",),
    ),
)
STARTERS_BY_SLUG = {starter.slug: starter for starter in STARTERS}


@transaction.atomic
def create_from_starter(
    starter: Starter, *, organization_id: str, name: str, model: str, actor: EditActor | None = None
) -> Agent:
    """A new agent built from `starter`, with its blocks, tags and archive; all or nothing."""
    agent = services.create_agent(
        organization_id=organization_id,
        name=name,
        model=model,
        description=starter.description,
        memory_blocks=starter.memory_blocks(),
        tags=list(starter.tags),
        actor=actor,
    )
    for text in starter.passages:
        passages.insert_passage(agent, text=text, tags=list(starter.passage_tags))
    return agent
