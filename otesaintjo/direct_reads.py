"""Hot reads sent straight to the database driver.

SQLAlchemy's execution path around one SELECT (an ``AsyncSession`` or ``AsyncConnection``
``execute``: a greenlet hop, an execution context, parameter processing, a result object)
costs ~160–190 µs of CPU; the driver call itself (asyncpg's ``fetch``, aiosqlite's
``execute_fetchall``) ~70 µs. An executed page runs four to six statements, so that path was
a sixth of its CPU.

A statement built once (``loaders.once``, ``pages.built_once``) is compiled here once per
dialect into what SQLAlchemy would send: its SQL text, the order of its parameters, and the
conversions of SQLAlchemy's types for parameters and columns (a SQLite datetime is a string
on the wire). ``fetch`` then runs it on the request's connection through the driver and
gives rows of a tuple class per statement (by index, by attribute, ``_mapping``), as
SQLAlchemy's rows are used by their readers.

Only what behaves exactly as through SQLAlchemy goes this way: a statement that selects
columns, not ORM entities (no identity map, no loading events), on a session bound to a
request's connection (``request_reads``), in autocommit or in its snapshot transaction
(opened first if SQLAlchemy has not yet). Anything else — an entity, a session from the
pool, a parameter SQLAlchemy renders at execution (an empty ``IN`` list), a type whose
conversion is unknown here, another driver — takes the session's own ``execute``.

Listeners of ``before_cursor_execute`` see every direct read (the metrics' round trips, the
tests' statement counts); the response cache checks the tables a direct read touches as it
checks the statements of its sessions (``CacheScope.check_tables``). A driver error
invalidates the connection, as SQLAlchemy does: it never goes back to the pool in an
unknown state.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Column, Float, Numeric, Table, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select

Processor = Callable[[Any], Any] | None
DRIVERS = frozenset({"asyncpg", "aiosqlite"})
_EXPANDING = "(__[POSTCOMPILE_{}])"
FLOAT8, NUMERIC = 701, 1700  # PostgreSQL's type oids
_GIVEN = object()  # a parameter the caller must give
READS_ONLY = "otesaintjo_reads_only"
"""The key, in a session's ``info``, of a session that only reads (``request_reads``)."""
_POSTCOMPILE = re.compile(r"__\[POSTCOMPILE_(\w+)\]")


def _row_class(keys: Sequence[str]) -> type[tuple[Any, ...]]:
    """A tuple by index and by attribute, with ``_mapping`` as SQLAlchemy's rows have."""
    base = namedtuple("Row", keys, rename=True)  # type: ignore[misc]

    class Row(base):  # type: ignore[valid-type,misc]
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(keys, self, strict=True))

    return Row


@dataclass(frozen=True)
class _Entity:
    """An ORM entity among a statement's columns: its instance built from its slice of the
    row as the ORM builds one, then detached — what a read session hands out once emptied."""

    manager: Any  # the class's ClassManager
    identity: type  # the class of its identity keys (the mapper's ``_identity_class``)
    start: int
    stop: int
    keys: tuple[str, ...]  # the attribute of each column of the slice
    primary: tuple[int, ...]  # where its primary key is in the slice

    def build(self, values: Sequence[Any]) -> Any:
        part = values[self.start : self.stop]
        if all(part[i] is None for i in self.primary):
            return None  # no row (an outer join), as the ORM answers
        instance = self.manager.new_instance()
        instance.__dict__.update(zip(self.keys, part, strict=True))
        # Detached: an identity, no session (``make_transient_to_detached`` without its
        # checks, which cost as much as the rest; every column is loaded, none expires).
        instance._sa_instance_state.key = (
            self.identity,
            tuple(part[i] for i in self.primary),
            None,
        )
        return instance


