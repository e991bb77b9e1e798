"""Vector similarity over a model's `embedding` column: pgvector on PostgreSQL, Python cosine elsewhere.

`embedding` (a JSON list of floats) stays the one stored copy on every database: SQLite has no vector type and the
API returns it as given. On PostgreSQL a generated column, `embedding_vector`, mirrors it as a pgvector `vector`,
so the database computes cosine distance (`<=>`) and returns only the nearest rows; being generated, no write path
can forget to fill it, as the full-text triggers do for text.

The column has no fixed dimension because embedding models differ (768, 1024, 1536, 3072, ...) and an agent may
switch models: a `vector(n)` column would reject every other model, and zero-padding to a maximum would let vectors
of different models be compared as if they meant something. The price is that pgvector cannot build an
approximate (HNSW/IVFFlat) index on it, so each search is an exact scan, but only over the rows left after the
caller's filters (one archive, one embedding model), which is what an agent searches; an approximate index would
apply those filters after its nearest-neighbour cut and could then return fewer results than asked. A deployment
with one huge archive of one model can add a partial expression index on `(embedding_vector::vector(n))`.
"""

import math
from collections.abc import Callable, Iterator

from django.db import connections
from django.db.models import FloatField, IntegerField, Model, QuerySet
from django.db.models.expressions import RawSQL

EMBEDDING_COLUMN = "embedding"
VECTOR_COLUMN = "embedding_vector"
# Beyond the database, rows are compared in Python: read at most this many embedded rows, newest first.
_PYTHON_CANDIDATES = 5000
_FETCH_BATCH = 100


def embed_one(embed_fn: Callable[[list[str]], list[list[float]]], text: str) -> list[float]:
    vectors = embed_fn([text])
    if len(vectors) != 1 or not vectors[0]:
        raise ValueError(f"embed_fn must return one non-empty vector per text, got {len(vectors)} vectors.")
    return [float(x) for x in vectors[0]]


def cosine_similarity(a: list[float], b: list[float]) -> float:
    if len(a) != len(b):
        return 0.0  # another model's vectors: not comparable
    norms = math.sqrt(math.sumprod(a, a) * math.sumprod(b, b))
    return math.sumprod(a, b) / norms if norms else 0.0


def nearest(
    rows: QuerySet, vector: list[float], *, newest_first: tuple[str, ...] = ("-pk",)
) -> Iterator[tuple[Model, float]]:
    """Embedded rows of `rows` by cosine similarity to `vector`, best first, each with its similarity; rows of
    another dimension and unrelated ones (similarity <= 0) are left out. Equal similarity lists the newest first.

    `rows` carries every filter, including the embedding model, since vectors of two models are not comparable.
    """
    if connections[rows.db].vendor == "postgresql":
        return _postgres_nearest(rows, vector, newest_first)
    return _python_nearest(rows, vector, newest_first)


def _postgres_nearest(rows: QuerySet, vector: list[float], newest_first) -> Iterator[tuple[Model, float]]:
    column = f"{connections[rows.db].ops.quote_name(rows.model._meta.db_table)}.{VECTOR_COLUMN}"
    literal = "[" + ",".join(map(repr, vector)) + "]"
    # The database compares the vectors, so the JSON copy, the largest part of a row, is not read at all.
    matches = rows.defer(EMBEDDING_COLUMN)
    # `<=>` raises on vectors of different dimensions, so the dimension filter must hold for every row it sees:
    # the distance is computed in the select list, which only rows that passed WHERE reach.
    matches = matches.alias(_dims=RawSQL(f"vector_dims({column})", (), output_field=IntegerField()))
    matches = matches.filter(_dims=len(vector)).annotate(
        _distance=RawSQL(f"{column} <=> %s::vector", (literal,), output_field=FloatField())
    )
    for row in matches.order_by("_distance", *newest_first).iterator(chunk_size=_FETCH_BATCH):
        similarity = 1.0 - row._distance
        if similarity <= 0:
            return  # best first, so every later row is unrelated too
        yield row, similarity


def _python_nearest(rows: QuerySet, vector: list[float], newest_first) -> Iterator[tuple[Model, float]]:
    embedded = rows.filter(**{f"{EMBEDDING_COLUMN}__isnull": False}).order_by(*newest_first)
    scored = []
    for row in embedded[:_PYTHON_CANDIDATES].iterator(chunk_size=_FETCH_BATCH):
        stored = getattr(row, EMBEDDING_COLUMN)
        if not isinstance(stored, list):
            continue  # written by hand or by another tool: nothing to compare
        similarity = cosine_similarity(vector, stored)
        if similarity > 0:
            scored.append((row, similarity))
    scored.sort(key=lambda item: -item[1])  # stable: equal similarity stays newest first
    return iter(scored)


# ---------------------------------------------------------------------------------------- column install


def install_vector_column(schema_editor, *, table: str) -> None:
    """Add the generated pgvector column on PostgreSQL (needs the `vector` extension); nothing elsewhere.

    Only a JSON array becomes a vector; anything else (JSON null, an object) leaves it NULL. A later migration that
    changes the type of `embedding` must drop this column first, as PostgreSQL refuses to alter a column that a
    generated column reads.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    source = f'"{EMBEDDING_COLUMN}"'
    schema_editor.execute(
        f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS {VECTOR_COLUMN} vector GENERATED ALWAYS AS '
        f"(CASE WHEN jsonb_typeof({source}) = 'array' AND jsonb_array_length({source}) > 0 "
        f"THEN ({source}::text)::vector END) STORED",
        params=None,
    )


def remove_vector_column(schema_editor, *, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS {VECTOR_COLUMN}', params=None)
