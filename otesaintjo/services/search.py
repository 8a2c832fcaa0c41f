"""French full-text search that ignores accents and case, on SQLite (FTS5) and PostgreSQL.

Both return a relevance ``score`` where higher is better, joined to the searched table.
The user's text is reduced to words (letters and digits), each matched as a prefix, all
required: "cafe cre" finds "Café crème" on both databases.
"""

from __future__ import annotations

import re

from sqlalchemy import Float, Integer, Select, func, literal_column, text
from sqlalchemy.sql.elements import ColumnElement

MAX_WORDS = 8
MAX_WORD_LENGTH = 40
_WORD = re.compile(r"\w+", re.UNICODE)


def words(search: str) -> list[str]:
    return [w[:MAX_WORD_LENGTH] for w in _WORD.findall(search.replace("_", " "))][:MAX_WORDS]


def apply_search(
    query: Select, table: str, dialect: str, search: str
) -> tuple[Select, ColumnElement[float]]:
    """Restrict ``query`` (over ``table``) to matches; returns it with its score column."""
    terms = words(search)
    if not terms:
        return query.where(literal_column("1") == 0), literal_column("0.0")
    id_column = literal_column(f"{table}.id")
    if dialect == "postgresql":
        tsquery = func.to_tsquery(
            literal_column("'fr_unaccent'::regconfig"), " & ".join(f"{t}:*" for t in terms)
        )
        vector = literal_column(f"{table}.search_vector")
        score = func.ts_rank(vector, tsquery)
        return query.where(vector.op("@@")(tsquery)), score
    match = " ".join(f'"{t}"*' for t in terms)
    # ``table`` is one of our own names, never user input; the words are a bound parameter.
    sql = f"SELECT rowid AS id, -bm25({table}_fts) AS score FROM {table}_fts WHERE {table}_fts MATCH :match"  # noqa: S608, E501
    fts = (
        text(sql)
        .bindparams(match=match)
        .columns(id=Integer, score=Float)
        .subquery(f"{table}_match")
    )
    return query.join(fts, fts.c.id == id_column), fts.c.score
