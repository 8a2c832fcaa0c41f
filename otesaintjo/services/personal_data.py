"""Personal data (GDPR art. 15, 17, 20): the archive of everything the platform holds on a
customer, and the erasure of their account.

**Export** (``requestMyDataExport``): a row and a job in the request; the job builds one JSON
archive (``archive``) in one read snapshot, writes it to the private store (never served as a
static file), and emails a link signed like the invoice links (``export_links``), valid
7 days; a job scheduled at the link's expiry deletes the file. At most ``EXPORTS_PER_DAY``
requests per account in any 24 hours, counted here in the database.

**Erasure** (``deleteMyAccount``): the password re-entered; refused while a purchase awaits
payment, a paid order is not yet received or collected (the shop still needs the address and
phone to serve it) or a return awaits its refund (its credit note is still to be issued), and
for the last owner of an open shop. Then, in one transaction:

- deleted: the sessions and refresh tokens, reset tokens, the cart, the newsletter consent,
  the login throttle rows, the support tickets with their messages (customer-service
  exchanges are no accounting record), the shop memberships, the data exports (their files
  by a job), and the emails already sent to the address still in the outbox;
- kept, pseudonymised: the ``user_account`` row (orders point at it): ``Client``, no last
  name, no phone, an address ``erased-<id>@erased.invalid`` (the real one is free again),
  a random password, ``erased_at`` set; purchases lose their phone and delivery address, and
  returns their free-text reason;
- kept as they are: orders, lines, returns, refunds, invoices and credit notes (10 years,
  Code de commerce L123-22). The customer's name and billing address stay only on the
  invoices already issued (the PDF is drawn from that frozen snapshot: an issued invoice is
  never rewritten); a credit note issued later repeats the invoice's customer
  (``invoices._parties``). Shop and platform reviews stay, signed « Client »
  (``author_name``). The staff audit log stays (ids and actions only).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.db import keep_on_refusal, unit_of_work, write_first_on_sqlite
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import (
    AuditEntry,
    AuthSession,
    Cart,
    CartFulfilment,
    CartItem,
    DataExport,
    DataExportStatus,
    Invoice,
    Job,
    LoginThrottle,
    NewsletterSubscription,
    Order,
    OrderLine,
    OrderReturn,
    OrderStatus,
    PasswordResetToken,
    PlatformReview,
    Product,
    Purchase,
    PurchaseStatus,
    RefreshToken,
    ReturnLine,
    ReturnStatus,
    Shop,
    ShopMember,
    ShopReview,
    ShopRole,
    SupportTicket,
    TicketMessage,
    User,
)
from otesaintjo.notifications.email import local_datetime
from otesaintjo.security import hash_password, new_token, verify_password
from otesaintjo.services import export_links, login_throttle, withdrawal
from otesaintjo.services.accounts import PASSWORD_RESET_JOB
from otesaintjo.services.invoices import display_number
from otesaintjo.services.outbox import EMAIL_JOB, enqueue, queue_email
from otesaintjo.settings import Settings
from otesaintjo.storage import BlobStore, new_key

EXPORT_JOB = "personal_data.export"
EXPORT_EXPIRY_JOB = "personal_data.export_expiry"
# Art. 15 gives a copy without charge; building one reads every table: three a day is more
# than anyone needs and keeps the button from being a way to load the server.
EXPORTS_PER_DAY = 3
EXPORT_WINDOW = timedelta(hours=24)
ARCHIVE_FORMAT = "otesaintjo-donnees-personnelles"
ARCHIVE_VERSION = 1
ERASED_NAME = "Client"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never a real address, never deliverable
# Wrong passwords re-entered for deleteMyAccount: as many free tries as a sign-in.
REAUTH_FREE_FAILURES = 5
IN_PROGRESS = (OrderStatus.PAID, OrderStatus.READY_FOR_PICKUP, OrderStatus.SHIPPED)
OPEN_RETURNS = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)


def author_name(user: User | None) -> str:
    """How a review is signed: first name and initial, « Client » once the account is erased."""
    if user is None or user.erased_at is not None:
        return ERASED_NAME
    initial = f" {user.last_name[:1]}." if user.last_name else ""
    return f"{user.first_name}{initial}"


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@{ERASED_DOMAIN}"


# --- Export -------------------------------------------------------------------------------


async def request_export(session: AsyncSession, user: User, now: datetime) -> DataExport:
    """Record the request and hand the building to a job (the archive reads every table)."""
    await _lock_user(session, user)
    recent = list(
        await session.scalars(
            select(DataExport.requested_at)
            .where(DataExport.user_id == user.id, DataExport.requested_at > now - EXPORT_WINDOW)
            .order_by(DataExport.requested_at)  # type: ignore[arg-type]
        )
    )
    if len(recent) >= EXPORTS_PER_DAY:
        again = recent[-EXPORTS_PER_DAY] + EXPORT_WINDOW
        raise DomainError(
            ErrorCode.TOO_MANY_EXPORTS,
            f"Vous avez déjà demandé {EXPORTS_PER_DAY} exports de vos données en 24 heures :"
            f" réessayez après le {local_datetime(again)}.",
        )
    export = DataExport(
        user_id=user.id,  # type: ignore[arg-type]
        blob_key=new_key("exports", "json"),
        requested_at=now,
    )
    session.add(export)
    await session.flush()
    enqueue(session, EXPORT_JOB, {"export_id": export.id})
    return export


async def build_export(
    factory: async_sessionmaker[AsyncSession],
    store: BlobStore,
    settings: Settings,
    export_id: int,
    now: datetime,
) -> None:
    """The job: the archive to the private store, then the link by email (7 days), and the
    file's deletion scheduled at the link's expiry. Run again after a crash, it rewrites the
    same key; an account erased meanwhile gets nothing (its export row is gone)."""
    async with factory() as session, session.begin():
        if session.bind.dialect.name == "postgresql":  # one snapshot for the whole archive
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        export = await session.get(DataExport, export_id)
        if export is None or export.status != DataExportStatus.PENDING:
            return
        user = await session.get(User, export.user_id)
        if user is None or user.erased_at is not None:
            return
        data = await archive(session, user, now)
        key = export.blob_key
    await store.put(key, encode(data), "application/json")
    expires_at = now + export_links.LINK_LIFETIME
    async with unit_of_work(factory) as session:
        ready = await session.execute(
            update(DataExport)
            .where(
                DataExport.id == export_id,  # type: ignore[arg-type]
                DataExport.status == DataExportStatus.PENDING,  # type: ignore[arg-type]
            )
            .values(status=DataExportStatus.READY, ready_at=now, expires_at=expires_at)
        )
        if ready.rowcount == 1:  # type: ignore[attr-defined]
            queue_email(
                session,
                "data_export_ready",
                user.email,
                first_name=user.first_name,
                link=export_links.download_url(settings, export_id, user.id, expires_at),  # type: ignore[arg-type]
                days=export_links.LINK_DAYS,
                expires_at=expires_at,
                support_email=settings.support_email,
            )
            enqueue(session, EXPORT_EXPIRY_JOB, {"keys": [key]}, run_at=expires_at)
    if ready.rowcount != 1:  # type: ignore[attr-defined]
        await store.delete(key)  # the account was erased while the archive was being built


async def delete_export_files(
    factory: async_sessionmaker[AsyncSession], store: BlobStore, keys: list[str]
) -> None:
    """The job at a link's expiry (or after an erasure): the files go, the rows say so."""
    for key in keys:
        await store.delete(key)
    async with unit_of_work(factory) as session:
        await session.execute(
            update(DataExport)
            .where(DataExport.blob_key.in_(keys))  # type: ignore[attr-defined]
            .values(status=DataExportStatus.EXPIRED)
        )


