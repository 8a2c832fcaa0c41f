"""Verified reviews, the shop's rating, moderation; customer service tickets and hours; the
staff audit log."""

from __future__ import annotations

import asyncio
from datetime import datetime

import time_machine
from sqlalchemy import select

from otesaintjo.clock import REUNION
from otesaintjo.models import AuditEntry, User
from tests.support.buying import Town, buy, ok
from tests.support.orders import COLLECTED, READY

REVIEW = """mutation($input: CreateShopReviewInput!) { createShopReview(input: $input) {
  review { id rating comment verifiedPurchase authorName } userErrors { field code } } }"""
EDIT = """mutation($input: UpdateShopReviewInput!) { updateShopReview(input: $input) {
  review { rating comment } userErrors { code } } }"""
REPLY = """mutation($input: ReplyToShopReviewInput!) { replyToShopReview(input: $input) {
  review { reply } userErrors { code } } }"""
HIDE = """mutation($input: HideShopReviewInput!) { hideShopReview(input: $input) {
  review { hiddenReason } userErrors { code } } }"""
SHOP = """query($s: ID!) { node(id: $s) { ... on Shop { rating { average count }
  reviews { totalCount edges { node { rating comment reply authorName } } } } } }"""
CONTACT = """mutation($input: ContactSupportInput!) { contactSupport(input: $input) {
  ticket { id subject status messages { body fromStaff } } userErrors { field code } } }"""
ANSWER = """mutation($input: AnswerSupportTicketInput!) { answerSupportTicket(input: $input) {
  ticket { status messages { body fromStaff } } userErrors { code } } }"""
CLOSE = """mutation($input: CloseSupportTicketInput!) { closeSupportTicket(input: $input) {
  ticket { status } userErrors { code } } }"""
TICKET = """query($id: ID!) { node(id: $id) { ... on SupportTicket { id subject } } }"""
INFO = "{ platformInfo { supportOpenNow nextSupportOpening supportEmail } }"


async def collected_customer(client, offline_stripe, town: Town, email: str) -> str:
    """A customer who collected an order at the grocer's."""
    token = await town.customer(email)
    (order,) = (await buy(client, offline_stripe, town, token, bread=0, rice=1))["orders"]
    ready = await ok(client(READY, {"o": order["id"]}, token=town.grocer_token), "markOrderReady")
    del ready
    mine = await client(
        "query($id: ID!) { node(id: $id) { ... on Order { pickupCode } } }",
        {"id": order["id"]},
        token=token,
    )
    code = mine["data"]["node"]["pickupCode"]
    await ok(
        client(COLLECTED, {"o": order["id"], "c": code}, token=town.grocer_token),
        "markOrderCollected",
    )
    return token


async def make_staff(session_factory, email: str) -> None:
    async with session_factory() as session:
        user = (await session.execute(select(User).where(User.email == email))).scalar_one()
        user.is_staff = True
        await session.commit()


