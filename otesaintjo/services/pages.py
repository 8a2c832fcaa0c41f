"""Keyset pages: ``WHERE (k1, k2) < (:a, :b) … LIMIT n+1``, the SQL half of every list.

The cursor carries the sort-key values of the page's last row, so a page never skips or repeats
rows when others are inserted meanwhile, and the database walks an index instead of an OFFSET.
The total is a separate COUNT, run only if the client asks for it (``Page.count``). The GraphQL
half (Relay connections, ``first`` limits) is ``schema/pagination.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, bindparam, func, or_, select
from sqlalchemy.sql import Select

from otesaintjo.db import SessionSource as Factory
from otesaintjo.direct_reads import read
from otesaintjo.sorting import SortKey


class InvalidCursor(ValueError):
    """A cursor this API did not make (the client's error)."""


@dataclass(frozen=True)
class Page:
    """Result rows (the entity first, then labelled computed columns), a cursor for each."""

    rows: list[Any]
    cursor_of: Callable[[Any], str]
    """A row's cursor, encoded when asked (a page shows its end cursor, seldom each row's)."""
    has_next: bool
    after: str | None
    count: Callable[[], Awaitable[int]]
    """The number of rows of the whole listing, counted once, when first asked."""
    count_bound: int | None = None
    """A search listing holds at most this many rows (``search.CANDIDATES``): a count that
    reaches it means "at least"."""


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        return [datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in values]
    except (ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise InvalidCursor(cursor) from exc


def after_condition(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (mixed directions allowed)."""
    clauses = []
    for i, key in enumerate(keys):
        equal_prefix = [keys[j].column == values[j] for j in range(i)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)


AFTER = "after_{}"  # the parameters of the cursor's values, in the order of the keys
LIMIT = "page_limit"


@dataclass(frozen=True)
class PageStatements:
    """A listing's page query (rows after the cursor's parameters, if any) and its count."""

    paged: Select[Any]
    count: Select[Any]


def page_statements(query: Select[Any], keys: Sequence[SortKey], after: bool) -> PageStatements:
    """Built with parameters (``AFTER``, ``LIMIT``, and the listing's own): the same
    statements serve every page of every listing of the same shape."""
    paged = query.order_by(*[k.column.desc() if k.descending else k.column.asc() for k in keys])
    if after:
        values = [bindparam(AFTER.format(i)) for i in range(len(keys))]
        paged = paged.where(after_condition(keys, values))
    count = select(func.count()).select_from(query.order_by(None).subquery())
    return PageStatements(paged.limit(bindparam(LIMIT, type_=Integer)), count)


_BUILT: dict[tuple[Hashable, bool], tuple[PageStatements, list[SortKey]]] = {}
BUILT_KEPT = 256


def built_once(
    shape: Hashable, build: Callable[[], tuple[Select[Any], list[SortKey]]], after: bool
) -> tuple[PageStatements, list[SortKey]]:
    """The statements of the listings of ``shape`` (a hashable description of everything
    ``build`` depends on), built on first use in the process (building a listing's query, its
    order, cursor condition and count cost ~1 ms, a tenth of an executed page)."""
    found = _BUILT.get((shape, after))
    if found is None:
        query, keys = build()
        found = (page_statements(query, keys, after), keys)
        if len(_BUILT) >= BUILT_KEPT:
            _BUILT.clear()  # shapes are few (filters × sorts); this only bounds a misuse
        _BUILT[shape, after] = found
    return found


async def _through_session(
    factory: Factory, statement: Select[Any], values: dict[str, Any]
) -> list[Any]:
    async with factory() as session:
        return list((await session.execute(statement, values)).all())


async def keyset_page(
    factory: Factory,
    query: Select[Any] | PageStatements,
    keys: Sequence[SortKey],
    *,
    limit: int,
    after: str | None,
    count_bound: int | None = None,
    parameters: dict[str, Any] | None = None,
    on_rows: Callable[[list[Any]], None] | None = None,
) -> Page:
    """One page of ``query`` in keyset order (``query`` may be statements from
    ``built_once``, run with ``parameters``). ``on_rows`` sees every row read, the one past
    the page included."""
    # Statements built once go straight to the driver (``direct_reads`` compiles each once);
    # one built for this call goes through SQLAlchemy, whose cache knows its shape.
    kept = isinstance(query, PageStatements)
    statements = query if kept else page_statements(query, keys, bool(after))
    run = read if kept else _through_session
    values = dict(parameters or {})
    count_values = dict(values)
    if after:
        for i, value in enumerate(decode_cursor(after, len(keys))):
            values[AFTER.format(i)] = value
    values[LIMIT] = limit + 1
    rows = await run(factory, statements.paged, values)
    if on_rows is not None:
        on_rows(rows)

    async def run_count() -> int:
        return int((await run(factory, statements.count, count_values))[0][0])

    counting: asyncio.Task[int] | None = None

    async def count() -> int:
        nonlocal counting
        if counting is None:
            counting = asyncio.ensure_future(run_count())
        return await counting

    return Page(
        rows=rows[:limit],
        cursor_of=lambda row: encode_cursor([k.value(row) for k in keys]),
        has_next=len(rows) > limit,
        after=after,
        count=count,
        count_bound=count_bound,
    )


async def newest_first(
    factory: Factory, model: Any, conditions: Sequence[Any], *, limit: int, after: str | None
) -> Page:
    """``model`` rows matching ``conditions``, newest first (keyset on the id)."""
    return await keyset_page(
        factory,
        select(model).where(*conditions),
        [SortKey(model.id, True)],
        limit=limit,
        after=after,
    )
