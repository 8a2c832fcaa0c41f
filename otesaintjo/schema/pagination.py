"""Relay connections over the services' keyset pages (``services/pages.py``).

The schema never builds SQL: a list field checks ``first``, asks a service for a ``Page``, and
maps its rows to types here. ``totalCount`` runs the page's COUNT only when asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from otesaintjo.schema.errors import bad_input
from otesaintjo.services.pages import InvalidCursor, Page

MAX_PAGE = 100
DEFAULT_PAGE = 20
NodeT = TypeVar("NodeT")
ConnectionT = TypeVar("ConnectionT", bound="CountedConnection[Any]")

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


def check_first(first: int | None) -> int:
    first = DEFAULT_PAGE if first is None else first
    if first < 0 or first > MAX_PAGE:
        raise bad_input(f"« first » doit être compris entre 0 et {MAX_PAGE}.")
    return first


@strawberry.type(description="Une page d'une liste, avec son nombre total d'éléments.")
class CountedConnection(relay.Connection[NodeT], Generic[NodeT]):
    count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None
    count_bound: strawberry.Private[int | None] = None

    @strawberry.field(
        description="Nombre total d'éléments de la liste, toutes pages comprises. Une"
        " recherche retient au plus 1 000 résultats : au-delà, ce nombre vaut 1 000 et"
        " totalCountIsExact est faux (« plus de 1 000 résultats »)."
    )
    async def total_count(self, info: Info) -> int:
        assert self.count is not None
        return await self.count()

    @strawberry.field(
        description="Vrai si totalCount est le nombre exact ; faux quand une recherche en a"
        " trouvé au moins 1 000 (totalCount vaut alors cette borne)."
    )
    async def total_count_is_exact(self, info: Info) -> bool:
        assert self.count is not None
        return self.count_bound is None or await self.count() < self.count_bound


class _Edge(relay.Edge[Any]):
    """A ``relay.Edge`` whose cursor is encoded when read (JSON, then base64: twenty a page
    before, most of them never shown)."""

    def __init__(self, node: Any, row: Any, cursor_of: Callable[[Any], str]) -> None:
        self.node, self._row, self._cursor_of = node, row, cursor_of

    @property  # type: ignore[override]
    def cursor(self) -> str:
        return self._cursor_of(self._row)


async def connection(
    cls: type[ConnectionT],
    fetch: Callable[[int], Awaitable[Page]],
    first: int | None,
    to_node: Callable[[Any], Any],
) -> ConnectionT:
    """Ask ``fetch(limit)`` for a page and map each result row with ``to_node``."""
    try:
        page = await fetch(check_first(first))
    except InvalidCursor as exc:
        raise bad_input("Curseur de pagination invalide.") from exc
    edges = [_Edge(to_node(row), row, page.cursor_of) for row in page.rows]
    return cls(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next,
            has_previous_page=bool(page.after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=page.count,
        count_bound=page.count_bound,
    )