async def test_only_verified_buyers_review_once(client, offline_stripe, session_factory) -> None:
    town = await Town(client).build()
    shop = town.grocer["id"]
    window_shopper = await town.customer("curieux@example.re")
    refused = await client(REVIEW, {"input": {"shopId": shop, "rating": 5}}, token=window_shopper)
    assert [e["code"] for e in refused["data"]["createShopReview"]["userErrors"]] == [
        "REVIEW_NOT_ALLOWED"
    ]
    buyer = await collected_customer(client, offline_stripe, town, "client@example.re")
    created = await ok(
        client(
            REVIEW, {"input": {"shopId": shop, "rating": 4, "comment": "Bon riz."}}, token=buyer
        ),
        "createShopReview",
    )
    assert created["review"]["verifiedPurchase"] is True
    assert created["review"]["authorName"] == "Léa T."
    twice = await client(REVIEW, {"input": {"shopId": shop, "rating": 1}}, token=buyer)
    assert [e["code"] for e in twice["data"]["createShopReview"]["userErrors"]] == ["REVIEW_EXISTS"]
    bad = await client(
        EDIT, {"input": {"reviewId": created["review"]["id"], "rating": 6}}, token=buyer
    )
    assert [e["code"] for e in bad["data"]["updateShopReview"]["userErrors"]] == ["INVALID_RATING"]
    edited = await ok(
        client(
            EDIT,
            {"input": {"reviewId": created["review"]["id"], "rating": 2, "comment": "Bof."}},
            token=buyer,
        ),
        "updateShopReview",
    )
    assert edited["review"] == {"rating": 2, "comment": "Bof."}
    other = await client(
        EDIT, {"input": {"reviewId": created["review"]["id"], "rating": 5}}, token=window_shopper
    )
    assert [e["code"] for e in other["data"]["updateShopReview"]["userErrors"]] == ["NOT_FOUND"]

    # The shop replies once; staff hide the review: it leaves the rating.
    replied = await ok(
        client(
            REPLY,
            {"input": {"reviewId": created["review"]["id"], "reply": "Merci !"}},
            token=town.grocer_token,
        ),
        "replyToShopReview",
    )
    assert replied["review"]["reply"] == "Merci !"
    again = await client(
        REPLY,
        {"input": {"reviewId": created["review"]["id"], "reply": "Encore"}},
        token=town.grocer_token,
    )
    assert [e["code"] for e in again["data"]["replyToShopReview"]["userErrors"]] == ["REPLY_EXISTS"]
    page = (await client(SHOP, {"s": shop}))["data"]["node"]
    assert page["rating"] == {"average": 2.0, "count": 1}
    assert page["reviews"]["edges"][0]["node"]["reply"] == "Merci !"

    not_staff = await client(
        HIDE, {"input": {"reviewId": created["review"]["id"], "reason": "x"}}, token=buyer
    )
    assert not_staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = (await client.register("staff@example.re"))["accessToken"]
    await make_staff(session_factory, "staff@example.re")
    hidden = await ok(
        client(
            HIDE,
            {"input": {"reviewId": created["review"]["id"], "reason": "Propos injurieux"}},
            token=staff,
        ),
        "hideShopReview",
    )
    assert hidden["review"]["hiddenReason"] == "Propos injurieux"
    page = (await client(SHOP, {"s": shop}))["data"]["node"]
    assert page["rating"] == {"average": None, "count": 0}
    assert page["reviews"]["totalCount"] == 0
    async with session_factory() as session:
        (entry,) = (await session.execute(select(AuditEntry))).scalars().all()
    assert (entry.action, entry.target_type, entry.details) == (
        "hide_review",
        "ShopReview",
        {"reason": "Propos injurieux"},
    )


async def test_concurrent_reviews_keep_the_average_right(client, offline_stripe) -> None:
    town = await Town(client).build()
    buyers = [
        await collected_customer(client, offline_stripe, town, f"client{i}@example.re")
        for i in range(6)
    ]
    ratings = [5, 4, 3, 5, 1, 2]
    answers = await asyncio.gather(
        *[
            client(REVIEW, {"input": {"shopId": town.grocer["id"], "rating": r}}, token=token)
            for token, r in zip(buyers, ratings, strict=True)
        ]
    )
    assert all(a["data"]["createShopReview"]["userErrors"] == [] for a in answers)
    page = (await client(SHOP, {"s": town.grocer["id"]}))["data"]["node"]
    assert page["rating"] == {"average": round(sum(ratings) / 6, 1), "count": 6}


