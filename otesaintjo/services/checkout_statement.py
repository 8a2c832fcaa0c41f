"""A purchase's contended writes on PostgreSQL in one statement: stock, order numbers, orders
and their lines (and its expiry job, which rides along for free).

Checkout takes two kinds of shared locks: the rows of the products it sells and the order
counter of each shop. Every other checkout at the same shops waits for them until this one
commits, so what matters is how long they are held. Written one statement after another
(reserve, number, insert the orders, then their lines), they were held over four round trips
and the event-loop turns between them: under a burst of customers at one shop, checkouts
queued on the locks (issue 13: ~7 sessions waiting on the stock rows at any moment, and a
second API process added no throughput). Here the locks are taken by one statement that also
writes everything that needs them, and the transaction commits right after: held for one
statement and the COMMIT.

The locks are taken in the same order as before, products (in id order) then counters (in
shop id order): ``counted`` waits for ``reserved`` to finish (it counts its rows), and takes no
counter when a product is short — the caller then raises ``OutOfStock`` and rolls everything
back. The orders, lines and job travel as JSON records whose columns are read from the models,
so a column added to ``Order``, ``OrderLine`` or ``Job`` is written here too. SQLite, one
writer at a time, keeps the plain sequence of statements (``checkout.place``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.models import Job, Order, OrderLine
from otesaintjo.services import stock

# Filled by the statement (the order's id and number, the line's id and order), not sent.
_ORDER_SET_HERE = frozenset({"id", "number"})
_LINE_SET_HERE = frozenset({"id", "order_id"})
_JOB_SET_HERE = frozenset({"id"})


@dataclass(frozen=True)
class Written:
    """What the statement returned: the reservation's rows (as ``stock.settle`` takes them),
    each order's id and number by shop id, each line's id by (order id, product id)."""

    reserved: list[tuple[int, int, int | None, bool]]
    orders: dict[int, tuple[int, str]]
    lines: dict[tuple[int, int | None], int]


async def write(
    session: AsyncSession,
    quantities: Mapping[int, int],
    orders: Sequence[Order],
    lines: Mapping[int, Sequence[OrderLine]],
    order_codes: Mapping[int, str],
    job: Job,
) -> Written:
    """Reserve ``quantities``, then number and insert ``orders`` (one per shop) and ``lines``
    (by shop id), and insert ``job`` (due later: it wakes no worker, their poll finds it, as
    ``outbox.enqueue`` does for such a job); nothing is set on the objects given."""
    records = [
        {"order_code": order_codes[order.shop_id], **_record(order, _ORDER_SET_HERE)}
        for order in orders
    ]
    line_records = [
        {"shop_id": shop_id, **_record(line, _LINE_SET_HERE)}
        for shop_id, shop_lines in lines.items()
        for line in shop_lines
    ]
    parameters = {
        **stock.reserve_parameters(quantities),
        "shop_ids": sorted(order.shop_id for order in orders),
        "orders": records,
        "order_lines": line_records,
        "jobs": [_record(job, _JOB_SET_HERE)],
    }
    reserved, placed, lined = (await session.execute(_statement(), parameters)).one()
    # Each json_agg comes back decoded (SQLAlchemy's asyncpg dialect sets the json codec).
    return Written(
        reserved=[tuple(row) for row in reserved],
        orders={shop_id: (order_id, number) for order_id, shop_id, number in placed},
        lines={(order_id, product_id): line_id for line_id, order_id, product_id in lined},
    )


def _record(row: Order | OrderLine | Job, set_here: frozenset[str]) -> dict[str, Any]:
    """The row's column values as JSON values (dates and times in ISO 8601, with their zone)."""
    return {
        column.key: _json_value(getattr(row, column.key))
        for column in type(row).__table__.columns  # type: ignore[attr-defined]
        if column.key not in set_here
    }


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


@dataclass(frozen=True)
class _RecordSet:
    """The pieces of SQL that insert one table's JSON records (``_record_set``)."""

    names: str
    values: str
    definition: str


def _record_set(table: Any, set_here: frozenset[str], alias: str, *extra: str) -> _RecordSet:
    """How the rows of ``table`` sent as JSON records are inserted: the columns written (all
    but ``set_here``), the same read from the ``json_to_recordset`` aliased ``alias``, and its
    record type (each column with its PostgreSQL type, after the ``extra`` ones)."""
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    columns = [column for column in table.columns if column.key not in set_here]
    typed = [f"{quote(c.name)} {c.type.compile(dialect=dialect)}" for c in columns]
    return _RecordSet(
        names=", ".join(quote(c.name) for c in columns),
        values=", ".join(f"{alias}.{quote(c.name)}" for c in columns),
        definition=", ".join([*extra, *typed]),
    )


@cache
def _statement() -> TextClause:
    orders = _record_set(Order.__table__, _ORDER_SET_HERE, "o", "order_code text")  # type: ignore[attr-defined]
    lines = _record_set(OrderLine.__table__, _LINE_SET_HERE, "l", "shop_id integer")  # type: ignore[attr-defined]
    jobs = _record_set(Job.__table__, _JOB_SET_HERE, "j")  # type: ignore[attr-defined]
    # order_numbers.format_number in SQL: the count padded to four digits, never cut.
    number = "lpad(c.last_number::text, greatest(4, length(c.last_number::text)), '0')"
    # Built from the models' column names only, once: no value is ever spliced in.
    sql = f"""
    WITH {stock.RESERVED_CTES},
    counted AS (
        INSERT INTO shop_order_counter AS counter (shop_id, last_number)
        SELECT shop_id, 1 FROM unnest(:shop_ids) AS shop_id
        WHERE (SELECT count(*) FROM reserved) = :lines
        ORDER BY shop_id
        ON CONFLICT (shop_id) DO UPDATE SET last_number = counter.last_number + 1
        RETURNING shop_id, last_number
    ),
    placed AS (
        INSERT INTO shop_order (number, {orders.names})
        SELECT o.order_code || '-' || {number}, {orders.values}
        FROM json_to_recordset(:orders) AS o({orders.definition})
        JOIN counted AS c ON c.shop_id = o.shop_id
        RETURNING id, shop_id, number
    ),
    lined AS (
        INSERT INTO order_line (order_id, {lines.names})
        SELECT placed.id, {lines.values}
        FROM json_to_recordset(:order_lines) AS l({lines.definition})
        JOIN placed ON placed.shop_id = l.shop_id
        RETURNING id, order_id, product_id
    ),
    queued AS (
        INSERT INTO job ({jobs.names})
        SELECT {jobs.values} FROM json_to_recordset(:jobs) AS j({jobs.definition})
    )
    SELECT
        (SELECT coalesce(json_agg(json_build_array(
            id, stock, low_stock_threshold, offline_at_zero)), '[]') FROM reserved),
        (SELECT coalesce(json_agg(json_build_array(id, shop_id, number)), '[]') FROM placed),
        (SELECT coalesce(json_agg(json_build_array(id, order_id, product_id)), '[]') FROM lined)
    """  # noqa: S608
    return text(sql).bindparams(
        *stock.RESERVE_BINDS,
        bindparam("shop_ids", type_=postgresql.ARRAY(postgresql.INTEGER)),
        bindparam("orders", type_=JSON),
        bindparam("order_lines", type_=JSON),
        bindparam("jobs", type_=JSON),
    )
