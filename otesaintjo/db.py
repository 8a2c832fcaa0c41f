"""Async engine, session factory and the unit of work every mutation runs in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from otesaintjo.errors import DomainError

AfterCommit = Callable[[], Awaitable[None] | None]
SessionSource = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""Where reads take a session from: an ``async_sessionmaker``, or a request's one
connection (``request_reads.RequestReads``)."""


DEFAULT_POOL_SIZE = 30


def create_engine(url: str, pool_size: int = DEFAULT_POOL_SIZE, **kwargs: Any) -> AsyncEngine:
    """An engine with SQLite made safe: foreign keys on, WAL, a busy timeout."""
    if url.startswith("sqlite"):
        # A file's connections are pooled as PostgreSQL's are (SQLAlchemy's default keeps 5:
        # under load, the others were opened — a thread, four pragmas — and closed each time).
        in_memory = ":memory:" in url or "mode=memory" in url or url.endswith("://")
        if not in_memory:
            kwargs = {"pool_size": pool_size, "max_overflow": 10, **kwargs}
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # ``pool_size`` kept open: under load the same connections serve every request. An
    # overflow connection is opened, used once and closed (with 20 kept, 100-160 PostgreSQL
    # sessions were forked per 8 s of 32 concurrent clients): the 10 allowed are a margin
    # for bursts, not the working set. LIFO: the hottest connections serve, their prepared
    # statements warm; the others idle (and get pinged if they waited 30 s).
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=10,
        pool_recycle=3600,
        pool_use_lifo=True,
        **kwargs,
    )
    ping_when_idle(engine)
    return engine


IDLE_BEFORE_PING_SECONDS = 30.0


async def warm_pool(engine: AsyncEngine, connections: int) -> int:
    """Open ``connections`` of the pool at once and give them back: kept open (the pool's
    size), the first burst of requests finds them instead of forking PostgreSQL sessions (32
    customers checking out at once after a start opened 24). Returns how many opened: a server
    that PostgreSQL refuses some (``max_connections``) starts anyway, with fewer."""
    async with AsyncExitStack() as held:
        opened = await asyncio.gather(
            *(held.enter_async_context(engine.connect()) for _ in range(connections)),
            return_exceptions=True,
        )
    return sum(not isinstance(connection, BaseException) for connection in opened)


def ping_when_idle(engine: AsyncEngine) -> None:
    """Check a connection before use only if it sat idle in the pool for a while.

    ``pool_pre_ping`` pings on every checkout: a round trip per request on the hot path, for
    connections that were in use a millisecond ago. A connection idle for 30 s may have been
    closed by the server or a proxy: that one is pinged, and replaced if dead (the pool
    retries the checkout on ``DisconnectionError``). A connection that comes back still inside
    a transaction is replaced the same way. A connection that dies while in use
    raises a disconnect error, after which SQLAlchemy discards the pool's connections.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_in_transaction():
            # Given back while the server still had a transaction open (a statement cut off
            # under it): every request it served would fail. asyncpg knows without a round trip.
            raise DisconnectionError("connection returned inside a transaction")
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the connection is not usable
            raise DisconnectionError("idle connection failed its ping") from exc


def one_of(dialect: str, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY($1)``, one statement text whatever
    the number of values. asyncpg prepares each statement text once per connection: an IN list
    is a new text for every length (a loader's batch of 19, then of 20, prepares twice)."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=_array_of(column.type)))
    return column.in_(list(values))


def one_of_parameter(dialect: str, column: Any, name: str) -> ColumnElement[bool]:
    """``one_of`` whose values come at execution, as the parameter ``name`` (a list): for a
    statement built once (building one and its cache key costs ~0.1 ms a call)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=_array_of(column.type)))
    return column.in_(bindparam(name, expanding=True))


@lru_cache(maxsize=256)
def _array_of(item_type: Any) -> ARRAY[Any]:
    """One ARRAY type per column type (a new one per query is a small reference cycle)."""
    return ARRAY(item_type)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy reload in async)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run ``hook`` once the unit of work around ``session`` has committed (never on rollback)."""
    session.info.setdefault("after_commit", []).append(hook)


def upsert_insert(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_update``; the generic one has not)."""
    return dialect_insert(session.bind.dialect.name)


def dialect_insert(dialect: str) -> Any:
    """``upsert_insert`` by dialect name (for a statement built once per dialect)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def next_in_counter(
    session: AsyncSession, model: Any, key_column: Any, value_column: Any, key: int
) -> int:
    """Add one to a counter row (created at 1) and return it. The row stays locked until
    commit, so numbers taken in concurrent transactions commit in order, without gaps."""
    statement = (
        upsert_insert(session)(model)
        .values({key_column.key: key, value_column.key: 1})
        .on_conflict_do_update(
            index_elements=[key_column], set_={value_column.key: value_column + 1}
        )
        .returning(value_column)
    )
    return int((await session.execute(statement)).scalar_one())


async def write_first_on_sqlite(session: AsyncSession) -> bool:
    """On SQLite, start this unit of work as a writer (the database's one write lock, waited
    for with the busy timeout), so that what it reads next cannot change before it writes;
    returns True there. PostgreSQL has row locks and savepoints instead: False."""
    if session.bind.dialect.name != "sqlite":
        return False
    await session.execute(text("DELETE FROM shop_catalogue_version WHERE 0"))
    return True


def before_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run ``hook`` inside the transaction, just before it commits (a NOTIFY, say)."""
    session.info.setdefault("before_commit", []).append(hook)


def keep_on_refusal(session: AsyncSession) -> None:
    """Commit this unit of work even if the service then refuses (a ``DomainError``).

    For writes that must outlive the refusal they cause: a failed sign-in counted,
    a stolen refresh token's family revoked.
    """
    session.info["keep_on_refusal"] = True


@asynccontextmanager
async def unit_of_work(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, rollback on error, then the after-commit hooks.

    A ``DomainError`` rolls back too, unless the service called ``keep_on_refusal``.
    """
    async with factory() as session:
        try:
            yield session
        except DomainError:
            if not session.info.get("keep_on_refusal"):
                await session.rollback()
                raise
            await _run_hooks(session, "before_commit")
            await session.commit()
            await _run_hooks(session, "after_commit")
            raise
        except BaseException:
            await session.rollback()
            raise
        try:
            await _run_hooks(session, "before_commit")
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        await _run_hooks(session, "after_commit")


async def _run_hooks(session: AsyncSession, name: str) -> None:
    for hook in session.info.pop(name, []):
        result = hook()
        if result is not None:
            await result
