"""Passages written from outside a run, embedded with the agent's model as its tools would."""

import pytest

from agents import passages, services
from memory.models import Archive, Passage
from memory.services import InvalidEditError

pytestmark = pytest.mark.django_db(transaction=True)

EMBEDDING = "openai/text-embedding-3-small"


def test_insert_passage_creates_the_archive_and_embeds_with_the_agents_model(make_agent, fake_openai):
    agent = make_agent(embedding=EMBEDDING)

    passage = passages.insert_passage(agent, text="The launch moved to March 14", tags=["plan", "plan"])

    assert agent.archive_id is not None and passage.archive_id == agent.archive_id
    assert (passage.text, passage.tags, passage.embedding_model) == (
        "The launch moved to March 14",
        ["plan"],
        EMBEDDING,
    )
    assert passage.embedding and [r["model"] for r in fake_openai.embedding_requests] == ["text-embedding-3-small"]


def test_insert_passage_without_an_embedding_model_stores_text_only(make_agent, fake_openai):
    agent = make_agent()

    passage = passages.insert_passage(agent, text="A fact")

    assert (passage.embedding, passage.embedding_model) == (None, None)
    assert fake_openai.embedding_requests == []


def test_an_empty_passage_is_refused_without_asking_the_provider(make_agent, fake_openai):
    agent = make_agent(embedding=EMBEDDING)
    with pytest.raises(InvalidEditError, match="must not be empty"):
        passages.insert_passage(agent, text="   ")
    assert fake_openai.embedding_requests == [] and not Passage.objects.exists()


def test_archive_passages_use_the_oldest_attached_agent_with_a_model_and_land_all_or_none(make_agent, fake_openai, org):
    archive = Archive.objects.create(organization=org, name="shared")
    plain, embedded, later = make_agent(name="plain"), make_agent(name="a", embedding=EMBEDDING), make_agent(name="b")
    later.embedding = "openai/text-embedding-3-large"
    later.save()
    for agent in (plain, embedded, later):
        services.attach_archive(agent, archive)

    stored = passages.insert_archive_passages(archive, [{"text": "one", "tags": ["x"]}, {"text": "two"}])

    assert [(p.text, p.embedding_model) for p in stored] == [("one", EMBEDDING), ("two", EMBEDDING)]
    with pytest.raises(InvalidEditError):
        passages.insert_archive_passages(archive, [{"text": "three"}, {"text": ""}])
    assert sorted(Passage.objects.values_list("text", flat=True)) == ["one", "two"]


def test_an_archive_no_agent_embeds_for_is_searched_by_text(make_agent, fake_openai, org):
    archive = Archive.objects.create(organization=org, name="lonely")
    services.attach_archive(make_agent(), archive)  # an agent without an embedding model
    assert passages.archive_embedder(archive, "anything") == (None, None)
    assert fake_openai.embedding_requests == []
