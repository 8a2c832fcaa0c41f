"""Writing a stream of rows into a table: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Both take the rows lazily, a chunk at a time, and report progress per chunk. The PostgreSQL
writer sends binary ``COPY`` through asyncpg on the transaction's own connection: PostgreSQL
parses the rows while Python makes the next ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import JSON, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from otesaintjo.models.base import metadata

REPORT_EVERY = 5_000  # rows between two progress reports
SQLITE_CHUNK = 5_000  # rows per executemany

Advance = Callable[[str, int], None]


class Writer(Protocol):
    async def write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int: ...


def _counted(table: str, rows: Iterable[tuple], advance: Advance, every: int) -> Iterator[tuple]:
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if pending == every:
            advance(table, pending)
            pending = 0
    if pending:
        advance(table, pending)


def _json_positions(table: str, columns: tuple[str, ...]) -> list[int]:
    found = metadata.tables[table].c
    return [i for i, name in enumerate(columns) if isinstance(found[name].type, JSON)]


def _with_json_text(rows: Iterable[tuple], positions: list[int]) -> Iterator[tuple]:
    for row in rows:
        values = list(row)
        for i in positions:
            values[i] = json.dumps(values[i])
        yield tuple(values)


class CopyWriter:
    """PostgreSQL: one binary ``COPY … FROM STDIN`` per table (asyncpg)."""

    def __init__(self, driver_connection: Any, advance: Advance) -> None:
        self.connection = driver_connection
        self.advance = advance
        self.written: dict[str, int] = {}

    async def write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        positions = _json_positions(table, columns)
        records = _with_json_text(rows, positions) if positions else rows
        status = await self.connection.copy_records_to_table(
            table,
            columns=list(columns),
            records=_counted(table, records, self.advance, REPORT_EVERY),
        )
        count = int(status.split()[-1])  # "COPY 1000000"
        self.written[table] = self.written.get(table, 0) + count
        return count


class InsertWriter:
    """SQLite: ``executemany`` of a few thousand rows at a time, in the caller's transaction
    (the FTS triggers index each row)."""

    def __init__(self, connection: AsyncConnection, advance: Advance) -> None:
        self.connection = connection
        self.advance = advance
        self.written: dict[str, int] = {}

    async def write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        statement = insert(metadata.tables[table])
        iterator = iter(rows)
        count = 0
        while chunk := list(islice(iterator, SQLITE_CHUNK)):
            await self.connection.execute(
                statement, [dict(zip(columns, r, strict=True)) for r in chunk]
            )
            count += len(chunk)
            self.advance(table, len(chunk))
        self.written[table] = self.written.get(table, 0) + count
        return count