async def downloadable_export(
    session: AsyncSession, export_id: int, user_id: int, now: datetime
) -> DataExport | None:
    """The export behind a link: this user's, built, not expired, account not erased."""
    return (
        await session.execute(
            select(DataExport)
            .join(User, User.id == DataExport.user_id)
            .where(
                DataExport.id == export_id,
                DataExport.user_id == user_id,
                DataExport.status == DataExportStatus.READY,
                DataExport.expires_at > now,  # type: ignore[operator]
                User.erased_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).scalar_one_or_none()


def archive_filename(export: DataExport) -> str:
    day = (export.ready_at or export.requested_at).date().isoformat()
    return f"otesaintjo-mes-donnees-{day}.json"


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_iso).encode("utf-8")


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


async def archive(session: AsyncSession, user: User, now: datetime) -> dict[str, Any]:
    """Everything the platform holds on ``user``, section by section (never a token or a
    password hash: what they are for is listed, not their value)."""
    uid = user.id
    shops = await _shop_names(session, uid)  # type: ignore[arg-type]
    orders = list(
        await session.scalars(select(Order).where(Order.user_id == uid).order_by(Order.id))  # type: ignore[arg-type]
    )
    order_ids = [o.id for o in orders]
    numbers = {o.id: o.number for o in orders}
    purchases = list(
        await session.scalars(
            select(Purchase).where(Purchase.user_id == uid).order_by(Purchase.id)  # type: ignore[arg-type]
        )
    )
    backs = list(
        await session.scalars(
            select(OrderReturn).where(OrderReturn.user_id == uid).order_by(OrderReturn.id)  # type: ignore[arg-type]
        )
    )
    reviews = list(
        await session.scalars(
            select(ShopReview).where(ShopReview.user_id == uid).order_by(ShopReview.id)  # type: ignore[arg-type]
        )
    )
    platform_reviews = list(
        await session.scalars(
            select(PlatformReview).where(PlatformReview.user_id == uid).order_by(PlatformReview.id)  # type: ignore[arg-type]
        )
    )
    tickets = list(
        await session.scalars(
            select(SupportTicket).where(SupportTicket.user_id == uid).order_by(SupportTicket.id)  # type: ignore[arg-type]
        )
    )
    targets = {
        "Order": order_ids,
        "Return": [b.id for b in backs],
        "ShopReview": [r.id for r in reviews],
        "PlatformReview": [r.id for r in platform_reviews],
        "SupportTicket": [t.id for t in tickets],
    }
    return {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "generated_at": now,
        "about": "Toutes les données que la plateforme Otesaintjo détient sur votre compte"
        " (RGPD, art. 15 et 20). Montants en centimes d'euro, dates en UTC (ISO 8601).",
        "account": {
            "id": uid,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "is_staff": user.is_staff,
            "created_at": user.created_at,
            "updated_at": user.updated_at,
        },
        "sessions": await _sessions(session, uid),  # type: ignore[arg-type]
        "password_reset_requests": [
            {"created_at": r.created_at, "expires_at": r.expires_at, "used_at": r.used_at}
            for r in await session.scalars(
                select(PasswordResetToken)
                .where(PasswordResetToken.user_id == uid)
                .order_by(PasswordResetToken.id)  # type: ignore[arg-type]
            )
        ],
        "sign_in_failures": [
            {
                "key": t.key,
                "failures": t.failures,
                "last_failure_at": t.last_failure_at,
                "locked_until": t.locked_until,
            }
            for t in await session.scalars(
                select(LoginThrottle).where(_throttle_keys(user)).order_by(LoginThrottle.key)  # type: ignore[arg-type]
            )
        ],
        "addresses": _addresses(purchases),
        "carts": await _carts(session, uid, shops),  # type: ignore[arg-type]
        "purchases": [
            {
                "id": p.id,
                "status": p.status,
                "total_cents": p.total_cents,
                "currency": p.currency,
                "contact_phone": p.contact_phone or None,
                "delivery_address": p.delivery_address or None,
                "payment_error": p.payment_error,
                "created_at": p.created_at,
                "paid_at": p.paid_at,
                "cancelled_at": p.cancelled_at,
            }
            for p in purchases
        ],
        "orders": await _orders(session, orders, shops),
        "returns": await _returns(session, backs, numbers, shops),
        "shop_reviews": [
            {
                "shop": shops.get(r.shop_id),
                "rating": r.rating,
                "comment": r.comment,
                "reply": r.reply,
                "replied_at": r.replied_at,
                "hidden_reason": r.hidden_reason,
                "hidden_at": r.hidden_at,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }
            for r in reviews
        ],
        "platform_reviews": [
            {
                "rating": r.rating,
                "comment": r.comment,
                "hidden_reason": r.hidden_reason,
                "hidden_at": r.hidden_at,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }
            for r in platform_reviews
        ],
        "support_tickets": await _tickets(session, tickets, numbers),
        "newsletter": await _newsletter(session, user.email),
        "shops": [
            {"shop": shops.get(m.shop_id), "role": m.role, "since": m.created_at}
            for m in await session.scalars(
                select(ShopMember).where(ShopMember.user_id == uid).order_by(ShopMember.shop_id)  # type: ignore[arg-type]
            )
        ],
        "audit_entries": await _audit(session, uid, targets),  # type: ignore[arg-type]
        "data_exports": [
            {
                "status": e.status,
                "requested_at": e.requested_at,
                "ready_at": e.ready_at,
                "expires_at": e.expires_at,
            }
            for e in await session.scalars(
                select(DataExport).where(DataExport.user_id == uid).order_by(DataExport.id)  # type: ignore[arg-type]
            )
        ],
        "emails": [
            {"subject": payload.get("subject"), "queued_at": created, "sent_at": done}
            for payload, created, done in (
                await session.execute(
                    select(Job.payload, Job.created_at, Job.done_at)
                    .where(Job.kind == EMAIL_JOB, Job.payload["to"].as_string() == user.email)
                    .order_by(Job.id)  # type: ignore[arg-type]
                )
            ).all()
        ],
    }


async def _shop_names(session: AsyncSession, user_id: int) -> dict[int, str]:
    """Names of the shops the archive mentions (ordered from, reviewed, carted, run)."""
    ids = (
        select(Order.shop_id)
        .where(Order.user_id == user_id)
        .union(
            select(ShopReview.shop_id).where(ShopReview.user_id == user_id),
            select(ShopMember.shop_id).where(ShopMember.user_id == user_id),
            select(CartFulfilment.shop_id)
            .join(Cart, Cart.id == CartFulfilment.cart_id)
            .where(Cart.user_id == user_id),
            select(Product.shop_id)
            .join(CartItem, CartItem.product_id == Product.id)
            .join(Cart, Cart.id == CartItem.cart_id)
            .where(Cart.user_id == user_id),
        )
    )
    rows = await session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(ids)))  # type: ignore[union-attr]
    return {shop_id: name for shop_id, name in rows.all()}


