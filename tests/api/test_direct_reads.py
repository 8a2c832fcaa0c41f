"""Reads sent straight to the driver (``direct_reads``) give what SQLAlchemy gives: the same
rows, values of the same types, the same field names, inside the request's snapshot when the
response cache asks for one; a failure leaves no connection in an unknown state."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import BigInteger, bindparam, func, inspect, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo import direct_reads
from otesaintjo.db import create_engine
from otesaintjo.models import Product, Shop, User
from otesaintjo.request_reads import RequestReads
from otesaintjo.response_cache import VIEWER_FACT, CacheScope
from otesaintjo.seed import seed
from otesaintjo.storage import MemoryStore

CARD = "id name price { formatted } stock shop { id name } images { url }"
PAGES = [
    "query($after: String) { products(first: 20, after: $after) {"
    f" edges {{ node {{ {CARD} }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
    f'{{ products(first: 5, search: "rhum") {{ totalCount edges {{ node {{ {CARD} }} }} }} }}',
    "{ products(first: 50, onSale: true) { totalCount edges { node { id price { formatted }"
    " compareAtPrice { formatted } promotionEndsAt } } } }",
    "query($slug: String!) { shop(slug: $slug) { id name categories products(first: 20) {"
    " edges { node { id name price { formatted } images { url } } } } } }",
    "query($id: ID!) { node(id: $id) { ... on Product { id name price { formatted }"
    " compareAtPrice { formatted } regularPrice { formatted } shop { name } images { url } } } }",
]


def _same(ours: Any, theirs: Any) -> bool:
    """Values equal and of one type; ORM objects: the same class, attributes and identity,
    detached (as a read session hands them out once emptied)."""
    if not hasattr(theirs, "_sa_instance_state"):
        return type(ours) is type(theirs) and ours == theirs
    mine, orm = inspect(ours), inspect(theirs)
    return (
        type(ours) is type(theirs)
        and mine.dict.keys() == orm.dict.keys()
        and all(_same(mine.dict[k], orm.dict[k]) for k in orm.dict if k != "_sa_instance_state")
        and mine.key == orm.key
        and mine.detached
    )


class Compared:
    """Every direct read of a request, run again through SQLAlchemy (an ORM session) on the
    same connection, inside the same transaction."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: list[str] = []
        self.rows = 0
        self.entities: set[str] = set()
        run = direct_reads._run

        async def checked(connection, plan, statement, parameters):  # type: ignore[no-untyped-def]
            rows = await run(connection, plan, statement, parameters)
            adapted = connection.sync_connection.connection.dbapi_connection
            if connection.dialect.name == "postgresql" and not adapted.autocommit:
                # The snapshot was opened before the read, as SQLAlchemy would have.
                assert adapted.driver_connection.is_in_transaction()
            async with AsyncSession(bind=connection, expire_on_commit=False) as orm:
                expected = (await orm.execute(statement, parameters)).all()
                orm.expunge_all()
            assert len(rows) == len(expected), plan.sql
            for ours, theirs in zip(rows, expected, strict=True):
                assert ours._fields == theirs._fields, plan.sql
                assert all(_same(a, b) for a, b in zip(ours, theirs, strict=True)), plan.sql
                self.entities.update(type(v).__name__ for v in ours if hasattr(v, "__table__"))
            self.statements.append(plan.sql)
            self.rows += len(rows)
            return rows

        monkeypatch.setattr(direct_reads, "_run", checked)


async def _variables(session_factory: Any) -> dict[str, Any]:
    async with session_factory() as session:
        product = await session.scalar(select(Product).order_by(Product.id).limit(1))
        shop = await session.scalar(select(Shop).order_by(Shop.id).limit(1))
    assert product is not None and shop is not None
    node_id = base64.b64encode(f"Product:{product.id}".encode()).decode()
    return {"after": None, "slug": shop.slug, "id": node_id}


