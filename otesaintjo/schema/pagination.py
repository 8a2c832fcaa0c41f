"""Relay connections paged with keyset cursors: ``WHERE (k1, k2) < (:a, :b) … LIMIT first+1``.

The cursor carries the sort-key values of the last row, so a page never skips or repeats rows
when others are inserted meanwhile, and the database uses the index instead of an OFFSET scan.
``totalCount`` is a separate COUNT run only when the client asks for it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Select
from strawberry import relay
from strawberry.types import Info

from otesaintjo.schema.errors import bad_input
from otesaintjo.sorting import SortKey

MAX_PAGE = 100
DEFAULT_PAGE = 20
NodeT = TypeVar("NodeT")

# The paging arguments of every connection field, described once.
First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Nombre d'éléments de la page, de 0 à {MAX_PAGE} ({DEFAULT_PAGE} si null)."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Le curseur après lequel lire : pageInfo.endCursor de la page précédente ;"
        " rien pour la première page."
    ),
]


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The key values inside a cursor; anything malformed is the client's error."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        return [datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in values]
    except (ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise bad_input("Curseur de pagination invalide.") from exc


def after_condition(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (mixed directions allowed)."""
    clauses = []
    for i, key in enumerate(keys):
        equal_prefix = [keys[j].column == values[j] for j in range(i)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)


def check_first(first: int | None) -> int:
    first = DEFAULT_PAGE if first is None else first
    if first < 0 or first > MAX_PAGE:
        raise bad_input(f"« first » doit être compris entre 0 et {MAX_PAGE}.")
    return first


@strawberry.type(description="Une page d'une liste, avec son nombre total d'éléments.")
class CountedConnection(relay.Connection[NodeT], Generic[NodeT]):
    count_query: strawberry.Private[Select[Any] | None] = None
    session_factory: strawberry.Private[async_sessionmaker[AsyncSession] | None] = None

    @strawberry.field(description="Nombre total d'éléments de la liste, toutes pages comprises.")
    async def total_count(self, info: Info) -> int:
        assert self.count_query is not None and self.session_factory is not None
        async with self.session_factory() as session:
            return int((await session.execute(self.count_query)).scalar_one())


async def paginate(
    session_factory: async_sessionmaker[AsyncSession],
    query: Select[Any],
    keys: Sequence[SortKey],
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], NodeT],
    connection: type[CountedConnection[NodeT]],
) -> CountedConnection[NodeT]:
    """One page of ``query`` in keyset order. ``to_node`` receives each result row (the entity
    first, then any labelled computed columns such as a price or a search score)."""
    limit = check_first(first)
    count_query = select(func.count()).select_from(query.order_by(None).subquery())
    paged = query.order_by(*[k.column.desc() if k.descending else k.column.asc() for k in keys])
    if after:
        paged = paged.where(after_condition(keys, decode_cursor(after, len(keys))))
    async with session_factory() as session:
        rows = list((await session.execute(paged.limit(limit + 1))).all())
    has_next = len(rows) > limit
    rows = rows[:limit]
    edges = [
        relay.Edge(cursor=encode_cursor([k.value(row) for k in keys]), node=to_node(row))
        for row in rows
    ]
    return connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_query=count_query,
        session_factory=session_factory,
    )


async def newest_first(
    info: Info,
    model: Any,
    conditions: Sequence[Any],
    to_type: Callable[[Any], NodeT],
    connection: type[CountedConnection[NodeT]],
    *,
    first: int | None,
    after: str | None,
) -> CountedConnection[NodeT]:
    """A page of ``model`` rows matching ``conditions``, newest first (keyset on the id)."""
    return await paginate(
        info.context.session_factory,
        select(model).where(*conditions),
        [SortKey(model.id, True)],
        first=first,
        after=after,
        to_node=lambda row: to_type(row[0]),
        connection=connection,
    )