async def _sessions(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id).order_by(AuthSession.id)  # type: ignore[arg-type]
    )
    return [
        {
            "created_at": s.created_at,
            "last_used_at": s.last_used_at,
            "expires_at": s.expires_at,
            "revoked_at": s.revoked_at,
            "revoked_reason": s.revoked_reason,
            "user_agent": s.user_agent,
            "ip_address": s.ip_address,
        }
        for s in rows
    ]


def _addresses(purchases: list[Purchase]) -> list[dict[str, Any]]:
    """Each delivery address given at checkout, once, with when it was last used."""
    seen: dict[str, dict[str, Any]] = {}
    for purchase in purchases:
        if purchase.delivery_address:
            key = json.dumps(purchase.delivery_address, sort_keys=True)
            seen[key] = {"address": purchase.delivery_address, "last_used_at": purchase.created_at}
    return list(seen.values())


async def _carts(session: AsyncSession, user_id: int, shops: dict[int, str]) -> list[dict]:
    cart = (await session.execute(select(Cart).where(Cart.user_id == user_id))).scalar_one_or_none()
    if cart is None:
        return []
    items = await session.execute(
        select(CartItem, Product.name, Product.shop_id)
        .join(Product, Product.id == CartItem.product_id)
        .where(CartItem.cart_id == cart.id)
        .order_by(CartItem.added_at)  # type: ignore[arg-type]
    )
    fulfilments = await session.scalars(
        select(CartFulfilment).where(CartFulfilment.cart_id == cart.id)
    )
    return [
        {
            "created_at": cart.created_at,
            "updated_at": cart.updated_at,
            "delivery_postcode": cart.delivery_postcode,
            "items": [
                {
                    "product": name,
                    "shop": shops.get(shop_id),
                    "quantity": item.quantity,
                    "added_at": item.added_at,
                }
                for item, name, shop_id in items.all()
            ],
            "fulfilments": [
                {"shop": shops.get(f.shop_id), "mode": f.mode, "carrier": f.carrier}
                for f in fulfilments
            ],
        }
    ]