@dataclass(frozen=True)
class Direct:
    """A statement as its driver takes it."""

    sql: str
    names: tuple[str, ...]  # the parameter of each placeholder, in order
    defaults: tuple[Any, ...]  # the value a statement holds (``x == True``), else _GIVEN
    binds: tuple[Processor, ...]  # SQLAlchemy's conversion of each, None: as given
    expanding: str | None  # SQLite: the parameter that is a list ``IN (?, ?, …)``
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]  # the columns SQLAlchemy converts
    items: tuple[int | _Entity, ...]  # per item of a row: its column, or an entity's columns
    row: type[tuple[Any, ...]]
    tables: frozenset[Table]  # what it reads: the response cache checks them

    @property
    def builds_entities(self) -> bool:
        return any(isinstance(item, _Entity) for item in self.items)

    def sql_for(self, parameters: dict[str, Any]) -> tuple[str, list[Any]]:
        values: list[Any] = []
        sql = self.sql
        for name, default, process in zip(self.names, self.defaults, self.binds, strict=True):
            value = parameters[name] if default is _GIVEN else parameters.get(name, default)
            if name == self.expanding:
                sql = sql.replace(_EXPANDING.format(name), "(" + ", ".join("?" * len(value)) + ")")
                values.extend(value if process is None else [process(v) for v in value])
            else:
                values.append(value if process is None else process(value))
        return sql, values

    def rows(self, records: Sequence[Any]) -> list[Any]:
        new, row = tuple.__new__, self.row
        converted = self.converted
        if converted:  # only the columns SQLAlchemy converts (a SQLite date, a UTC instant)
            lists = [list(r) for r in records]
            for values in lists:
                for i, process in converted:
                    if values[i] is not None:
                        values[i] = process(values[i])
            records = lists
        if not self.builds_entities:
            return [new(row, record) for record in records]
        items = self.items
        return [
            new(row, [r[i] if isinstance(i, int) else i.build(r) for i in items]) for r in records
        ]


_COMPILED: dict[tuple[int, str], tuple[Select[Any], Direct | None]] = {}
COMPILED_KEPT = 512


def direct(statement: Select[Any], dialect: Dialect) -> Direct | None:
    """``statement`` compiled for its driver, once per process and dialect; None if it must
    go through SQLAlchemy. Keyed by identity: only for statements built once and kept (one
    built per call would be compiled per call, ~0.3 ms, where SQLAlchemy's cache knows it)."""
    key = (id(statement), dialect.name)
    found = _COMPILED.get(key)
    if found is None or found[0] is not statement:
        found = (statement, _compile(statement, dialect))
        if len(_COMPILED) >= COMPILED_KEPT:
            _COMPILED.clear()  # statements built once are few; this only bounds a misuse
        _COMPILED[key] = found
    return found[1]


def _compile(statement: Select[Any], dialect: Dialect) -> Direct | None:
    if dialect.driver not in DRIVERS or not isinstance(statement, Select):
        return None
    compiled = statement.compile(dialect=dialect)
    sql = compiled.string
    names = tuple(compiled.positiontup or ())
    expanding = None
    for name in set(_POSTCOMPILE.findall(sql)):
        bind = compiled.binds[name]
        if not bind.expanding or dialect.paramstyle != "qmark" or expanding is not None:
            return None
        expanding = name
    if dialect.paramstyle == "numeric_dollar":
        if sorted({int(n) for n in re.findall(r"\$(\d+)", sql)}) != list(range(1, len(names) + 1)):
            return None
    elif dialect.paramstyle != "qmark" or sql.count("?") + (expanding is not None) != len(names):
        return None
    parameters = [compiled.binds[name] for name in names]
    if any(p.callable is not None for p in parameters):
        return None  # a value computed at execution
    defaults = tuple(_GIVEN if p.required else p.value for p in parameters)
    binds = tuple(p.type._cached_bind_processor(dialect) for p in parameters)
    columns = compiled._result_columns
    try:
        converted = tuple(
            (i, p)
            for i, p in enumerate(_result_processor(c.type, dialect) for c in columns)
            if p is not None
        )
        items, keys = _items(statement, columns)
    except LookupError:
        return None
    tables = frozenset(t for f in statement.get_final_froms() for t in _tables(f))
    return Direct(
        sql, names, defaults, binds, expanding, converted, items, _row_class(keys), tables
    )


