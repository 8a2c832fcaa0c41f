"""Fields answered at once when their data is already loaded.

graphql-core awaits what a resolver returns only when it is awaitable. An ``async def`` field
always is: a coroutine, a DataLoader future, and, in a list, a task per item (``asyncio.gather``)
— tens of microseconds each, times the ~200 fields of a page. So a listing loads what its items
will show first, in one batch per loader (``prime_products``), and the items' fields read it
with ``then``: a value at once, no coroutine, no task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode
from graphql.language import SelectionSetNode
from strawberry.types import Info

T = TypeVar("T")
R = TypeVar("R")


def then(pending: Awaitable[T], apply: Callable[[T], R]) -> R | Awaitable[R]:
    """``apply`` to a loader's value: now when it is loaded already, else once it is."""
    if (
        isinstance(pending, asyncio.Future)
        and pending.done()
        and not pending.cancelled()
        and pending.exception() is None
    ):
        return apply(pending.result())

    async def later() -> R:
        return apply(await pending)

    return later()


def selected_below(info: Info, *path: str) -> set[str]:
    """The names of the fields selected under ``path`` from the current field (say
    ``edges``, ``node`` under a connection), through fragments, whatever their type condition
    or directives: a superset, to decide what to load ahead."""
    raw: GraphQLResolveInfo = info._raw_info
    level: list[SelectionSetNode] = [n.selection_set for n in raw.field_nodes if n.selection_set]
    for name in path:
        below = [f for f in _fields(level, raw) if f.name.value == name]
        level = [f.selection_set for f in below if f.selection_set]
    return {f.name.value for f in _fields(level, raw)}


def _fields(sets: Iterable[SelectionSetNode], raw: GraphQLResolveInfo) -> list[FieldNode]:
    found: list[FieldNode] = []
    pending = list(sets)
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = raw.fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)
    return found