@pytest.mark.parametrize("cached", [False, True], ids=["cache off", "snapshot of the cache"])
async def test_direct_reads_give_what_sqlalchemy_gives(
    app, client, session_factory, monkeypatch, cached: bool
) -> None:
    await seed(session_factory, MemoryStore())
    if not cached:
        app.state.runtime.response_cache = None
    token = (await client.register("direct@example.re"))["accessToken"]
    compared = Compared(monkeypatch)
    variables = await _variables(session_factory)
    cursor = None
    for document in PAGES:
        used = {name: variables[name] for name in variables if f"${name}" in document}
        for signed_in in (None, token):
            body = await client(document, used, token=signed_in)
            assert "errors" not in body, body
        if "endCursor" in document:
            cursor = body["data"]["products"]["pageInfo"]["endCursor"]
    assert (await client(PAGES[0], {"after": cursor}))["data"]["products"]["edges"]
    assert (await client("{ viewer { email } }", token=token))["data"]["viewer"]
    kinds = " ".join(compared.statements)
    for table in ("FROM product ", "FROM product_image", "FROM promotion ", "count("):
        assert table in kinds, f"no direct read {table!r}"
    # The response cache's versions, read on each hit and with each answer kept.
    assert ("FROM catalogue_listing_version" in kinds) is cached
    assert compared.entities >= {"Product", "Shop", "User"}
    assert compared.rows > 40


async def test_a_failing_direct_read_invalidates_the_connection(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        reads = RequestReads(engine, held=True)
        # Both refuse it while running it: « bigint out of range », « integer overflow ».
        failing = select(func.abs(bindparam("n", type_=BigInteger)))
        async with reads() as session:
            assert direct_reads.direct(failing, session.bind.dialect) is not None
            with pytest.raises(Exception, match=r"range|overflow"):
                await direct_reads.fetch(session, failing, {"n": -(2**63)})
            assert session.bind.invalidated
        await reads.close()
        async with engine.connect() as fresh:  # the pool hands out a sound connection
            assert (await fresh.execute(select(literal(7)))).scalar_one() == 7
    finally:
        await engine.dispose()


def test_the_cache_refuses_a_direct_read_outside_the_catalogue() -> None:
    """``check_tables`` does for a direct read what the session's check does for the others."""
    catalogue = select(Product.__table__.c.id).join(Shop.__table__)  # type: ignore[attr-defined]
    accounts = select(User.__table__.c.id)  # type: ignore[attr-defined]
    viewer_fact = accounts.execution_options(**{VIEWER_FACT: True})

    def tables(statement: Any) -> frozenset[Any]:
        from sqlalchemy.dialects import postgresql

        plan = direct_reads.direct(statement, postgresql.asyncpg.dialect())
        assert plan is not None
        return plan.tables

    scope = CacheScope()
    scope.check_tables(tables(catalogue), catalogue)
    scope.check_tables(tables(viewer_fact), viewer_fact)
    assert scope.refused is None
    scope.check_tables(tables(accounts), accounts)
    assert scope.refused == "reads user_account"


async def test_a_session_that_writes_gets_its_own_entities(database_url, session_factory) -> None:
    """Entities come from the driver only in a read session: a session that writes gets them
    through the ORM, in its identity map, so that its changes to them are flushed."""
    from otesaintjo.direct_reads import READS_ONLY
    from tests.support.catalogue import make_catalogue

    [shop], _ = await make_catalogue(session_factory, [{}])
    statement = select(Shop).where(Shop.id == bindparam("id"))
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.begin()
            writing = AsyncSession(bind=connection, expire_on_commit=False)
            [(written,)] = await direct_reads.fetch(writing, statement, {"id": shop.id})
            assert written in writing
            reading = AsyncSession(bind=connection, info={READS_ONLY: True})
            [(read,)] = await direct_reads.fetch(reading, statement, {"id": shop.id})
            assert read not in reading and inspect(read).detached and read.name == shop.name
            await connection.rollback()
    finally:
        await engine.dispose()