def _items(statement: Select[Any], columns: Sequence[Any]) -> tuple[tuple[Any, ...], list[str]]:
    """What each item of a row is made of (a column, or an entity's columns, in the order
    the compiled statement selects them), and its key; LookupError if not understood."""
    items: list[int | _Entity] = []
    keys: list[str] = []
    position = 0
    # A session names the columns of a statement of ORM attributes as the ORM describes them
    # (``count``), those of a Core statement as compiled (``count_1``).
    orm = statement._propagate_attrs.get("compile_state_plugin") == "orm"
    for description in statement.column_descriptions:
        entity = description["expr"]
        if not isinstance(entity, type):
            if position >= len(columns):
                raise LookupError(description)
            items.append(position)
            keys.append(str(description["name"]) if orm else columns[position].keyname)
            position += 1
            continue
        mapper = inspect(entity)
        if (
            description["aliased"]
            or mapper.inherits is not None
            or mapper.polymorphic_on is not None
        ):
            raise LookupError(entity)
        count = len(mapper.column_attrs)
        attributes = []
        for entry in columns[position : position + count]:
            column = next((o for o in entry.objects if isinstance(o, Column)), None)
            if column is None or column.table is not mapper.local_table:
                raise LookupError(entity)
            attributes.append(mapper.get_property_by_column(column).key)
        if sorted(attributes) != sorted(a.key for a in mapper.column_attrs):
            raise LookupError(entity)
        primary = tuple(
            attributes.index(mapper.get_property_by_column(c).key) for c in mapper.primary_key
        )
        items.append(
            _Entity(
                mapper.class_manager,
                mapper._identity_class,
                position,
                position + count,
                tuple(attributes),
                primary,
            )
        )
        keys.append(str(description["name"]))
        position += count
    if position != len(columns):
        raise LookupError(statement)
    return tuple(items), keys


def _result_processor(type_: Any, dialect: Dialect) -> Processor:
    """SQLAlchemy's conversion of a column's values. asyncpg's numbers need the column's
    PostgreSQL type (SQLAlchemy reads it from the cursor): a ``Float`` column is ``float8``,
    a ``Numeric`` one ``numeric`` (what the migrations create)."""
    try:
        return type_._cached_result_processor(dialect, None)  # type: ignore[no-any-return]
    except TypeError:
        if dialect.driver != "asyncpg" or not isinstance(type_, Numeric | Float):
            raise LookupError(type_) from None
    code = FLOAT8 if isinstance(type_, Float) else NUMERIC
    return type_._cached_result_processor(dialect, code)  # type: ignore[no-any-return]


def _tables(from_clause: Any) -> list[Table]:
    if isinstance(from_clause, Table):
        return [from_clause]
    return [t for t in getattr(from_clause, "_from_objects", ()) if isinstance(t, Table)] + [
        t
        for side in ("left", "right")
        if (part := getattr(from_clause, side, None)) is not None
        for t in _tables(part)
    ]


class DirectSource(Protocol):
    """A request's reads (``request_reads.RequestReads``): they run a statement on the
    request's connection without a session when the statement goes to the driver."""

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    async def fetch(self, statement: Any, parameters: dict[str, Any]) -> list[Any]: ...


Source = AsyncSession | DirectSource | Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def read(source: Source, statement: Any, parameters: dict[str, Any]) -> list[Any]:
    """Every row of ``statement`` from ``source``: a session, a request's reads (straight
    to the driver, no session), or a factory of sessions."""
    if isinstance(source, AsyncSession):
        return await fetch(source, statement, parameters)
    direct_fetch = getattr(source, "fetch", None)  # a DirectSource (no runtime protocol
    if direct_fetch is not None:  # check: ``isinstance`` against one costs ~2 µs)
        return await direct_fetch(statement, parameters)  # type: ignore[no-any-return]
    async with source() as session:
        return await fetch(session, statement, parameters)


def dialect_of(source: Source) -> str:
    """The dialect's name of a session, of a request's reads or of a session factory."""
    if isinstance(source, AsyncSession):
        return source.bind.dialect.name  # type: ignore[union-attr]
    engine = getattr(source, "engine", None) or source.kw["bind"]  # type: ignore[union-attr]
    return engine.dialect.name  # type: ignore[no-any-return]


