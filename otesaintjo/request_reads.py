"""One database connection for every read of a request.

Before, each DataLoader batch and each listing opened its own session: a pool checkout, a
pre-ping and a ``BEGIN … ROLLBACK`` per batch (a storefront page made 24 round trips for 4
SELECTs). Now the request checks one connection out on first use and keeps it:

- **autocommit** by default: each SELECT is its own statement, no BEGIN/ROLLBACK, and a
  mutation's payload reads what the mutation just committed;
- **snapshot** for the response cache: one read-only transaction (REPEATABLE READ on
  PostgreSQL, a deferred BEGIN on SQLite), so the catalogue versions read after execution
  belong to the same instant as the data (``response_cache``).

A connection runs one statement at a time, and sibling resolvers run concurrently: uses are
serialised by a lock, all through one ``AsyncSession`` bound to the connection, its identity
map emptied after each use (no row shared between uses, so none stale; a session per use cost
~0.25 ms of CPU each, five times a product page). A use nested inside another (a resolver
awaiting a DataLoader while it holds a session) would wait on itself: it gets its own short
session from the pool instead.

An HTTP request's reads start **held**: the connection its sign-in was read on stays checked
out for what follows. A query keeps it to its end (``hold``: a checkout and its return cost
~0.3 ms of CPU, and a page's loaders come in several waves); a mutation lets it go before its
fields run (``let_go``), and its reads then give the connection back as soon as no use is
waiting for it: a request never holds a read connection while it waits for a write one, so a
burst of mutations cannot starve the pool.

A field can outlive its request: when a non-null field fails, graphql-core answers without
waiting for the siblings still running. So ``close`` waits for the use in progress (under the
lock) before giving the connection back, and a use that starts after it gets its own short
session: the connection is never pulled from under a statement, nor handed to the next request
inside a transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import Select

from otesaintjo.db import SessionSource
from otesaintjo.direct_reads import READS_ONLY, direct, fetch, run, usable

__all__ = ["RequestReads", "SessionSource"]

_holding: ContextVar[RequestReads | None] = ContextVar("otesaintjo_reads_holding", default=None)


class RequestReads:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        snapshot: bool = False,
        session_options: dict[str, Any] | None = None,
        held: bool = False,
    ) -> None:
        self.engine = engine
        self.snapshot = snapshot
        # Passed to every AsyncSession: ``sync_session_class`` and ``info`` let the response
        # cache see what each read loaded.
        options = session_options or {}
        self.session_options = {
            "expire_on_commit": False,
            "autoflush": False,
            **options,
            "info": {**options.get("info", {}), READS_ONLY: True},
        }
        self._scope = self.session_options["info"].get("cache_scope")
        self._lock = asyncio.Lock()
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None  # one for every use on the connection
        self._wanted = 0  # uses holding or waiting for the connection
        self._closed = False
        self._held = held
        self.uses = 0
        self.own_uses = 0

    def hold(self) -> None:
        """The operation only reads (a query): keep the connection until ``close`` rather than
        checking it out again for each wave of loaders (~0.3 ms of CPU a checkout, four on a
        product page); there is no write connection it could make the request wait for."""
        self._held = True

    async def let_go(self) -> None:
        """The operation writes (a mutation): reads no longer keep the connection, given back
        now if no use holds it — a request never holds a read connection while it waits for
        a write one, so a burst of mutations cannot starve the pool."""
        self._held = False
        if not self.snapshot and self._wanted == 0 and self._connection is not None:
            async with self._lock:
                if self._wanted == 0:
                    await self._release()

    @property
    def _keeps_connection(self) -> bool:
        return self.snapshot or self._held

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self._use()

    async def fetch(self, statement: Any, parameters: dict[str, Any]) -> list[Any]:
        """Every row of ``statement``: on the request's connection straight to the driver
        when it goes there (``direct_reads``), without a session (creating one, emptying
        it after each use and closing it cost ~3 % of an executed page); else in a use."""
        plan = direct(statement, self.engine.dialect) if isinstance(statement, Select) else None
        if usable(plan, parameters) and _holding.get() is not self and not self._closed:
            self._wanted += 1
            try:
                async with self._lock:
                    if not self._closed:  # no caller's code runs under the lock: no nesting
                        connection = await self._connect()
                        self.uses += 1
                        try:
                            return await run(connection, plan, statement, parameters, self._scope)  # type: ignore[arg-type]
                        finally:
                            if self._wanted == 1 and not self._keeps_connection:
                                await self._release()
            finally:
                self._wanted -= 1
        async with self() as session:
            return await fetch(session, statement, parameters)

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[AsyncSession]:
        if _holding.get() is not self and not self._closed:
            self._wanted += 1
            try:
                async with self._lock:
                    if not self._closed:
                        session = await self._session_for_use()
                        token = _holding.set(self)
                        ended = False
                        try:
                            self.uses += 1
                            yield session
                            ended = True
                        finally:
                            _holding.reset(token)
                            await self._end_use(session, ended)
                            if self._wanted == 1 and not self._keeps_connection:
                                await self._release()
                        return
            finally:
                self._wanted -= 1
        # A use inside a use (the shared connection is busy with our own caller), or a field
        # still running after the request ended: a short session of its own.
        self.own_uses += 1
        async with AsyncSession(self.engine, **self.session_options) as own:
            yield own

    async def _session_for_use(self) -> AsyncSession:
        if self._session is None:
            self._session = AsyncSession(bind=await self._connect(), **self.session_options)
        return self._session

    async def _end_use(self, session: AsyncSession, ended: bool) -> None:
        """The next use starts with an empty identity map, as with a session of its own: no
        row of this use is handed out again, stale. A use that raised gets its session
        closed (whatever state the error left it in), the next one a new session."""
        if ended:
            sync = session.sync_session
            if not sync.identity_map and not sync._new and not sync._deleted:
                return  # nothing loaded nor added (a direct read): already empty
            if not (session.new or session.dirty or session.deleted):
                session.expunge_all()
                return
        self._session = None
        await session.close()

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self.engine.connect()
            try:
                await self._start(connection)
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
        return self._connection

    async def _start(self, connection: AsyncConnection) -> None:
        dialect = connection.dialect.name
        if dialect == "sqlite":
            # SQLite's driver opens a transaction only before a write: its reads are in
            # autocommit as they are (asking for AUTOCOMMIT cost two calls into the driver's
            # thread a request: setting it, then resetting it at the checkin). The snapshot
            # asks for one transaction, so every read of this request sees the same instant
            # (WAL keeps it while writers commit).
            await connection.begin()  # SQLAlchemy's bookkeeping only: nothing is sent
            if self.snapshot:
                await connection.exec_driver_sql("BEGIN")
            return
        if not self.snapshot:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.begin()  # SQLAlchemy's bookkeeping only: nothing is sent
            return
        await connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        await connection.begin()

    async def run(self, work: Callable[[AsyncConnection], Any]) -> Any:
        """``work(connection)`` on the request's connection (in its snapshot), under the lock."""
        async with self._lock:
            try:
                return await work(await self._connect())
            finally:
                if not self._keeps_connection:
                    await self._release()

    async def close(self) -> None:
        """The end of the request: wait for the use in progress, give the connection back
        (ending the snapshot); later uses get their own session. Safe to call twice."""
        self._closed = True
        async with self._lock:
            await self._release()

    async def _release(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            # A statement cancelled mid-flight (a field abandoned with its request) leaves the
            # connection invalidated: nothing to end on it, the pool discards it on close.
            if (
                not connection.invalidated
                and self.snapshot
                and connection.dialect.name != "postgresql"
            ):
                await connection.exec_driver_sql("ROLLBACK")  # the BEGIN ``_start`` sent
        finally:
            # Rolls SQLAlchemy's transaction back (PostgreSQL's snapshot with it), and the
            # pool, told so, resets nothing more: one rollback, not two.
            await connection.close()
