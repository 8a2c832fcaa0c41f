"""Human order numbers: the shop's code and a per-shop count, e.g. ``FOU-0007``.

The number is the one a merchant reads in the SMS, quotes on the phone and finds on the
invoice; global ids stay opaque. Each shop gets a short unique code from its name at
creation (``FOU`` for « Le Fournil des Remparts »), and its orders are counted from a
per-shop counter row locked until commit: unique and gap-free per shop, with no global row
in the checkout path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import upsert_insert
from otesaintjo.models import Shop, ShopOrderCounter

CODE_LETTERS = 3
# Words that say nothing about which shop it is: articles, and the trades themselves
# (« Épicerie Hoarau » is HOA, « Boulangerie du Centre » CEN).
_STOP_WORDS = frozenset(
    """le la les l de des du d et a au aux en chez sur un une the of and saint st
    boulangerie patisserie epicerie boucherie charcuterie poissonnerie fleuriste fleurs
    librairie quincaillerie pharmacie boutique magasin maison atelier cave bar cafe
    restaurant marche superette primeur traiteur""".split()  # noqa: SIM905
)
NUMBER_PATTERN = re.compile(r"^[A-Z]{2,4}[0-9]{0,4}-[0-9]{4,9}$")


def _words(name: str) -> list[str]:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z0-9]+", ascii_name.upper()) if w]
    meaningful = [w for w in words if w.lower() not in _STOP_WORDS and w.isalpha()]
    return meaningful or [w for w in words if w.isalpha()] or ["SHOP"]


def code_candidates(name: str) -> Iterator[str]:
    """Codes to try, best first: the first letters of the first meaningful word, then of
    the initials, then the first with a digit (``FOU``, ``FR``… ``FOU2``, ``FOU3``…)."""
    words = _words(name)
    first = (words[0] + "XXX")[:CODE_LETTERS]
    yield first
    if len(words) > 1:
        initials = "".join(w[0] for w in words[:CODE_LETTERS])
        yield (initials + words[-1][1:])[:CODE_LETTERS]
    suffix = 2
    while True:
        yield f"{first}{suffix}"
        suffix += 1


async def choose_shop_code(session: AsyncSession, name: str) -> str:
    """A code for a new shop that no other shop has (the unique index is the last word)."""
    candidates = code_candidates(name)
    first = next(candidates)
    taken = set(
        await session.scalars(select(Shop.order_code).where(Shop.order_code.like(f"{first}%")))  # type: ignore[union-attr]
    )
    if first not in taken:
        return first
    for code in candidates:
        if code not in taken and (
            code.startswith(first)
            or await session.scalar(select(Shop.id).where(Shop.order_code == code)) is None
        ):
            return code
    raise AssertionError("unreachable: the candidates never end")  # pragma: no cover


def format_number(code: str, count: int) -> str:
    """``FOU-0007``; written in SQL too, by checkout's one statement (``checkout_statement``)."""
    return f"{code}-{count:04d}"


async def next_order_numbers(session: AsyncSession, shops: Sequence[Shop]) -> dict[int, str]:
    """The next number of each shop, in one statement: the counters are taken (and locked
    until commit) in shop id order, the order every checkout takes them in (no crossed
    waits between two multi-shop checkouts)."""
    table = ShopOrderCounter.__table__
    ids = sorted({shop.id for shop in shops})  # type: ignore[type-var]
    statement = (
        upsert_insert(session)(table)
        .values([{"shop_id": shop_id, "last_number": 1} for shop_id in ids])
        .on_conflict_do_update(
            index_elements=[table.c.shop_id], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.shop_id, table.c.last_number)
    )
    counts = {shop_id: count for shop_id, count in await session.execute(statement)}
    return {shop.id: format_number(shop.order_code, counts[shop.id]) for shop in shops}  # type: ignore[misc]


def looks_like_order_number(text: str) -> bool:
    return bool(NUMBER_PATTERN.match(text))