async def test_platform_review_by_any_customer(client) -> None:
    token = (await client.register("client@example.re"))["accessToken"]
    body = await client(
        """mutation { createPlatformReview(input: {rating: 5, comment: "Pratique !"}) {
           review { rating comment } userErrors { code } } }""",
        token=token,
    )
    assert body["data"]["createPlatformReview"]["review"] == {"rating": 5, "comment": "Pratique !"}
    anonymous = await client(
        "mutation { createPlatformReview(input: {rating: 5}) { review { rating } } }"
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_support_tickets(client, offline_stripe, session_factory, mailbox) -> None:
    town = await Town(client).build()
    customer = await town.customer("client@example.re")
    (order,) = (await buy(client, offline_stripe, town, customer, bread=0, rice=1))["orders"]
    ticket = await ok(
        client(
            CONTACT,
            {
                "input": {
                    "subject": "Retard",
                    "message": "Où est ma commande ?",
                    "orderId": order["id"],
                }
            },
            token=customer,
        ),
        "contactSupport",
    )
    assert ticket["ticket"]["status"] == "OPEN"
    # The shop's merchant may open a ticket about the order too; a stranger may not.
    merchant = await client(
        CONTACT,
        {"input": {"subject": "Client", "message": "Question", "orderId": order["id"]}},
        token=town.grocer_token,
    )
    assert merchant["data"]["contactSupport"]["userErrors"] == []
    stranger = await town.customer("curieux@example.re")
    refused = await client(
        CONTACT,
        {"input": {"subject": "x", "message": "y", "orderId": order["id"]}},
        token=stranger,
    )
    assert [e["code"] for e in refused["data"]["contactSupport"]["userErrors"]] == ["NOT_FOUND"]
    assert (await client(TICKET, {"id": ticket["ticket"]["id"]}, token=stranger))["data"][
        "node"
    ] is None
    assert (await client(TICKET, {"id": ticket["ticket"]["id"]}, token=town.grocer_token))["data"][
        "node"
    ] is None

    staff = (await client.register("staff@example.re"))["accessToken"]
    await make_staff(session_factory, "staff@example.re")
    listed = await client("{ supportTickets(status: OPEN) { totalCount } }", token=staff)
    assert listed["data"]["supportTickets"]["totalCount"] == 2
    assert (await client("{ supportTickets { totalCount } }", token=customer))["errors"]
    answered = await ok(
        client(
            ANSWER,
            {"input": {"ticketId": ticket["ticket"]["id"], "message": "Elle est prête !"}},
            token=staff,
        ),
        "answerSupportTicket",
    )
    assert answered["ticket"]["status"] == "ANSWERED"
    assert answered["ticket"]["messages"][-1] == {"body": "Elle est prête !", "fromStaff": True}
    (email,) = await mailbox.wait_for_subject("Réponse du service client : Retard")
    assert "Elle est prête !" in email.get_body(("plain",)).get_content()
    closed = await ok(
        client(CLOSE, {"input": {"ticketId": ticket["ticket"]["id"]}}, token=staff),
        "closeSupportTicket",
    )
    assert closed["ticket"]["status"] == "CLOSED"
    late = await client(
        ANSWER, {"input": {"ticketId": ticket["ticket"]["id"], "message": "…"}}, token=staff
    )
    assert [e["code"] for e in late["data"]["answerSupportTicket"]["userErrors"]] == [
        "TICKET_CLOSED"
    ]
    async with session_factory() as session:
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert actions == ["answer_ticket", "close_ticket"]
    log = await client(
        "{ auditLog { edges { node { action targetType staffEmail } } } }", token=staff
    )
    assert [e["node"] for e in log["data"]["auditLog"]["edges"]] == [
        {"action": "close_ticket", "targetType": "SupportTicket", "staffEmail": "staff@example.re"},
        {
            "action": "answer_ticket",
            "targetType": "SupportTicket",
            "staffEmail": "staff@example.re",
        },
    ]
    refused = await client("{ auditLog { totalCount } }", token=customer)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_support_hours_follow_reunion_holidays(client) -> None:
    cases = {
        datetime(2026, 12, 18, 17, 59, tzinfo=REUNION): (True, "2026-12-18T10:00:00+04:00"),
        datetime(2026, 12, 18, 18, 0, tzinfo=REUNION): (False, "2026-12-21T10:00:00+04:00"),
        # 20 December 2027 is a Monday: abolition of slavery, closed.
        datetime(2027, 12, 20, 11, 0, tzinfo=REUNION): (False, "2027-12-21T10:00:00+04:00"),
        datetime(2026, 12, 25, 9, 0, tzinfo=REUNION): (False, "2026-12-28T10:00:00+04:00"),
    }
    for moment, (open_now, next_opening) in cases.items():
        with time_machine.travel(moment, tick=False):
            info = (await client(INFO))["data"]["platformInfo"]
        assert (info["supportOpenNow"], info["nextSupportOpening"]) == (open_now, next_opening)
