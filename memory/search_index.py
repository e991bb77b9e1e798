"""Full-text search over a model's `text` column, on whichever database Django runs, plus the fusion of text and
vector rankings.

The embedded default needs no service: SQLite ships FTS5, whose bm25() is the standard lexical ranking (Lucene's
default: rare terms weigh more, repeats saturate, long texts are normalised), and triggers keep the index current so
no code path can forget to index. PostgreSQL uses its built-in tsvector search over a GIN expression index, with
BM25's term weights added; any other database falls back to `icontains` with a term-frequency score in Python.
Vector similarity (`memory.vector_index`) is an optional second opinion, fused with the text ranking by reciprocal
rank, so a passage can be found by meaning too. Archival (`memory.archival`) and recall (`agents.recall`) both search
through `ranked()`; migrations create the indexes through `install_text_index()`.
"""

import math
import operator
import re
from collections.abc import Iterable, Iterator
from functools import reduce
from itertools import batched

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import IntegerField, Model, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

TEXT_COLUMN = "text"
# Porter on top of unicode61: "running" finds "run"; remove_diacritics 2 lets "cafe" find "café". Changing the
# tokenizer or the configuration needs a migration that removes and re-installs the index.
SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"
POSTGRES_CONFIG = "english"
# A query is a handful of words; capping terms keeps a pasted paragraph from building a huge OR expression.
MAX_TERMS = 32
RRF_K = 60
# The fallback backend scores in Python, so it reads at most this many matching rows, newest first.
_FALLBACK_CANDIDATES = 2000
_FETCH_BATCH = 100
_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(query: str | None) -> list[str]:
    """The distinct lower-cased words of `query`, in order; punctuation and operators are dropped."""
    return list(dict.fromkeys(w.lower() for w in _WORD.findall(query or "")))[:MAX_TERMS]


def rounded(relevance: float) -> float:
    """A relevance for display, to 4 significant digits: bm25 gives a term found in most of a small archive a
    near-zero weight (about 1e-6), and rounding to decimal places would show such scores all as 0."""
    return float(f"{relevance:.4g}")