async def _orders(
    session: AsyncSession, orders: list[Order], shops: dict[int, str]
) -> list[dict[str, Any]]:
    ids = [o.id for o in orders]
    lines: dict[int, list[OrderLine]] = {}
    for row in await session.scalars(
        select(OrderLine).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.id)  # type: ignore[attr-defined, arg-type]
    ):
        lines.setdefault(row.order_id, []).append(row)
    invoices: dict[int, list[Invoice]] = {}
    for row in await session.scalars(
        select(Invoice).where(Invoice.order_id.in_(ids)).order_by(Invoice.id)  # type: ignore[attr-defined, arg-type]
    ):
        invoices.setdefault(row.order_id, []).append(row)
    return [
        {
            "number": o.number,
            "shop": shops.get(o.shop_id),
            "purchase_id": o.purchase_id,
            "status": o.status,
            "mode": o.mode,
            "carrier": o.carrier,
            "subtotal_cents": o.subtotal_cents,
            "delivery_fee_cents": o.delivery_fee_cents,
            "total_cents": o.total_cents,
            "vat_cents": o.vat_cents,
            "ready_by": o.ready_by,
            "tracking_carrier": o.tracking_carrier,
            "tracking_number": o.tracking_number,
            "problem": o.problem,
            "created_at": o.created_at,
            "paid_at": o.paid_at,
            "received_at": o.received_at,
            "cancelled_at": o.cancelled_at,
            "withdrawal_deadline": withdrawal.withdrawal_deadline(o),
            "lines": [
                {
                    "product": line.product_name,
                    "quantity": line.quantity,
                    "unit_cents": line.unit_cents,
                    "vat_bp": line.vat_bp,
                    "total_cents": line.total_cents,
                    "withdrawal_exclusion": line.withdrawal_exclusion,
                }
                for line in lines.get(o.id, [])  # type: ignore[arg-type]
            ],
            "invoices": [
                {
                    "number": display_number(invoice),
                    "kind": invoice.kind,
                    "issued_at": invoice.issued_at,
                    "total_cents": invoice.snapshot.get("total_ttc_cents"),
                    "customer": invoice.snapshot.get("customer"),
                }
                for invoice in invoices.get(o.id, [])  # type: ignore[arg-type]
            ],
        }
        for o in orders
    ]


