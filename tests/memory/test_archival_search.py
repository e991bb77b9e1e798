"""Archival search on the real full-text index (FTS5 on SQLite, tsvector on PostgreSQL), and its fusion with a fake
embedding model."""

import math
import zlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from memory import archival, search_index
from memory.models import Passage
from tools.builtin.memory_tools import archival_memory_search
from tools.context import ToolContext

# The FTS5 table and its triggers come from migrations, which the test database runs.
pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 behaviour")

# Unrelated passages, so that bm25's document frequencies behave as in a real archive (a term found in most
# passages of a tiny archive weighs next to nothing).
FILLER = [
    "The meeting moved to Thursday.",
    "Ada prefers window seats.",
    "Backups run at midnight.",
    "The garden needs water.",
    "Invoices are due monthly.",
]


@pytest.fixture
def add(archive, org):
    def add(text, tags=None, at=None, **kwargs):
        passage = archival.insert_passage(archive_id=archive.id, organization_id=org.id, text=text, tags=tags, **kwargs)
        if at:
            Passage.objects.filter(pk=passage.pk).update(created_at=at)
        return passage

    return add


def contents(archive, query, **kwargs):
    return [r["content"] for r in archival.search_passages(archive_ids=[archive.id], query=query, **kwargs)]


def test_more_occurrences_rank_first(archive, add):
    for text in FILLER:
        add(text)
    add("A kettle sits on the shelf.")
    add("Kettle, kettle: the kettle whistles.")

    assert contents(archive, "kettle") == ["Kettle, kettle: the kettle whistles.", "A kettle sits on the shelf."]


def test_the_rarer_term_wins(archive, add):
    for text in FILLER:
        add(text)
    for i in range(4):
        add(f"Project report number {i} is filed.")
    add("The Zanzibar office opened.")
    add("The project report is late.")

    results = contents(archive, "project zanzibar")
    assert results[0] == "The Zanzibar office opened."
    assert "The project report is late." in results


def test_stemming_finds_other_forms(archive, add):
    add("I run every morning before work.")
    add("Swimming is on Fridays.")

    assert contents(archive, "running") == ["I run every morning before work."]
    assert contents(archive, "runs") == ["I run every morning before work."]


@sqlite_only  # PostgreSQL's "english" configuration keeps accents (unaccent is an extension we do not require)
def test_diacritics_are_ignored(archive, add):
    add("Meet at the café on Main Street.")
    assert contents(archive, "cafe") == ["Meet at the café on Main Street."]


@pytest.mark.parametrize(
    "query",
    [
        'C++ AND "x" NEAR( OR',
        '"',
        "*",
        "NOT",
        "text:tea",
        "tea^2 -milk",
        "a OR OR b",
        "(((",
        "'; DROP TABLE memory_passage; --",
        "NEAR(tea milk, 2)",
    ],
)
def test_operators_and_punctuation_in_queries_never_fail(archive, add, query):
    add("I write C++ and some x86 assembly.")
    add("Tea, not milk.")

    assert isinstance(contents(archive, query), list)


def test_operator_words_are_plain_words(archive, add):
    add("Bring milk and sugar.")
    add("A candle near the window.")

    assert contents(archive, '"near"') == ["A candle near the window."]
    assert contents(archive, "NEAR(") == ["A candle near the window."]
    assert contents(archive, "sugar AND") == ["Bring milk and sugar."]


def test_a_query_without_words_finds_nothing(archive, add):
    add("Tea time.")
    assert contents(archive, "?!  ...") == [] and contents(archive, "") == []


def test_tags_any_and_all(archive, add):
    add("Tea in the morning.", tags=["drinks", "habits"])
    add("Tea with Ada.", tags=["drinks", "people"])
    add("Tea facts.")

    assert sorted(contents(archive, "tea", tags=["people", "habits"])) == ["Tea in the morning.", "Tea with Ada."]
    assert contents(archive, "tea", tags=["drinks", "people"], tag_match_mode="all") == ["Tea with Ada."]
    assert contents(archive, "tea", tags=["nothing"]) == []