def usable(plan: Direct | None, parameters: dict[str, Any]) -> bool:
    """``plan`` exists and takes these parameters (SQLite's ``IN`` list is not empty)."""
    return plan is not None and (plan.expanding is None or bool(parameters.get(plan.expanding)))


async def fetch(session: AsyncSession, statement: Any, parameters: dict[str, Any]) -> list[Any]:
    """Every row of ``statement`` (a read) with ``parameters``, through the driver when it
    behaves as through SQLAlchemy, else through ``session``. Entities come from the driver
    only in a read session (``READS_ONLY`` in its ``info``): one that writes must get its own
    objects, in its identity map, for their changes to be flushed."""
    connection = session.bind
    if isinstance(connection, AsyncConnection):
        entities = bool(session.info.get(READS_ONLY))
        plan = _plan_on(connection, statement, parameters, entities=entities)
        if plan is not None:
            scope = session.info.get("cache_scope")
            return await run(connection, plan, statement, parameters, scope)
    return list((await session.execute(statement, parameters)).all())


async def fetch_on(
    connection: AsyncConnection, statement: Select[Any], parameters: dict[str, Any]
) -> list[Any]:
    """``fetch`` on a connection (no session): through the driver when it behaves as through
    SQLAlchemy, else through ``connection.execute``. Columns only, no entity."""
    plan = _plan_on(connection, statement, parameters, entities=False)
    if plan is not None:
        return await run(connection, plan, statement, parameters, None)
    return list((await connection.execute(statement, parameters)).all())


def _plan_on(
    connection: AsyncConnection, statement: Any, parameters: dict[str, Any], *, entities: bool
) -> Direct | None:
    """The plan of ``statement`` if it may go to ``connection``'s driver with these
    ``parameters`` (and build entities only if ``entities``), else None."""
    if not isinstance(statement, Select):
        return None
    plan = direct(statement, connection.dialect)
    sync = connection.sync_connection
    if (
        plan is None
        or not usable(plan, parameters)
        or sync is None
        or sync.invalidated
        or (plan.builds_entities and not entities)
    ):
        return None
    return plan


async def run(
    connection: AsyncConnection,
    plan: Direct,
    statement: Select[Any],
    parameters: dict[str, Any],
    scope: Any,
) -> list[Any]:
    """``plan`` on ``connection``, its reads checked and its entities recorded by the
    response cache's ``scope`` (if any) as a session's would be."""
    if scope is not None:
        scope.check_tables(plan.tables, statement)
    rows = await _run(connection, plan, statement, parameters)
    if scope is not None and plan.builds_entities:
        # What the session's ``loaded_as_persistent`` hook reports of its objects.
        entities = [i for i, item in enumerate(plan.items) if isinstance(item, _Entity)]
        for row in rows:
            for i in entities:
                if row[i] is not None:
                    scope.record_loaded(row[i])
    return rows


async def _run(
    connection: AsyncConnection, plan: Direct, statement: Select[Any], parameters: dict[str, Any]
) -> list[Any]:
    """``plan`` (``statement`` compiled) with ``parameters`` on ``connection``'s driver."""
    sync = connection.sync_connection
    adapted = sync.connection.dbapi_connection  # type: ignore[union-attr]
    driver = adapted.driver_connection  # type: ignore[union-attr]
    sql, values = plan.sql_for(parameters)
    if sync._has_events or sync.engine._has_events:  # type: ignore[union-attr]
        # Counted as every statement is (metrics' round trips, the tests' statement counts).
        sync.dispatch.before_cursor_execute(sync, None, sql, values, None, False)  # type: ignore[union-attr]
    try:
        if connection.dialect.driver == "asyncpg":
            if not adapted.autocommit and adapted._transaction is None:  # type: ignore[union-attr]
                # The snapshot SQLAlchemy opens lazily on its first statement: open it now.
                await adapted._start_transaction()  # type: ignore[union-attr]
            records = await driver.fetch(sql, *values)
        else:
            records = await driver.execute_fetchall(sql, values)
    except BaseException:
        await connection.invalidate()
        raise
    return plan.rows(records)