def fts5_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression that ORs the terms, each quoted as a string so none is read as an operator."""
    return " OR ".join('"{}"'.format(term.replace('"', '""')) for term in terms)


def ranked(
    rows: QuerySet, terms: list[str], *, newest_first: tuple[str, ...] = ("-pk",)
) -> Iterator[tuple[Model, float]]:
    """The rows of `rows` that contain any of `terms`, best first, each with its relevance (higher is better).

    `rows` carries every filter (owner, roles, dates); only the ranking differs by database. Equal relevance
    lists the most recently stored row first (`newest_first` orders ties where the ORM does the ranking).
    """
    vendor = connections[rows.db].vendor
    if vendor == "sqlite":
        return _sqlite_ranked(rows, terms)
    if vendor == "postgresql":
        return _postgres_ranked(rows, terms, newest_first)
    return _fallback_ranked(rows, terms, newest_first)


def _sqlite_ranked(rows: QuerySet, terms: list[str]) -> Iterator[tuple[Model, float]]:
    connection = connections[rows.db]
    qn = connection.ops.quote_name
    table = rows.model._meta.db_table
    fts = qn(f"{table}_fts")
    rowid = RawSQL(f"{qn(table)}.rowid", (), output_field=IntegerField())
    try:
        scope_sql, scope_params = rows.order_by().values(_rowid=rowid).query.sql_with_params()
    except EmptyResultSet:  # `rows` can match nothing (.none(), `__in=[]`); the ORM then has no SQL to give
        return
    # The FTS table is the only table of the outer query, so SQLite runs the MATCH once and bm25() computes each
    # term's document frequency once. Joining it to the filtered rows instead lets the planner probe FTS once per
    # row, recomputing those statistics every time (seconds instead of milliseconds on 20k rows). The unary `+`
    # keeps `rowid IN (...)` from being pushed into the virtual table, which would have the same effect.
    sql = (
        f"SELECT rowid, -bm25({fts}) FROM {fts} WHERE {fts} MATCH %s AND +rowid IN ({scope_sql}) "
        f"ORDER BY bm25({fts}), rowid DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (fts5_match(terms), *scope_params))
        ranking = cursor.fetchall()
    # Ranking is cheap (ids and floats); rows are loaded a batch at a time, as far as the caller reads.
    for batch in batched(ranking, _FETCH_BATCH):
        found = {row._rowid: row for row in rows.annotate(_rowid=rowid).filter(_rowid__in=[r for r, _ in batch])}
        yield from ((found[r], score) for r, score in batch if r in found)


def _postgres_ranked(rows: QuerySet, terms: list[str], newest_first) -> Iterator[tuple[Model, float]]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    # Must compile to the expression the GIN index is built on (see `_postgres_index_sql`), or the index is unused.
    document = SearchVector(TEXT_COLUMN, config=POSTGRES_CONFIG)
    scope = rows.alias(_document=document)
    # plainto_tsquery per term: user text never reaches the tsquery parser, so it cannot be a syntax error.
    queries = [SearchQuery(term, config=POSTGRES_CONFIG) for term in terms]
    # PostgreSQL has no BM25, nor any inverse document frequency: each term's rank is weighted by BM25's idf,
    # from counts the GIN index answers, so a rare term outweighs one found in most rows. Cover density grows
    # with each occurrence and normalisation 1 divides by log(length), which orders like BM25 on term frequency
    # and length; plain ts_rank saturates repeats so hard that a short text mentioning a term once beats one
    # about it.
    total = rows.count()
    weighted = [(_idf(total, found), query) for query in queries if (found := scope.filter(_document=query).count())]
    if not weighted:
        return iter(())
    relevance = reduce(
        operator.add,
        (Value(idf) * SearchRank(document, query, cover_density=True, normalization=1) for idf, query in weighted),
    )
    matches = scope.filter(_document=reduce(operator.or_, (query for _, query in weighted)))
    matches = matches.annotate(_relevance=relevance).order_by("-_relevance", *newest_first)
    return ((row, row._relevance) for row in matches.iterator(chunk_size=_FETCH_BATCH))


def _idf(total: int, found: int) -> float:
    """BM25's (Lucene's) inverse document frequency: always positive, highest for a term found in one row."""
    return math.log(1 + (total - found + 0.5) / (found + 0.5))


def _fallback_ranked(rows: QuerySet, terms: list[str], newest_first) -> Iterator[tuple[Model, float]]:
    any_term = reduce(operator.or_, (Q(**{f"{TEXT_COLUMN}__icontains": term}) for term in terms))
    scored = [
        (_term_frequency(getattr(row, TEXT_COLUMN), terms), row)
        for row in rows.filter(any_term).order_by(*newest_first)[:_FALLBACK_CANDIDATES]
    ]
    scored.sort(key=lambda item: -item[0])  # stable: equal scores stay newest first
    return ((row, score) for score, row in scored)


def _term_frequency(text: str, terms: list[str]) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    # Dividing by sqrt(length) keeps a long text that mentions a term once from outranking a short, focused one.
    return sum(words.count(t) for t in terms) / (len(words) ** 0.5 or 1)


# ------------------------------------------------------------------------------------------------ fusion


def reciprocal_rank_fusion(*rankings: Iterable, k: int = RRF_K) -> list[tuple[object, float]]:
    """Keys of several best-first rankings, fused best first: each scores the sum of 1 / (k + rank).

    Ranks, not scores, are combined, so bm25 values and cosine similarities need no common scale.
    """
    fused: dict = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])  # stable: ties keep the first ranking's order


# ---------------------------------------------------------------------------------------- index install


def install_text_index(schema_editor, *, table: str, rowid: str = "rowid") -> None:
    """Create the full-text index on `table.text` for the current database and index the existing rows.

    Idempotent. On SQLite, Django rebuilds a table to alter it (copy, drop, rename), which drops these triggers
    and renumbers an implicit rowid (Passage has one; Message's rowid is its integer primary key): a later
    migration that alters `table` must call this again, which re-creates the triggers and rebuilds the index.
    `tests/memory/test_archival_search.py` checks the triggers exist after all migrations.
    """
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _sqlite_index_sql(table, rowid)
    elif vendor == "postgresql":
        statements = [_postgres_index_sql(table)]
    else:
        statements = []
    for statement in statements:
        schema_editor.execute(statement, params=None)


def remove_text_index(schema_editor, *, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_fts_{suffix}"', params=None)
        schema_editor.execute(f'DROP TABLE IF EXISTS "{table}_fts"', params=None)
    elif vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_text_search"', params=None)


def _sqlite_index_sql(table: str, rowid: str) -> list[str]:
    fts, col = f'"{table}_fts"', TEXT_COLUMN
    # External content: the index stores only tokens and reads the text from `table`, so nothing is stored twice.
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({col}, content='{table}', content_rowid='{rowid}', "
        f"tokenize='{SQLITE_TOKENIZER}')",
        f'CREATE TRIGGER IF NOT EXISTS "{table}_fts_ai" AFTER INSERT ON "{table}" BEGIN '
        f"INSERT INTO {fts}(rowid, {col}) VALUES (new.{rowid}, new.{col}); END",
        # An external-content index deletes by the old row's tokens, so the trigger passes the old text.
        f'CREATE TRIGGER IF NOT EXISTS "{table}_fts_ad" AFTER DELETE ON "{table}" BEGIN '
        f"INSERT INTO {fts}({fts}, rowid, {col}) VALUES ('delete', old.{rowid}, old.{col}); END",
        f'CREATE TRIGGER IF NOT EXISTS "{table}_fts_au" AFTER UPDATE OF {col} ON "{table}" BEGIN '
        f"INSERT INTO {fts}({fts}, rowid, {col}) VALUES ('delete', old.{rowid}, old.{col}); "
        f"INSERT INTO {fts}(rowid, {col}) VALUES (new.{rowid}, new.{col}); END",
        # Indexes the rows that existed before the triggers (and repairs a stale index on a re-run).
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _postgres_index_sql(table: str) -> str:
    # The same expression SearchVector(TEXT_COLUMN, config=POSTGRES_CONFIG) compiles to, COALESCE included.
    return (
        f'CREATE INDEX IF NOT EXISTS "{table}_text_search" ON "{table}" USING gin '
        f"(to_tsvector('{POSTGRES_CONFIG}'::regconfig, COALESCE({TEXT_COLUMN}, '')))"
    )
