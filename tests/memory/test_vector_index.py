"""Vector similarity over passages, embedded by the fake OpenAI server: pgvector on PostgreSQL, Python on SQLite."""

import math

import openai
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from memory import archival, vector_index
from memory.models import Passage

pytestmark = pytest.mark.django_db
MODEL = "openai/text-embedding-3-small"


@pytest.fixture
def embed(fake_openai):
    """The embedding function an agent gets: texts in, one vector per text out, from an embeddings endpoint."""
    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="sk-test")

    def embed(texts, dimensions=None):
        extra = {"dimensions": dimensions} if dimensions else {}
        response = client.embeddings.create(model="text-embedding-3-small", input=texts, **extra)
        return [item.embedding for item in response.data]

    return embed


@pytest.fixture
def add(archive, org, embed):
    def add(text, embed_fn=embed):
        return archival.insert_passage(
            archive_id=archive.id, organization_id=org.id, text=text, embed_fn=embed_fn, embedding_model=MODEL
        )

    return add


def nearest(archive, vector):
    return list(vector_index.nearest(Passage.objects.filter(archive=archive, embedding_model=MODEL), vector))


def test_the_nearest_passage_comes_first_with_its_cosine_similarity(archive, add, embed):
    add("Stock prices fell sharply today.")
    cat = add("The cat sat on the mat.")
    add("A dog chased the ball in the park.")
    query = embed(["cat on the mat"])[0]

    ranked = nearest(archive, query)

    assert ranked[0][0] == cat
    assert math.isclose(ranked[0][1], vector_index.cosine_similarity(query, cat.embedding), rel_tol=1e-5)
    assert [score for _, score in ranked] == sorted((score for _, score in ranked), reverse=True)
    assert all(score > 0 for _, score in ranked)


def test_postgresql_ranks_in_the_database_with_pgvector(archive, add, embed):
    add("The cat sat on the mat.")
    query = embed(["cat"])[0]

    with CaptureQueriesContext(connection) as queries:
        nearest(archive, query)

    in_database = any("<=>" in q["sql"] for q in queries)
    assert in_database == (connection.vendor == "postgresql")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pgvector column exists on PostgreSQL only")
def test_the_vector_column_mirrors_the_stored_embedding(add):
    passage = add("The cat sat on the mat.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vector_dims(embedding_vector), embedding_vector::text FROM memory_passage WHERE id = %s",
            [passage.id],
        )
        dims, text = cursor.fetchone()
    assert dims == len(passage.embedding) == 64
    mirrored = [float(x) for x in text.strip("[]").split(",")]
    assert all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7) for a, b in zip(mirrored, passage.embedding))


def test_vectors_of_another_dimension_are_left_out(archive, add, embed):
    short = add("The cat sat on the mat.", embed_fn=lambda texts: embed(texts, dimensions=32))
    full = add("The cat sat on the mat.")

    assert [p for p, _ in nearest(archive, embed(["cat on the mat"])[0])] == [full]
    assert [p for p, _ in nearest(archive, embed(["cat on the mat"], dimensions=32)[0])] == [short]


def test_embeddings_that_are_not_vectors_are_ignored(archive, org, add, embed):
    Passage.objects.create(
        archive=archive, organization=org, text="The cat, by hand.", embedding={"cat": 1}, embedding_model=MODEL
    )
    cat = add("The cat sat on the mat.")

    assert [p for p, _ in nearest(archive, embed(["cat"])[0])] == [cat]


def test_hybrid_search_puts_the_passage_both_sides_agree_on_first(archive, add, embed):
    for text in ("The meeting moved to Thursday.", "Backups run at midnight.", "The garden needs water."):
        add(text)
    add("Ada's cat is called Mittens.")
    add("Cat food is in the garage.")

    results = archival.search_passages(
        archive_ids=[archive.id], query="what is the cat called", embed_fn=embed, embedding_model=MODEL
    )

    assert results[0]["content"] == "Ada's cat is called Mittens."