def test_tag_filter_skips_better_ranked_passages_without_the_tag(archive, add):
    for i in range(8):
        add(f"tea tea tea {i}")
    add("Tea once.", tags=["rare"])

    assert contents(archive, "tea", tags=["rare"], top_k=3) == ["Tea once."]


def test_date_range(archive, add):
    add("Tea on the fourteenth.", at=datetime(2025, 1, 14, 23, 0, tzinfo=UTC))
    add("Tea on the fifteenth.", at=datetime(2025, 1, 15, 18, 0, tzinfo=UTC))
    add("Tea on the sixteenth.", at=datetime(2025, 1, 16, 9, 0, tzinfo=UTC))

    assert contents(
        archive,
        "tea",
        start_datetime=datetime(2025, 1, 15, tzinfo=UTC),
        end_datetime=datetime(2025, 1, 15, 23, 59, tzinfo=UTC),
    ) == ["Tea on the fifteenth."]


def test_a_date_only_end_covers_the_whole_day(org, archive, add):
    add("Tea on the fifteenth.", at=datetime(2025, 1, 15, 18, 0, tzinfo=UTC))
    add("Tea on the sixteenth.", at=datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    ctx = ToolContext(organization_id=org.id, agent_id="agent-1", ensure_archive=lambda: archive.id)

    results = archival_memory_search(ctx, "tea", start_datetime="2025-01-15", end_datetime="2025-01-15")
    assert [r["content"] for r in results] == ["Tea on the fifteenth."]


def test_deleted_passages_leave_the_index(archive, add):
    gone = add("The lighthouse keeper retired.")
    add("The lighthouse is white.")

    archival.delete_passage(gone.id, archive_id=archive.id)
    assert contents(archive, "lighthouse keeper") == ["The lighthouse is white."]
    Passage.objects.filter(archive=archive).delete()
    assert contents(archive, "lighthouse") == []
    _check_integrity("memory_passage_fts")


def test_edited_passages_are_reindexed(archive, add):
    passage = add("The harbour master retired.")

    passage.text = "The harbour master moved inland."
    passage.save()
    assert contents(archive, "retired") == [] and contents(archive, "inland") == [passage.text]
    Passage.objects.filter(pk=passage.pk).update(text="Now a beekeeper.")
    assert contents(archive, "inland") == [] and contents(archive, "beekeeper") == ["Now a beekeeper."]
    _check_integrity("memory_passage_fts")


@sqlite_only
def test_the_index_triggers_survive_all_migrations():
    """A later migration that alters memory_passage rebuilds the table on SQLite, which drops the triggers: it
    must call search_index.install_text_index again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_fts_a_'")
        names = {row[0] for row in cursor.fetchall()}
    assert {f"{table}_fts_{op}" for table in ("memory_passage", "agents_message") for op in ("ai", "ad", "au")} <= names


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_the_text_indexes_and_the_vector_column_exist_after_all_migrations():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_text_search'")
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT atttypid::regtype::text FROM pg_attribute "
            "WHERE attrelid = 'memory_passage'::regclass AND attname = 'embedding_vector'"
        )
        vector_column = cursor.fetchone()
    assert indexes >= {"memory_passage_text_search", "agents_message_text_search"}
    assert vector_column == ("vector",)


@sqlite_only
def test_installing_the_index_backfills_existing_rows(archive, add):
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=lambda sql, params=None: cursor.execute(sql))
        search_index.remove_text_index(editor, table="memory_passage")
        Passage.objects.create(archive=archive, organization_id=archive.organization_id, text="Stored before.")
        search_index.install_text_index(editor, table="memory_passage")
        search_index.install_text_index(editor, table="memory_passage")  # idempotent

    assert contents(archive, "stored") == ["Stored before."]
    _check_integrity("memory_passage_fts")


# ----------------------------------------------------------------------------------------- vector side

SYNONYMS = {"automobile": "car", "vehicle": "car", "repair": "fix", "fixing": "fix", "mend": "fix"}


def fake_embed(texts: list[str]) -> list[list[float]]:
    """Bag-of-words hashed into 64 dimensions, synonyms folded together: similar meaning, no shared word."""
    vectors = []
    for text in texts:
        vector = [0.0] * 64
        for word in search_index.query_terms(text):
            vector[zlib.crc32(SYNONYMS.get(word, word).encode()) % 64] += 1.0
        vectors.append(vector)
    return vectors


def test_insert_stores_the_embedding_and_its_model(add):
    passage = add("My car needs fixing.", embed_fn=fake_embed, embedding_model="fake/bow-64")
    passage.refresh_from_db()
    assert passage.embedding_model == "fake/bow-64"
    assert len(passage.embedding) == 64 and math.isclose(sum(passage.embedding), 4.0)
    assert add("No embedding.").embedding is None


def test_the_vector_side_finds_a_passage_without_shared_words(archive, add):
    hybrid = {"embed_fn": fake_embed, "embedding_model": "fake/bow-64"}
    add("My car needs fixing.", **hybrid)
    add("The garden needs water.", **hybrid)
    add("Automobile insurance renews in May.", **hybrid)

    assert contents(archive, "automobile repair") == ["Automobile insurance renews in May."]
    results = contents(archive, "automobile repair", **hybrid)
    assert set(results) == {"Automobile insurance renews in May.", "My car needs fixing."}
    # Found by both sides, the insurance note is fused above the car note, found by meaning alone.
    assert results[0] == "Automobile insurance renews in May."


def test_passages_of_another_embedding_model_are_not_compared(archive, add):
    add("My car needs fixing.", embed_fn=fake_embed, embedding_model="other/model")

    assert contents(archive, "automobile repair", embed_fn=fake_embed, embedding_model="fake/bow-64") == []


def test_fused_results_honour_filters_and_top_k(archive, add):
    hybrid = {"embed_fn": fake_embed, "embedding_model": "fake/bow-64"}
    add("The car is fixed.", tags=["garage"], **hybrid)
    add("The vehicle got a mend.", at=timezone.now() - timedelta(days=30), tags=["garage"], **hybrid)
    for i in range(6):
        add(f"Car note {i}.", **hybrid)

    garage = contents(archive, "automobile", tags=["garage"], **hybrid)
    assert garage == ["The car is fixed.", "The vehicle got a mend."]
    recent = contents(
        archive, "automobile", tags=["garage"], start_datetime=timezone.now() - timedelta(days=1), **hybrid
    )
    assert recent == ["The car is fixed."]
    assert len(contents(archive, "car", top_k=3, **hybrid)) == 3


def test_reciprocal_rank_fusion():
    fused = search_index.reciprocal_rank_fusion(["a", "b", "c"], ["c", "d"])
    assert [key for key, _ in fused] == ["c", "a", "b", "d"]
    assert math.isclose(dict(fused)["c"], 1 / 63 + 1 / 61)


def _check_integrity(fts_table: str) -> None:
    """FTS5 raises if its index disagrees with the content table (e.g. a row deleted without its tokens)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {fts_table}({fts_table}, rank) VALUES ('integrity-check', 1)")


def test_searching_no_archive_finds_nothing(add):
    add("The launch moved to March 14")
    assert archival.search_passages(archive_ids=[], query="launch") == []


def test_without_a_query_the_newest_passages_that_pass_the_filters_may_be_asked_for(archive, add):
    add("old plan", tags=["plan"], created_at=timezone.now() - timedelta(days=2))
    add("new plan", tags=["plan"])
    add("lunch menu", tags=["food"])
    assert contents(archive, "") == []
    assert contents(archive, "", newest_without_query=True, tags=["plan"]) == ["new plan", "old plan"]
    passage = Passage.objects.get(text="old plan")
    assert passage.created_at < timezone.now() - timedelta(days=1)  # created_at back-dates the passage