async def _returns(
    session: AsyncSession, backs: list[OrderReturn], numbers: dict, shops: dict[int, str]
) -> list[dict[str, Any]]:
    ids = [b.id for b in backs]
    lines: dict[int, list[dict[str, Any]]] = {}
    rows = await session.execute(
        select(ReturnLine.return_id, OrderLine.product_name, ReturnLine.quantity)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .where(ReturnLine.return_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(ReturnLine.return_id, ReturnLine.order_line_id)  # type: ignore[arg-type]
    )
    for return_id, product, quantity in rows.all():
        lines.setdefault(return_id, []).append({"product": product, "quantity": quantity})
    return [
        {
            "order_number": numbers.get(b.order_id),
            "shop": shops.get(b.shop_id),
            "status": b.status,
            "reason": b.reason,
            "condition": b.condition,
            "merchant_note": b.merchant_note,
            "lines": lines.get(b.id, []),  # type: ignore[arg-type]
            "refund_cents": b.refund_cents,
            "created_at": b.created_at,
            "received_at": b.received_at,
            "refunded_at": b.refunded_at,
        }
        for b in backs
    ]


async def _tickets(
    session: AsyncSession, tickets: list[SupportTicket], numbers: dict
) -> list[dict[str, Any]]:
    ids = [t.id for t in tickets]
    messages: dict[int, list[dict[str, Any]]] = {}
    for m in await session.scalars(
        select(TicketMessage).where(TicketMessage.ticket_id.in_(ids)).order_by(TicketMessage.id)  # type: ignore[attr-defined, arg-type]
    ):
        messages.setdefault(m.ticket_id, []).append(
            {"from_staff": m.from_staff, "body": m.body, "created_at": m.created_at}
        )
    return [
        {
            "subject": t.subject,
            "status": t.status,
            "order_number": numbers.get(t.order_id),
            "created_at": t.created_at,
            "closed_at": t.closed_at,
            "messages": messages.get(t.id, []),  # type: ignore[arg-type]
        }
        for t in tickets
    ]


async def _newsletter(session: AsyncSession, email: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(NewsletterSubscription).where(NewsletterSubscription.email == email)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return {
        "email": row.email,
        "status": row.status,
        "created_at": row.created_at,
        "confirmed_at": row.confirmed_at,
        "unsubscribed_at": row.unsubscribed_at,
    }


async def _audit(
    session: AsyncSession, user_id: int, targets: dict[str, list[int]]
) -> list[dict[str, Any]]:
    """Staff actions on what is theirs (without the staff member's identity), and, for a staff
    account, the actions it took."""
    about = [
        (AuditEntry.target_type == kind) & AuditEntry.target_id.in_(ids)  # type: ignore[attr-defined]
        for kind, ids in targets.items()
        if ids
    ]
    rows = await session.scalars(
        select(AuditEntry)
        .where(or_(AuditEntry.staff_user_id == user_id, *about))
        .order_by(AuditEntry.id)  # type: ignore[arg-type]
    )
    return [
        {
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "details": e.details,
            "created_at": e.created_at,
            "by_this_account": e.staff_user_id == user_id,
        }
        for e in rows
    ]


def _throttle_keys(user: User) -> Any:
    """The login throttle rows naming this account (``services/accounts.login``)."""
    return or_(
        LoginThrottle.key == f"account:{user.email}",
        LoginThrottle.key.startswith(f"pair:{user.email}|", autoescape=True),  # type: ignore[attr-defined]
        LoginThrottle.key == _reauth_key(user),
    )


def _reauth_key(user: User) -> str:
    return f"reauth:{user.id}"


# --- Erasure ------------------------------------------------------------------------------


async def delete_account(
    session: AsyncSession, settings: Settings, user: User, password: str, now: datetime
) -> None:
    """``deleteMyAccount``: check, then erase or pseudonymise in this transaction (see the
    module's docstring for what goes and what stays)."""
    user = await _lock_user(session, user)
    if user.erased_at is not None:
        raise DomainError(ErrorCode.NOT_FOUND, "Ce compte est déjà supprimé.")
    key = _reauth_key(user)
    await login_throttle.ensure_not_locked(session, [key], now)
    if not await verify_password(password[:1024], user.password_hash):
        keep_on_refusal(session)  # the failure counts even though we refuse
        await login_throttle.record_failure(
            session, key, REAUTH_FREE_FAILURES, settings.login_max_lock_seconds, now
        )
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "Mot de passe incorrect.", ["password"])
    await _refuse_last_owner(session, user)
    await _refuse_in_progress(session, settings, user)
    await _erase(session, settings, user, now)


async def _lock_user(session: AsyncSession, user: User) -> User:
    """The user's row, locked until commit (SQLite: the write lock), so that two requests of
    the same account run one after the other."""
    await write_first_on_sqlite(session)
    return (
        await session.execute(select(User).where(User.id == user.id).with_for_update())
    ).scalar_one()


async def _refuse_last_owner(session: AsyncSession, user: User) -> None:
    """An open shop must keep an owner: the merchant hands it over (or staff close it)."""
    owned = select(ShopMember.shop_id).where(
        ShopMember.user_id == user.id, ShopMember.role == ShopRole.OWNER
    )
    other_owners = select(ShopMember.shop_id).where(
        ShopMember.user_id != user.id, ShopMember.role == ShopRole.OWNER
    )
    name = await session.scalar(
        select(Shop.name)
        .where(
            Shop.id.in_(owned),  # type: ignore[union-attr]
            Shop.id.not_in(other_owners),  # type: ignore[union-attr]
            Shop.is_active.is_(True),  # type: ignore[attr-defined]
        )
        .order_by(Shop.id)  # type: ignore[arg-type]
        .limit(1)
    )
    if name is not None:
        raise DomainError(
            ErrorCode.LAST_OWNER,
            f"Vous êtes le dernier gérant de « {name} » : transmettez la boutique, ou demandez"
            " sa fermeture au service client, avant de supprimer votre compte.",
        )


async def _refuse_in_progress(session: AsyncSession, settings: Settings, user: User) -> None:
    """Not while the sale is still being served: a payment may still succeed, the shop still
    needs the address and phone, or a refund (and its credit note) is still to come."""
    pending = await session.scalar(
        select(Purchase.id)
        .where(Purchase.user_id == user.id, Purchase.status == PurchaseStatus.PENDING_PAYMENT)
        .limit(1)
    )
    if pending is not None:
        raise DomainError(
            ErrorCode.ORDER_IN_PROGRESS,
            "Un achat attend son paiement : réessayez une fois payé, ou annulé (au plus"
            f" {settings.checkout_expiry_minutes} minutes).",
        )
    number = await session.scalar(
        select(Order.number)
        .where(Order.user_id == user.id, Order.status.in_(IN_PROGRESS))  # type: ignore[attr-defined]
        .order_by(Order.id)  # type: ignore[arg-type]
        .limit(1)
    )
    if number is not None:
        raise DomainError(
            ErrorCode.ORDER_IN_PROGRESS,
            f"La commande {number} est en cours : la boutique a encore besoin de votre adresse"
            " et de votre téléphone. Vous pourrez supprimer votre compte une fois la commande"
            " reçue ou retirée.",
        )
    number = await session.scalar(
        select(Order.number)
        .join(OrderReturn, OrderReturn.order_id == Order.id)
        .where(OrderReturn.user_id == user.id, OrderReturn.status.in_(OPEN_RETURNS))  # type: ignore[attr-defined]
        .order_by(OrderReturn.id)  # type: ignore[arg-type]
        .limit(1)
    )
    if number is not None:
        raise DomainError(
            ErrorCode.ORDER_IN_PROGRESS,
            f"Le retour de la commande {number} n'est pas encore remboursé : vous pourrez"
            " supprimer votre compte une fois le remboursement fait.",
        )


async def _erase(session: AsyncSession, settings: Settings, user: User, now: datetime) -> None:
    uid, email, first_name = user.id, user.email, user.first_name
    keys = list(await session.scalars(select(DataExport.blob_key).where(DataExport.user_id == uid)))
    await session.execute(delete(DataExport).where(DataExport.user_id == uid))  # type: ignore[arg-type]
    if keys:
        enqueue(session, EXPORT_EXPIRY_JOB, {"keys": keys})
    await session.execute(
        delete(RefreshToken).where(
            RefreshToken.session_id.in_(  # type: ignore[attr-defined]
                select(AuthSession.id).where(AuthSession.user_id == uid)
            )
        )
    )
    await session.execute(delete(AuthSession).where(AuthSession.user_id == uid))  # type: ignore[arg-type]
    await session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == uid))  # type: ignore[arg-type]
    await session.execute(delete(LoginThrottle).where(_throttle_keys(user)))
    await session.execute(delete(Cart).where(Cart.user_id == uid))  # type: ignore[arg-type]
    await session.execute(
        delete(NewsletterSubscription).where(NewsletterSubscription.email == email)  # type: ignore[arg-type]
    )
    tickets = select(SupportTicket.id).where(SupportTicket.user_id == uid)
    await session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(tickets)))  # type: ignore[attr-defined]
    await session.execute(delete(SupportTicket).where(SupportTicket.user_id == uid))  # type: ignore[arg-type]
    await session.execute(delete(ShopMember).where(ShopMember.user_id == uid))  # type: ignore[arg-type]
    await session.execute(
        update(Purchase)
        .where(Purchase.user_id == uid)  # type: ignore[arg-type]
        .values(contact_phone="", delivery_address=null(), client_secret=None)
    )
    await session.execute(
        update(OrderReturn).where(OrderReturn.user_id == uid).values(reason=None)  # type: ignore[arg-type]
    )
    # The emails already sent to them (the outbox keeps done jobs 30 days: retention.py).
    await session.execute(
        delete(Job).where(
            Job.kind.in_([EMAIL_JOB, PASSWORD_RESET_JOB]),  # type: ignore[attr-defined]
            or_(Job.done_at.is_not(None), Job.failed_at.is_not(None)),  # type: ignore[union-attr]
            or_(
                Job.payload["to"].as_string() == email,
                Job.payload["email"].as_string() == email,
            ),
        )
    )
    user.email = erased_email(uid)  # type: ignore[arg-type]
    user.first_name = ERASED_NAME
    user.last_name = ""
    user.phone = None
    user.password_hash = await hash_password(new_token())
    user.is_staff = False
    user.erased_at = now
    user.updated_at = now
    await session.flush()
    queue_email(
        session,
        "account_deleted",
        email,
        first_name=first_name,
        support_email=settings.support_email,
    )
