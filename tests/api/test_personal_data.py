"""Personal data through the API (GDPR art. 15, 17, 20): the export archive and its emailed
link, the erasure of an account and a look in the database afterwards, merchants losing the
customer's phone and address after the withdrawal period, and the retention rules."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select, update
from typer.testing import CliRunner

from otesaintjo.cli import app as cli
from otesaintjo.clock import REUNION, utcnow
from otesaintjo.models import (
    AuthSession,
    Cart,
    DataExport,
    Invoice,
    Job,
    LoginThrottle,
    NewsletterSubscription,
    PasswordResetToken,
    SupportTicket,
    TicketMessage,
    User,
)
from otesaintjo.models.base import metadata
from otesaintjo.services import retention
from otesaintjo.services.outbox import EMAIL_JOB
from otesaintjo.services.personal_data import EXPORT_EXPIRY_JOB
from tests.doubles.smtp import text_of, wait_until
from tests.support.buying import ADD, Town, buy, jobs_done, ok
from tests.support.graphql import PASSWORD, VIEWER, error_codes
from tests.support.orders import COLLECTED, READY
from tests.support.returns import REQUEST, delivered_rice, return_of

EXPORT = """mutation { requestMyDataExport {
  dataExport { status requestedAt readyAt expiresAt } userErrors { field code message } } }"""
DELETE = """mutation($p: String!) { deleteMyAccount(input: {password: $p}) {
  deleted userErrors { field code message } } }"""
REVIEW = """mutation($input: CreateShopReviewInput!) { createShopReview(input: $input) {
  review { id } userErrors { code } } }"""
PLATFORM_REVIEW = """mutation { createPlatformReview(input: {rating: 5, comment: "Pratique !"}) {
  review { id } userErrors { code } } }"""
CONTACT = """mutation($input: ContactSupportInput!) { contactSupport(input: $input) {
  ticket { id } userErrors { code } } }"""
ANSWER = """mutation($input: AnswerSupportTicketInput!) { answerSupportTicket(input: $input) {
  ticket { status } userErrors { code } } }"""
CLOSE = """mutation($input: CloseSupportTicketInput!) { closeSupportTicket(input: $input) {
  ticket { status } userErrors { code } } }"""
RESET = "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { userErrors { code } } }"
CONTACT_FIELDS = """query($id: ID!) { node(id: $id) { ... on Order {
  customer { firstName lastName phone address { street } } fulfilment { address { street } } } } }"""
SHOP_REVIEWS = """query($s: ID!) { node(id: $s) { ... on Shop { rating { count }
  reviews { edges { node { authorName comment } } } } } }"""
PLATFORM_REVIEWS = "{ platformReviews(first: 5) { edges { node { authorName comment } } } }"
MY_ORDERS = "{ viewer { email orders { totalCount } } }"
LINES = "query($id: ID!) { node(id: $id) { ... on Order { lines { id } } } }"

READY_SUBJECT = "Vos données Otesaintjo sont prêtes"
DELETED_SUBJECT = "Votre compte Otesaintjo est supprimé"
LINK = re.compile(r"https://otesaintjo\.test(/exports/(\d+)\.json)\?token=([A-Za-z0-9_\-.]+)")

EMAIL = "mireille@example.re"
# What identifies the customer: none of it may stay outside the invoices after erasure.
MARKERS = ("mireille", "grondin", "+262693445566", "+262692123456", "bœuf mort")


async def make_staff(session_factory, email: str) -> str:
    async with session_factory() as session, session.begin():
        await session.execute(update(User).where(User.email == email).values(is_staff=True))
    return email


async def rich_customer(client, offline_stripe, session_factory, mailbox) -> dict[str, Any]:
    """A customer with something in every section: a delivered order (invoice), reviews of
    the shop and of the platform, a ticket answered by staff, a newsletter consent, a cart
    line, a reset link, a failed sign-in."""
    town = await Town(client).build()
    registered = await client.register(
        EMAIL, firstName="Mireille", lastName="Grondin", phone="0693 44 55 66", newsletter=True
    )
    token = registered["accessToken"]
    order = await delivered_rice(client, offline_stripe, town, token)
    shop = town.grocer["id"]
    await ok(
        client(
            REVIEW, {"input": {"shopId": shop, "rating": 4, "comment": "Bon riz."}}, token=token
        ),
        "createShopReview",
    )
    await ok(client(PLATFORM_REVIEW, token=token), "createPlatformReview")
    ticket = await ok(
        client(
            CONTACT,
            {
                "input": {
                    "subject": "Sac abîmé",
                    "message": "Mireille Grondin, 5 chemin Bœuf Mort : un sac est abîmé.",
                    "orderId": order["id"],
                }
            },
            token=token,
        ),
        "contactSupport",
    )
    staff = (await client.register("staff@example.re", firstName="Paul"))["accessToken"]
    await make_staff(session_factory, "staff@example.re")
    await ok(
        client(
            ANSWER,
            {"input": {"ticketId": ticket["ticket"]["id"], "message": "Bonjour Mireille, …"}},
            token=staff,
        ),
        "answerSupportTicket",
    )
    await ok(client(ADD, {"id": town.bread["id"], "q": 1}, token=token), "cartAddItem")
    await client(RESET, {"e": EMAIL})
    assert (await client.login(EMAIL, "pas-le-bon-mot-de-passe"))["userErrors"]
    await wait_until(lambda: jobs_done(session_factory, EMAIL_JOB), timeout=15)
    return {"town": town, "token": token, "order": order, "staff": staff}


async def export_link(client, mailbox, token: str, to: str = EMAIL) -> tuple[str, int, str]:
    """Ask for an export; the link of the email that arrives: (path?token, export id, token)."""
    already = len([m for m in mailbox.with_subject(READY_SUBJECT) if m["To"] == to])
    payload = await ok(client(EXPORT, token=token), "requestMyDataExport")
    assert payload["dataExport"]["status"] == "PENDING"
    assert payload["dataExport"]["expiresAt"] is None
    await wait_until(
        lambda: len([m for m in mailbox.with_subject(READY_SUBJECT) if m["To"] == to]) > already
    )
    message = [m for m in mailbox.with_subject(READY_SUBJECT) if m["To"] == to][-1]
    text = text_of(message)
    assert "valable 7 jours" in text
    match = LINK.search(text)
    assert match, text
    return f"{match.group(1)}?token={match.group(3)}", int(match.group(2)), match.group(3)


async def test_export_archive_by_emailed_link(
    client, offline_stripe, session_factory, mailbox, app
) -> None:
    setup = await rich_customer(client, offline_stripe, session_factory, mailbox)
    link, export_id, link_token = await export_link(client, mailbox, setup["token"])

    response = await client.http.get(link)  # a plain <a href>: no Authorization header
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    assert "no-store" in response.headers["cache-control"]
    archive = response.json()
    assert set(archive) >= {
        "account",
        "sessions",
        "password_reset_requests",
        "sign_in_failures",
        "addresses",
        "carts",
        "purchases",
        "orders",
        "returns",
        "shop_reviews",
        "platform_reviews",
        "support_tickets",
        "newsletter",
        "shops",
        "audit_entries",
        "data_exports",
        "emails",
    }
    account = archive["account"]
    assert (account["email"], account["first_name"], account["last_name"]) == (
        EMAIL,
        "Mireille",
        "Grondin",
    )
    assert account["phone"] == "+262693445566"
    assert archive["sessions"] and all(s["ip_address"] for s in archive["sessions"])
    assert {"street": "5 chemin Bœuf Mort", "postcode": "97480", "town": "Saint-Joseph"} in [
        a["address"] for a in archive["addresses"]
    ]
    (order,) = archive["orders"]
    assert order["status"] == "DELIVERED" and order["shop"] == "Épicerie Hoarau"
    assert [(line["product"], line["quantity"]) for line in order["lines"]] == [("Riz", 2)]
    assert [i["kind"] for i in order["invoices"]] == ["INVOICE"]
    assert archive["purchases"][0]["contact_phone"] == "+262692123456"
    assert [r["comment"] for r in archive["shop_reviews"]] == ["Bon riz."]
    assert [r["rating"] for r in archive["platform_reviews"]] == [5]
    (ticket,) = archive["support_tickets"]
    assert [m["from_staff"] for m in ticket["messages"]] == [False, True]
    assert archive["newsletter"]["email"] == EMAIL
    assert [i["product"] for i in archive["carts"][0]["items"]] == ["Pain"]
    assert archive["password_reset_requests"] and archive["sign_in_failures"]
    assert "answer_ticket" in [e["action"] for e in archive["audit_entries"]]
    assert "Bienvenue sur Otesaintjo" in [e["subject"] for e in archive["emails"]]
    # What a session or a link is worth is never in it: no token, no hash of one.
    async with session_factory() as session:
        secrets = [
            *(await session.scalars(select(PasswordResetToken.token_hash))),
            (
                await session.execute(select(User.password_hash).where(User.email == EMAIL))
            ).scalar_one(),
        ]
    assert not any(secret in response.text for secret in secrets)
    assert "token_hash" not in response.text and "password_hash" not in response.text

    # Someone else: signed in as another customer, their own link on this export, or a link
    # whose export id was changed — all 404, as for an export that does not exist.
    other = (await client.register("voisin@example.re"))["accessToken"]
    signed_in = await client.http.get(link, headers={"Authorization": f"Bearer {other}"})
    assert signed_in.status_code == 404
    own = await client.http.get(link, headers={"Authorization": f"Bearer {setup['token']}"})
    assert own.status_code == 200
    _, other_export, other_token = await export_link(client, mailbox, other, "voisin@example.re")
    assert (
        await client.http.get(f"/exports/{export_id}.json?token={other_token}")
    ).status_code == 404
    assert (
        await client.http.get(f"/exports/{other_export}.json?token={link_token}")
    ).status_code == 404
    forged = link_token[:-1] + ("0" if link_token[-1] != "0" else "1")
    assert (await client.http.get(f"/exports/{export_id}.json?token={forged}")).status_code == 404
    assert (await client.http.get(f"/exports/{export_id}.json")).status_code == 404

    # The link lives 7 days; then it 404s and its file is deleted by the job due then.
    async with session_factory() as session:
        export = await session.get(DataExport, export_id)
    assert export is not None and export.expires_at is not None
    assert export.expires_at - export.ready_at == timedelta(days=7)  # type: ignore[operator]
    stored = app.state.runtime.private_store.root / export.blob_key
    assert stored.is_file()
    with time_machine.travel(export.expires_at - timedelta(minutes=1), tick=True):
        assert (await client.http.get(link)).status_code == 200
    with time_machine.travel(export.expires_at + timedelta(seconds=1), tick=False):
        assert (await client.http.get(link)).status_code == 404
    with time_machine.travel(export.expires_at + timedelta(minutes=5), tick=True):
        await wait_until(lambda: jobs_done(session_factory, EXPORT_EXPIRY_JOB), timeout=10)
    assert not stored.exists()
    async with session_factory() as session:
        assert (await session.get(DataExport, export_id)).status == "EXPIRED"  # type: ignore[union-attr]


async def test_three_exports_a_day(client, mailbox) -> None:
    token = (await client.register(EMAIL))["accessToken"]
    with time_machine.travel(utcnow(), tick=True) as traveller:
        for _ in range(3):
            await ok(client(EXPORT, token=token), "requestMyDataExport")
        refused = (await client(EXPORT, token=token))["data"]["requestMyDataExport"]
        assert [e["code"] for e in refused["userErrors"]] == ["TOO_MANY_EXPORTS"]
        assert refused["dataExport"] is None
        traveller.shift(timedelta(hours=24, seconds=1))
        token = (await client.login(EMAIL))["accessToken"]  # the access token lives 10 min
        await ok(client(EXPORT, token=token), "requestMyDataExport")
    anonymous = await client(EXPORT)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_deletion_refusals(client, offline_stripe, session_factory) -> None:
    town = await Town(client).build()
    token = (await client.register(EMAIL))["accessToken"]

    wrong = (await client(DELETE, {"p": "pas-le-bon"}, token=token))["data"]["deleteMyAccount"]
    assert wrong["deleted"] is False
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [
        (["password"], "INVALID_CREDENTIALS")
    ]
    assert (await client(VIEWER, token=token))["data"]["viewer"]["email"] == EMAIL

    # Paid, not yet collected: the shop still needs the customer's phone.
    (order,) = (await buy(client, offline_stripe, town, token, bread=0, rice=1))["orders"]
    busy = (await client(DELETE, {"p": PASSWORD}, token=token))["data"]["deleteMyAccount"]
    assert [e["code"] for e in busy["userErrors"]] == ["ORDER_IN_PROGRESS"]
    assert order["number"] in busy["userErrors"][0]["message"]
    ready = await ok(client(READY, {"o": order["id"]}, token=town.grocer_token), "markOrderReady")
    assert ready["order"]["status"] == "READY_FOR_PICKUP"
    still = (await client(DELETE, {"p": PASSWORD}, token=token))["data"]["deleteMyAccount"]
    assert [e["code"] for e in still["userErrors"]] == ["ORDER_IN_PROGRESS"]

    # The last owner of an open shop hands it over first.
    owner = (await client(DELETE, {"p": PASSWORD}, token=town.grocer_token))["data"][
        "deleteMyAccount"
    ]
    assert [e["code"] for e in owner["userErrors"]] == ["LAST_OWNER"]
    assert "Épicerie Hoarau" in owner["userErrors"][0]["message"]

    # Guessing the password through this door locks like a sign-in does.
    for _ in range(6):
        await client(DELETE, {"p": "pas-le-bon"}, token=token)
    locked = (await client(DELETE, {"p": PASSWORD}, token=token))["data"]["deleteMyAccount"]
    assert [e["code"] for e in locked["userErrors"]] == ["TOO_MANY_ATTEMPTS"]
    async with session_factory() as session:
        assert (
            await session.execute(select(User.erased_at).where(User.email == EMAIL))
        ).scalar_one() is None
    assert error_codes(await client(DELETE, {"p": PASSWORD})) == ["UNAUTHENTICATED"]


async def rows_mentioning(session_factory, markers: tuple[str, ...]) -> dict[str, list[dict]]:
    """Every row of every table whose text holds one of ``markers`` (case-insensitive)."""
    found: dict[str, list[dict]] = {}
    async with session_factory() as session:
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                text = json.dumps(dict(row), default=str, ensure_ascii=False).lower()
                if any(marker in text for marker in markers):
                    found.setdefault(table.name, []).append(dict(row))
    return found


async def test_erasure_keeps_the_invoices_and_nothing_else(
    client, offline_stripe, session_factory, mailbox, app
) -> None:
    setup = await rich_customer(client, offline_stripe, session_factory, mailbox)
    town, token, order = setup["town"], setup["token"], setup["order"]
    _, export_id, _ = await export_link(client, mailbox, token)
    await wait_until(lambda: jobs_done(session_factory, EMAIL_JOB), timeout=15)
    async with session_factory() as session:
        export = await session.get(DataExport, export_id)
        user_id = (await session.execute(select(User.id).where(User.email == EMAIL))).scalar_one()
    stored = app.state.runtime.private_store.root / export.blob_key  # type: ignore[union-attr]
    assert stored.is_file()

    done = await ok(client(DELETE, {"p": PASSWORD}, token=token), "deleteMyAccount")
    assert done["deleted"] is True
    [goodbye] = await mailbox.wait_for_subject(DELETED_SUBJECT)
    assert goodbye["To"] == EMAIL and "L123-22" in text_of(goodbye)

    # Every session closed at once; the address free for a new account.
    assert (await client(VIEWER, token=token))["data"]["viewer"] is None
    await wait_until(lambda: not stored.exists(), timeout=10)  # the job the erasure queued

    # The look in the database: the customer's identity is left on the invoice only (and in
    # the outbox's goodbye email and the shop's order emails until the 30-day purge).
    found = await rows_mentioning(session_factory, MARKERS)
    assert set(found) <= {"invoice", "job"}, {k: v for k, v in found.items() if k != "job"}
    (invoice,) = found["invoice"]
    assert invoice["snapshot"]["customer"] == {
        "name": "Mireille Grondin",
        "address": {"street": "5 chemin Bœuf Mort", "postcode": "97480", "town": "Saint-Joseph"},
    }
    for job in found["job"]:
        to = job["payload"].get("to") or job["payload"].get("email")
        assert to != EMAIL or job["payload"]["subject"] == DELETED_SUBJECT, job
    async with session_factory() as session:
        user = await session.get(User, user_id)
        assert user is not None and user.erased_at is not None
        assert (user.email, user.first_name, user.last_name, user.phone, user.is_staff) == (
            f"erased-{user_id}@erased.invalid",
            "Client",
            "",
            None,
            False,
        )
        for model, column in (
            (AuthSession, AuthSession.user_id),
            (PasswordResetToken, PasswordResetToken.user_id),
            (Cart, Cart.user_id),
            (SupportTicket, SupportTicket.user_id),
            (DataExport, DataExport.user_id),
        ):
            assert (await session.execute(select(model).where(column == user_id))).first() is None
        assert (await session.execute(select(TicketMessage))).first() is None  # all were hers
        assert (await session.execute(select(NewsletterSubscription))).first() is None
        assert (
            await session.execute(select(LoginThrottle).where(LoginThrottle.key.contains(EMAIL)))  # type: ignore[attr-defined]
        ).first() is None
        assert (await session.execute(select(Invoice))).scalars().one()  # kept, as issued

    # Signing in with the old address fails (and counts, in a throttle row kept a day).
    assert (await client.login(EMAIL))["userErrors"][0]["code"] == "INVALID_CREDENTIALS"

    # 30 days on, the retention job has taken the outbox's copies too: the invoice is all.
    await retention.purge(
        session_factory, app.state.runtime.private_store, utcnow() + timedelta(days=31)
    )
    assert set(await rows_mentioning(session_factory, MARKERS)) == {"invoice"}

    # The shop keeps its order (and can still download the invoice), with « Client » and no
    # contact; the reviews stay, signed « Client ».
    seen = (await client(CONTACT_FIELDS, {"id": order["id"]}, token=town.grocer_token))["data"][
        "node"
    ]
    assert seen["customer"] == {
        "firstName": "Client",
        "lastName": "",
        "phone": None,
        "address": None,
    }
    assert seen["fulfilment"]["address"] is None
    pdf = await client.http.get(
        f"/invoices/{invoice['id']}.pdf", headers={"Authorization": f"Bearer {town.grocer_token}"}
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    shop = (await client(SHOP_REVIEWS, {"s": town.grocer["id"]}))["data"]["node"]
    assert shop["rating"]["count"] == 1
    assert [e["node"] for e in shop["reviews"]["edges"]] == [
        {"authorName": "Client", "comment": "Bon riz."}
    ]
    platform = (await client(PLATFORM_REVIEWS))["data"]["platformReviews"]["edges"]
    assert [e["node"] for e in platform] == [{"authorName": "Client", "comment": "Pratique !"}]

    again = await client.register(EMAIL, firstName="Mireille", lastName="Grondin")
    mine = (await client(MY_ORDERS, token=again["accessToken"]))["data"]["viewer"]
    assert mine == {"email": EMAIL, "orders": {"totalCount": 0}}


# Thursday 3 December 2026, 10:00 in La Réunion: the withdrawal period ends on Thursday
# 17 December at 23:59:59 Réunion time (L221-18, L221-19).
RECEIVED = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
LAST_INSTANT = datetime(2026, 12, 17, 23, 59, 59, tzinfo=REUNION)


async def test_merchants_lose_phone_and_address_after_the_withdrawal_period(
    client, offline_stripe, session_factory
) -> None:
    with time_machine.travel(RECEIVED, tick=True):
        town = await Town(client).build()
        customer = (await client.register(EMAIL))["accessToken"]
        kept = await delivered_rice(client, offline_stripe, town, customer)
        sent_back = await delivered_rice(client, offline_stripe, town, customer, quantity=1)
        sent_back |= (await client(LINES, {"id": sent_back["id"]}, token=customer))["data"]["node"]
        await ok(
            client(REQUEST, {"input": return_of(sent_back, (0, 1))}, token=customer),
            "requestReturn",
        )
        await client.register("staff@example.re")
        await make_staff(session_factory, "staff@example.re")

    async def contact(order: dict[str, Any], email: str, moment: datetime) -> dict[str, Any]:
        """What ``email`` sees of the customer at ``moment`` (signed in then)."""
        with time_machine.travel(moment, tick=False):
            token = (await client.login(email))["accessToken"]
            body = await client(CONTACT_FIELDS, {"id": order["id"]}, token=token)
        node = body["data"]["node"]
        phone, address = node["customer"]["phone"], node["customer"]["address"]
        assert node["fulfilment"]["address"] == address
        return {"phone": phone, "address": address and address["street"]}

    full = {"phone": "+262692123456", "address": "5 chemin Bœuf Mort"}
    none = {"phone": None, "address": None}
    after = LAST_INSTANT + timedelta(seconds=1)
    grocer = "epicier@example.re"
    assert await contact(kept, grocer, LAST_INSTANT) == full
    assert await contact(kept, grocer, after) == none
    assert await contact(sent_back, grocer, after) == full  # a return is still open
    assert await contact(kept, EMAIL, after) == full
    assert await contact(kept, "staff@example.re", after) == full
    # Past the period the name stays: the order and its invoice are the shop's records.
    with time_machine.travel(after, tick=False):
        token = (await client.login(grocer))["accessToken"]
        node = (await client(CONTACT_FIELDS, {"id": kept["id"]}, token=token))["data"]["node"]
    assert node["customer"]["firstName"] == "Léa"


async def test_pickup_phone_only_while_the_order_is_served(
    client, offline_stripe, session_factory
) -> None:
    """Click and collect: the phone from payment to collection, then the 14 days."""
    town = await Town(client).build()
    customer = (await client.register(EMAIL))["accessToken"]
    (order,) = (await buy(client, offline_stripe, town, customer, bread=0, rice=1))["orders"]
    grocer = town.grocer_token
    query = """query($id: ID!) { node(id: $id) { ... on Order { pickupCode
      customer { phone address { street } } } } }"""
    seen = (await client(query, {"id": order["id"]}, token=grocer))["data"]["node"]
    assert seen["customer"] == {"phone": "+262692123456", "address": None}
    await ok(client(READY, {"o": order["id"]}, token=grocer), "markOrderReady")
    code = (await client(query, {"id": order["id"]}, token=customer))["data"]["node"]["pickupCode"]
    await ok(client(COLLECTED, {"o": order["id"], "c": code}, token=grocer), "markOrderCollected")
    with time_machine.travel(utcnow() + timedelta(days=30), tick=False):
        grocer = (await client.login("epicier@example.re"))["accessToken"]
        late = (await client(query, {"id": order["id"]}, token=grocer))["data"]["node"]
    assert late["customer"] == {"phone": None, "address": None}


async def test_retention_rules(client, session_factory, app, database_url, monkeypatch) -> None:
    town = await Town(client).build()
    customer = (await client.register(EMAIL, newsletter=True))["accessToken"]
    await ok(client(ADD, {"id": town.bread["id"], "q": 1}, token=customer), "cartAddItem")
    await ok(client(ADD, {"id": town.bread["id"], "q": 1}), "cartAddItem")  # anonymous cart
    await client(
        "mutation { logout { closedSessions } }", token=(await client.login(EMAIL))["accessToken"]
    )
    await client(RESET, {"e": EMAIL})
    assert (await client.login(EMAIL, "pas-le-bon-mot-de-passe"))["userErrors"]
    ticket = await ok(
        client(CONTACT, {"input": {"subject": "Question", "message": "Bonjour"}}, token=customer),
        "contactSupport",
    )
    staff = (await client.register("staff@example.re"))["accessToken"]
    await make_staff(session_factory, "staff@example.re")
    await ok(
        client(CLOSE, {"input": {"ticketId": ticket["ticket"]["id"]}}, token=staff),
        "closeSupportTicket",
    )
    await wait_until(lambda: jobs_done(session_factory, EMAIL_JOB), timeout=15)
    await wait_until(lambda: jobs_done(session_factory, "accounts.password_reset"), timeout=15)
    store = app.state.runtime.private_store
    now = utcnow()

    async def count(model: Any) -> int:
        async with session_factory() as session:
            return len((await session.execute(select(model))).all())

    before = {m: await count(m) for m in (Cart, AuthSession, SupportTicket, LoginThrottle)}
    assert (await retention.purge(session_factory, store, now))["anonymous_carts"] == 0
    assert {m: await count(m) for m in before} == before

    month = await retention.purge(session_factory, store, now + timedelta(days=31))
    assert month["anonymous_carts"] == 1 and month["customer_carts"] == 0
    assert month["sessions"] == 1  # the one logged out; the others live 30 days after use
    assert month["password_reset_tokens"] == 1
    assert month["login_throttle"] >= 2  # the pair and the account keys, at least
    assert month["done_jobs"] > 0
    assert month["unconfirmed_newsletter"] == 1
    assert month["closed_tickets"] == 0
    assert await count(Cart) == 1 and await count(LoginThrottle) == 0

    season = await retention.purge(session_factory, store, now + timedelta(days=91))
    assert season["customer_carts"] == 1
    assert season["sessions"] == 4  # the two merchants', the customer's, staff's: expired
    assert season["closed_tickets"] == 0
    later = await retention.purge(session_factory, store, now + timedelta(days=731))
    assert later["closed_tickets"] == 1
    assert await count(SupportTicket) == 0 and await count(TicketMessage) == 0

    # Scheduled daily through the outbox: once, at 03:30 Réunion time; the run schedules the
    # next. `otesaintjo retention` purges at once and makes sure it is scheduled.
    monkeypatch.setenv("OTESAINTJO_DATABASE_URL", database_url)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["retention"])
    assert result.exit_code == 0, result.output
    assert "closed_tickets" in result.output
    assert await retention.ensure_scheduled(session_factory, now) is False
    async with session_factory() as session:
        (job,) = (
            await session.execute(select(Job).where(Job.kind == retention.RETENTION_JOB))
        ).scalars()
    local = job.run_at.astimezone(REUNION)
    assert (local.hour, local.minute) == (3, 30) and job.run_at > now
    assert job.run_at - now <= timedelta(days=1)
    with time_machine.travel(job.run_at + timedelta(seconds=1), tick=True):
        await wait_until(lambda: _done(session_factory, job.id), timeout=10)
    async with session_factory() as session:
        pending = (
            (
                await session.execute(
                    select(Job.run_at).where(
                        Job.kind == retention.RETENTION_JOB,
                        Job.done_at.is_(None),  # type: ignore[union-attr]
                    )
                )
            )
            .scalars()
            .all()
        )
    assert pending == [job.run_at + timedelta(days=1)]


async def _done(session_factory, job_id: int) -> bool:
    async with session_factory() as session:
        job = await session.get(Job, job_id)
    return job is not None and job.done_at is not None
