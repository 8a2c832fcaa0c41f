"""French full-text search that ignores accents and case, on SQLite (FTS5) and PostgreSQL,
with a bounded cost whatever the words.

Both return a relevance ``score`` where higher is better, joined to the searched table.
The user's text is reduced to words (letters and digits) of at least ``MIN_WORD_LENGTH``
characters, each matched as a prefix, all required: "cafe cre" finds "Café crème" on both
databases.

Cost: on the island's 1,000,000 products, ranking every match of "pa" (267,000 rows) took
280 ms and counting them 210 ms. Now a search considers at most ``CANDIDATES`` matching rows
(the first the index yields), ranks only those, and counts only up to them: a listing
with a search holds at most 1,000 results, and its ``totalCount`` says "at least 1,000"
beyond (``totalCountIsExact`` false). That is PostgreSQL, the island's database; SQLite (the
embedded, town-sized default) scores and counts every FTS5 match, cheap at that size.
"""

from __future__ import annotations

import re

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

MAX_WORDS = 8
MAX_WORD_LENGTH = 40
MIN_WORD_LENGTH = 2  # a one-letter prefix matches most of a catalogue and means nothing
CANDIDATES = 1_000
_WORD = re.compile(r"\w+", re.UNICODE)


def words(search: str) -> list[str]:
    found = _WORD.findall(search.replace("_", " "))
    return [w[:MAX_WORD_LENGTH] for w in found if len(w) >= MIN_WORD_LENGTH][:MAX_WORDS]


SEARCH_PARAMETER = "search_terms"


def search_terms(dialect: str, search: str) -> str | None:
    """The value of ``SEARCH_PARAMETER`` for ``search``: a tsquery on PostgreSQL, an FTS5
    match on SQLite; None when no word is long enough (nothing matches)."""
    terms = words(search)
    if not terms:
        return None
    if dialect == "postgresql":
        return " & ".join(f"{t}:*" for t in terms)
    return " ".join(f'"{t}"*' for t in terms)


def apply_search(
    query: Select, table: str, dialect: str, searched: bool
) -> tuple[Select, ColumnElement[float]]:
    """Restrict ``query`` (over ``table``, its filters applied) to at most ``CANDIDATES``
    matches of the parameter ``SEARCH_PARAMETER`` (``search_terms``); returns it with its
    score column, computed for those rows only. ``searched`` false: the search had no word,
    nothing matches."""
    if not searched:
        # A score that is an expression: PostgreSQL refuses a bare constant in ORDER BY.
        return query.where(literal_column("1") == 0), cast(literal_column("0.0"), Float)
    id_column = literal_column(f"{table}.id")
    terms = bindparam(SEARCH_PARAMETER, type_=String)
    if dialect == "postgresql":
        tsquery = func.to_tsquery(literal_column("'fr_unaccent'::regconfig"), terms)
        vector = literal_column(f"{table}.search_vector")
        matching = query.where(vector.op("@@")(tsquery))
        # No ORDER BY: the index hands out its first matches and stops there.
        candidates = (
            matching.with_only_columns(id_column.label("id")).order_by(None).limit(CANDIDATES)
        )
        bounded = query.where(id_column.in_(select(candidates.subquery().c[0])))
        return bounded, func.ts_rank(vector, tsquery)
    # ``table`` is one of our own names, never user input; the words are a bound parameter.
    sql = f"SELECT rowid AS id, -bm25({table}_fts) AS score FROM {table}_fts WHERE {table}_fts MATCH :{SEARCH_PARAMETER}"  # noqa: S608, E501
    fts = text(sql).bindparams(terms).columns(id=Integer, score=Float).subquery(f"{table}_match")
    # Unbounded on SQLite: FTS5 scores a town's matches in a millisecond, while an IN over
    # bounded candidates made it probe the index once per product (36-112 ms at scale 50).
    return query.join(fts, fts.c.id == id_column), fts.c.score


def bounds_results(dialect: str) -> bool:
    """Whether a search listing stops at ``CANDIDATES`` rows on this database."""
    return dialect == "postgresql"
