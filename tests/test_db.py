"""The database layer: SQLite made safe, and the unit of work's commit/rollback rules."""

from __future__ import annotations

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import IntegrityError

from otesaintjo.app import create_app
from otesaintjo.clock import utcnow
from otesaintjo.db import (
    after_commit,
    create_engine,
    create_session_factory,
    keep_on_refusal,
    unit_of_work,
)
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import AuthSession, User
from otesaintjo.models.base import built


def a_user(email: str = "lea@example.re") -> User:
    return User(email=email, password_hash="x", first_name="Léa", last_name="T")


async def test_foreign_keys_are_enforced(session_factory) -> None:
    with pytest.raises(IntegrityError):
        async with unit_of_work(session_factory) as session:
            session.add(AuthSession(user_id=999, expires_at=utcnow()))


async def test_sqlite_runs_in_wal_mode(session_factory, database_url) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite setting")  # the PostgreSQL run checks foreign keys above
    async with session_factory() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1


async def test_a_refusal_rolls_back_and_skips_after_commit_hooks(session_factory) -> None:
    ran: list[str] = []
    with pytest.raises(DomainError):
        async with unit_of_work(session_factory) as session:
            session.add(a_user())
            after_commit(session, lambda: ran.append("hook"))
            await session.flush()
            raise DomainError(ErrorCode.INVALID_INPUT, "non")
    async with session_factory() as session:
        assert (await session.execute(select(User))).first() is None
    assert ran == []


async def test_keep_on_refusal_commits_what_the_service_asked_to_keep(session_factory) -> None:
    ran: list[str] = []
    with pytest.raises(DomainError):
        async with unit_of_work(session_factory) as session:
            session.add(a_user())
            after_commit(session, lambda: ran.append("hook"))
            keep_on_refusal(session)
            raise DomainError(ErrorCode.INVALID_INPUT, "non")
    async with session_factory() as session:
        assert len((await session.execute(select(User))).all()) == 1
    assert ran == ["hook"]


async def test_timestamps_come_back_timezone_aware(session_factory) -> None:
    async with unit_of_work(session_factory) as session:
        session.add(a_user())
    async with session_factory() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert user.created_at.utcoffset() is not None


async def test_a_connection_left_inside_a_transaction_is_not_handed_out_again(
    database_url,
) -> None:
    """A connection given back while the server still had a transaction open (a statement
    interrupted under it) would fail every later request it served: the pool drops it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("asyncpg tracks the server's transaction state; SQLite has no such state")
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("BEGIN")  # behind SQLAlchemy's back
        async with create_session_factory(engine)() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_a_postgresql_server_opens_its_pool_at_start_up(settings, database_url) -> None:
    """The first burst after a deploy finds its connections open (``db_pool_warm``)."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite opens a file in the process: no session to fork ahead")
    app = create_app(settings.model_copy(update={"db_pool_warm": True, "db_pool_size": 4}))
    pool = app.state.runtime.engine.pool
    assert pool.checkedin() == 0
    async with LifespanManager(app):
        # Open: the idle ones, and the one the event bus may be holding already.
        assert pool.checkedin() + pool.checkedout() == 4 and pool.checkedin() >= 3


async def test_built_rows_match_the_constructor_and_are_written_as_usual(session_factory) -> None:
    """``built`` (the constructor without SQLModel's per-field validation, for hot paths)
    fills the same defaults, leaves the same required fields unset, and flushes."""
    given = {"email": "noe@example.re", "password_hash": "x", "first_name": "Noé", "last_name": "P"}
    fast, usual = built(User, **given), User(**given)
    assert fast.__dict__.keys() == usual.__dict__.keys()
    timestamps = {"created_at", "updated_at"}
    assert fast.model_dump(exclude=timestamps) == usual.model_dump(exclude=timestamps)
    async with unit_of_work(session_factory) as session:
        session.add(fast)
    async with session_factory() as session:
        stored = (await session.execute(select(User).where(User.email == given["email"]))).scalar()
    assert stored is not None and stored.id == fast.id and stored.first_name == "Noé"


async def test_a_server_that_postgresql_refuses_some_connections_still_starts(
    settings, database_url
) -> None:
    """``max_connections`` reached (here a role limited to 3 sessions): the warm-up opens what
    it can and the server starts anyway."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite opens a file in the process: no session to fork ahead")
    admin = create_engine(database_url)
    async with admin.connect() as connection:
        await connection.execute(text("COMMIT"))
        await connection.execute(text("DROP ROLE IF EXISTS otesaintjo_three_sessions"))
        # Not a superuser: PostgreSQL does not hold superusers to a role's limit.
        await connection.execute(
            text("CREATE ROLE otesaintjo_three_sessions LOGIN CONNECTION LIMIT 3")
        )
        await connection.execute(
            text("GRANT pg_read_all_data, pg_write_all_data TO otesaintjo_three_sessions")
        )
    limited_url = make_url(database_url).set(username="otesaintjo_three_sessions")
    try:
        app = create_app(
            settings.model_copy(
                update={
                    "database_url": limited_url.render_as_string(hide_password=False),
                    "db_pool_warm": True,
                    "db_pool_size": 5,
                }
            )
        )
        pool = app.state.runtime.engine.pool
        async with LifespanManager(app):
            assert pool.checkedin() + pool.checkedout() == 3
            async with app.state.runtime.engine.connect() as connection:
                assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        async with admin.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("DROP ROLE IF EXISTS otesaintjo_three_sessions"))
        await admin.dispose()
