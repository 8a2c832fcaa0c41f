"""Reviews of the marketplace itself: listed for everyone with the average, one per customer
(edited, never doubled), moderated by staff with the audit log."""

from __future__ import annotations

from sqlalchemy import select, update

from otesaintjo.models import AuditEntry, User
from tests.support.graphql import error_codes

CREATE = """mutation($r: Int!, $c: String!) { createPlatformReview(input: {rating: $r, comment: $c}) {
  review { id rating comment } userErrors { code } } }"""
UPDATE = """mutation($r: Int!, $c: String!) { updatePlatformReview(input: {rating: $r, comment: $c}) {
  review { id rating comment } userErrors { code } } }"""
HIDE = """mutation($id: ID!) { hidePlatformReview(input: {reviewId: $id, reason: "Injurieux"}) {
  review { id hiddenReason } userErrors { code } } }"""
LIST = """{ platformRating { average count }
  platformReviews(first: 10) { totalCount edges { node { rating comment authorName viewerCanEdit } } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on PlatformReview { rating hiddenReason } } }"""


async def staff(client, session_factory, email: str) -> str:
    token = (await client.register(email))["accessToken"]
    async with session_factory() as session, session.begin():
        await session.execute(update(User).where(User.email == email).values(is_staff=True))
    return token


async def test_one_review_per_customer_listed_with_the_average(client) -> None:
    lea = (await client.register("lea@example.re"))["accessToken"]
    paul = (await client.register("paul@example.re", firstName="Paul"))["accessToken"]
    first = (await client(CREATE, {"r": 5, "c": "Pratique !"}, token=lea))["data"]
    assert first["createPlatformReview"]["userErrors"] == []
    again = (await client(CREATE, {"r": 1, "c": "Encore"}, token=lea))["data"]
    assert again["createPlatformReview"]["userErrors"] == [{"code": "REVIEW_EXISTS"}]
    await client(CREATE, {"r": 2, "c": "Lent"}, token=paul)
    edited = await client(UPDATE, {"r": 4, "c": "Pratique, livraison rapide"}, token=lea)
    assert edited["data"]["updatePlatformReview"]["review"]["rating"] == 4
    listed = (await client(LIST, token=lea))["data"]
    assert listed["platformRating"] == {"average": 3.0, "count": 2}
    nodes = [e["node"] for e in listed["platformReviews"]["edges"]]
    assert [(n["authorName"], n["rating"], n["viewerCanEdit"]) for n in nodes] == [
        ("Paul T.", 2, False),
        ("Léa T.", 4, True),
    ]
    nobody = await client(
        UPDATE, {"r": 5, "c": ""}, token=(await client.register("x@example.re"))["accessToken"]
    )
    assert nobody["data"]["updatePlatformReview"]["userErrors"] == [{"code": "NOT_FOUND"}]
    anonymous = await client(CREATE, {"r": 5, "c": ""})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_staff_hide_a_review_and_the_log_says_so(client, session_factory) -> None:
    lea = (await client.register("lea@example.re"))["accessToken"]
    review = (await client(CREATE, {"r": 1, "c": "Nuls !!!"}, token=lea))["data"][
        "createPlatformReview"
    ]["review"]
    refused = await client(HIDE, {"id": review["id"]}, token=lea)
    assert error_codes(refused) == ["FORBIDDEN"]
    moderator = await staff(client, session_factory, "staff@example.re")
    hidden = (await client(HIDE, {"id": review["id"]}, token=moderator))["data"]
    assert hidden["hidePlatformReview"]["review"]["hiddenReason"] == "Injurieux"
    listed = (await client(LIST))["data"]
    assert listed["platformRating"] == {"average": None, "count": 0}
    assert listed["platformReviews"]["totalCount"] == 0
    assert (await client(NODE, {"id": review["id"]}))["data"]["node"] is None
    seen_by_staff = (await client(NODE, {"id": review["id"]}, token=moderator))["data"]["node"]
    assert seen_by_staff == {"rating": 1, "hiddenReason": "Injurieux"}
    async with session_factory() as session:
        entries = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert entries == ["hide_platform_review"]
