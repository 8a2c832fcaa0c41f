"""Keyset pagination of connections, and SQL statement counts that do not grow with the page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from strawberry.relay import to_base64

from otesaintjo.clock import utcnow
from otesaintjo.models import AuthSession, User
from tests.support.graphql import error_codes
from tests.support.statements import count_statements

SESSIONS = """
query($after: String) {
  viewer { sessions(first: 100, after: $after) {
    totalCount edges { cursor node { id isCurrent } } pageInfo { hasNextPage endCursor }
  } }
}"""


async def test_250_sessions_page_without_gaps_or_repeats(client, session_factory) -> None:
    registered = await client.register("lea@example.re")
    token = registered["accessToken"]
    now = utcnow()
    async with session_factory() as session, session.begin():
        user_id = (await session.execute(select(User.id))).scalar_one()
        # Same created_at for many rows: the id breaks ties in the keyset.
        session.add_all(
            AuthSession(
                user_id=user_id,
                created_at=now - timedelta(minutes=i // 3),
                expires_at=now + timedelta(days=1),
            )
            for i in range(249)
        )
    seen: list[str] = []
    cursors: list[str] = []
    after = None
    while True:
        body = await client(SESSIONS, {"after": after}, token=token)
        connection = body["data"]["viewer"]["sessions"]
        assert connection["totalCount"] == 250
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        cursors.append(after)
    assert len(cursors) == 2  # three pages: 100, 100, 50
    assert len(seen) == len(set(seen)) == 250
    # A row of page 1 disappears before page 2 is read: page 2 neither skips nor repeats
    # (an OFFSET would skip one row here).
    async with session_factory() as session, session.begin():
        await session.execute(update(AuthSession).where(AuthSession.id == 3).values(revoked_at=now))
    second = await client(SESSIONS, {"after": cursors[0]}, token=token)
    ids = [e["node"]["id"] for e in second["data"]["viewer"]["sessions"]["edges"]]
    assert ids == seen[100:200]


async def test_a_bad_cursor_is_a_client_error(client) -> None:
    token = (await client.register("lea@example.re"))["accessToken"]
    body = await client(SESSIONS, {"after": "pas-un-curseur"}, token=token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_nodes_cost_the_same_statements_for_5_or_50_users(
    app, client, session_factory
) -> None:
    staff = await client.register("staff@example.re")
    async with session_factory() as session, session.begin():
        await session.execute(update(User).values(is_staff=True))
        session.add_all(
            User(email=f"u{i}@example.re", password_hash="x", first_name="U", last_name=str(i))
            for i in range(50)
        )
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { email lastName } } }"
    counts = []
    for n in (5, 50):
        ids = [to_base64("User", i) for i in range(2, 2 + n)]
        # The first time, ``nodes`` is tried for the shared response cache (a snapshot: BEGIN,
        # ROLLBACK); users are no catalogue, so the cache remembers not to try it again.
        await client(query, {"ids": ids}, token=staff["accessToken"])
        with count_statements(app.state.runtime.engine) as statements:
            body = await client(query, {"ids": ids}, token=staff["accessToken"])
        assert len([node for node in body["data"]["nodes"] if node]) == n
        counts.append(len(statements))
    assert counts == [2, 2]  # the viewer, then one batched load of every user asked
