"""The request's one read connection (``request_reads``): uses never overlap on it, not even
with the end of the request."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import Integer, event, literal, select, text

from otesaintjo.db import create_engine
from otesaintjo.request_reads import RequestReads


async def test_the_end_of_a_request_waits_for_a_use_still_reading(database_url: str) -> None:
    """graphql-core stops waiting for sibling fields when a non-null one fails: a sibling may
    still be reading when the response goes out. Closing then must not pull the connection
    from under it (PostgreSQL: « another operation is in progress », and a connection left
    inside a transaction for the next request)."""
    engine = create_engine(database_url)
    try:
        reads = RequestReads(engine)
        holding, go_on = asyncio.Event(), asyncio.Event()

        async def sibling_field() -> int:
            async with reads() as session:
                holding.set()
                await go_on.wait()
                return (await session.execute(text("SELECT 41 + 1"))).scalar_one()

        sibling = asyncio.create_task(sibling_field())
        await holding.wait()
        end_of_request = asyncio.create_task(reads.close())
        await asyncio.sleep(0.05)
        assert not end_of_request.done(), "closed under a use in progress"
        go_on.set()
        assert await sibling == 42
        await end_of_request

        async with reads() as late:  # a field still running after the end: its own session
            assert (await late.execute(text("SELECT 7"))).scalar_one() == 7
        assert engine.pool.checkedout() == 0
    finally:
        await engine.dispose()


async def test_uses_share_one_connection_one_at_a_time(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        reads = RequestReads(engine)
        inside = 0
        most_inside = 0

        async def use(value: int) -> int:
            nonlocal inside, most_inside
            async with reads() as session:
                inside += 1
                most_inside = max(most_inside, inside)
                await asyncio.sleep(0)
                found = (await session.execute(text(f"SELECT {value}"))).scalar_one()
                inside -= 1
                return found

        assert await asyncio.gather(*(use(v) for v in range(10))) == list(range(10))
        assert most_inside == 1
        assert reads.uses == 10
        await reads.close()
        assert engine.pool.checkedout() == 0
    finally:
        await engine.dispose()


SLOW_READ = {
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000000)"
    " SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(2)",
}


async def test_a_read_cancelled_inside_a_snapshot_leaves_the_end_clean(database_url: str) -> None:
    """A field abandoned mid-statement (its task cancelled) invalidates the connection: the end
    of the request must not try to roll back on it (SQLite: « Can't reconnect until invalid
    transaction is rolled back » reached the client as a 500), and the pool gets it back."""
    engine = create_engine(database_url)
    try:
        reads = RequestReads(engine, snapshot=True)
        reading = asyncio.Event()

        async def abandoned_field() -> None:
            async with reads() as session:
                reading.set()
                await session.execute(text(SLOW_READ[engine.dialect.name]))

        field = asyncio.create_task(abandoned_field())
        await reading.wait()
        await asyncio.sleep(0.1)
        field.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await field
        await reads.close()
        assert engine.pool.checkedout() == 0
        async with engine.connect() as connection:  # the pool still serves
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_a_query_keeps_its_connection_and_session_until_the_end(database_url: str) -> None:
    """Uses one after another (a product page's waves of loaders): without ``hold`` the
    connection goes back to the pool after each; a query holds it, and one session, until
    ``close``."""
    engine = create_engine(database_url)
    checkouts = 0

    def counted(*_args: object) -> None:
        nonlocal checkouts
        checkouts += 1

    event.listen(engine.sync_engine, "checkout", counted)
    try:
        for held, expected in ((False, 3), (True, 1)):
            checkouts = 0
            reads = RequestReads(engine)
            if held:
                reads.hold()
            sessions = set()
            for value in range(3):
                async with reads() as session:
                    sessions.add(id(session))
                    assert (await session.execute(text(f"SELECT {value}"))).scalar_one() == value
            assert engine.pool.checkedout() == (1 if held else 0)
            await reads.close()
            assert engine.pool.checkedout() == 0
            assert checkouts == expected
            assert len(sessions) == (1 if held else 3)
    finally:
        await engine.dispose()


async def test_a_mutation_gives_back_the_connection_its_sign_in_was_read_on(
    database_url: str,
) -> None:
    """HTTP requests start held (the sign-in's read keeps the connection for the query that
    follows); a mutation lets it go before its fields run, so it never holds a read
    connection while it waits for a write one. Its later reads go back after each use."""
    engine = create_engine(database_url)
    try:
        reads = RequestReads(engine, held=True)
        async with reads() as session:  # the sign-in
            await session.execute(text("SELECT 1"))
        assert engine.pool.checkedout() == 1
        await reads.let_go()
        assert engine.pool.checkedout() == 0
        async with reads() as session:  # the mutation's payload
            await session.execute(text("SELECT 2"))
        assert engine.pool.checkedout() == 0
        await reads.close()
    finally:
        await engine.dispose()


async def test_a_direct_read_needs_no_session(database_url: str) -> None:
    """A statement the driver runs (``direct_reads``) uses the connection, no session; one
    asked from inside a use (the connection busy with its caller) gets a session of its own."""
    engine = create_engine(database_url)
    try:
        reads = RequestReads(engine, held=True)
        statement = select(literal(41, Integer).label("answer") + 1)
        assert [tuple(row) for row in await reads.fetch(statement, {})] == [(42,)]
        assert reads._session is None and reads.uses == 1 and reads.own_uses == 0
        async with reads():
            assert [tuple(row) for row in await reads.fetch(statement, {})] == [(42,)]
        assert reads.own_uses == 1
        await reads.close()
        assert [tuple(row) for row in await reads.fetch(statement, {})] == [(42,)]  # late
        assert reads.own_uses == 2
    finally:
        await engine.dispose()
