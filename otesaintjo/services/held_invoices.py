"""Invoices held while the seller's legal identity is incomplete, issued once it is.

What a real marketplace does when a shop sells before it has given its legal identity: the
sale is not refused (onboarding stays under 5 minutes, and the customer has paid): the order
is paid, pushed to the shop and served as usual, but its invoice is **held** — never an
invoice without the seller's legal mentions (CGI art. 242 nonies A). Then:

- the shop gets **one** email asking to complete its legal identity, naming what is missing
  (sent when the first document is held; not again while documents wait);
- the shop's merchants see the missing fields and the number of documents waiting
  (``Shop.merchantDetails.legalIdentity``); the customer's confirmation says the invoice
  will follow by email;
- a refund meanwhile (cancellation, return) holds its credit note behind the invoice;
- as soon as the identity is complete (``updateShopLegalIdentity``), every held document is
  issued in the order it was due — numbered then, dated then, with the date of the sale —
  and sent to its customer by email with its PDF.

Holding and issuing take the shop's invoice counter row lock first, and read the identity
after it: a payment racing the merchant's completion either sees the identity complete, or
holds before the release reads what is held. One email, one issue each.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import upsert_insert
from otesaintjo.models import (
    HeldInvoice,
    Invoice,
    InvoiceKind,
    Order,
    Refund,
    Shop,
    ShopInvoiceCounter,
    User,
)
from otesaintjo.services import invoices, legal_identity, links
from otesaintjo.services.outbox import queue_email
from otesaintjo.settings import Settings


async def lock_and_read(session: AsyncSession, shop_id: int) -> Shop:
    """Take the shop's invoice counter lock, then read the shop as committed now."""
    await session.execute(
        upsert_insert(session)(ShopInvoiceCounter)
        .values(shop_id=shop_id, last_number=0)
        .on_conflict_do_update(
            index_elements=[ShopInvoiceCounter.shop_id],
            set_={"last_number": ShopInvoiceCounter.last_number},
        )
    )
    shop = (
        await session.execute(
            select(Shop).where(Shop.id == shop_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    return shop


async def held_count(session: AsyncSession, shop_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(HeldInvoice).where(HeldInvoice.shop_id == shop_id)
        )
        or 0
    )


async def issue_invoice_or_hold(
    session: AsyncSession, settings: Settings, order: Order, now: datetime
) -> Invoice | None:
    """At payment: the order's invoice, or None when it is held (the shop is asked once)."""
    shop = await lock_and_read(session, order.shop_id)
    missing = legal_identity.missing_fields(shop)
    if missing:
        if not await held_count(session, shop.id):  # type: ignore[arg-type]
            _ask_for_identity(session, settings, shop, order, missing)
        session.add(
            HeldInvoice(
                shop_id=shop.id,  # type: ignore[arg-type]
                order_id=order.id,  # type: ignore[arg-type]
                kind=InvoiceKind.INVOICE,
                held_at=now,
            )
        )
        await session.flush()
        return None
    await release(session, shop, now)
    return await invoices.issue_invoice(session, order, now)


async def issue_credit_note_or_hold(
    session: AsyncSession, refund: Refund, now: datetime, return_id: int | None = None
) -> Invoice | None:
    """At a refund: its credit note, or None when held behind the order's held invoice.
    (A complete identity cannot become incomplete: the shop was asked at the invoice.)"""
    order = await session.get(Order, refund.order_id)
    assert order is not None
    shop = await lock_and_read(session, order.shop_id)
    if legal_identity.missing_fields(shop):
        session.add(
            HeldInvoice(
                shop_id=shop.id,  # type: ignore[arg-type]
                order_id=order.id,  # type: ignore[arg-type]
                kind=InvoiceKind.CREDIT_NOTE,
                refund_id=refund.id,
                return_id=return_id,
                held_at=now,
            )
        )
        await session.flush()
        return None
    await release(session, shop, now)
    return await invoices.issue_credit_note(session, refund, now, return_id=return_id)


async def release(session: AsyncSession, shop: Shop, now: datetime) -> list[Invoice]:
    """Issue what the shop's complete identity no longer holds back, in the order it was due,
    and email each customer their documents. Call with the counter lock taken."""
    if legal_identity.missing_fields(shop):
        return []
    held = list(
        await session.scalars(
            select(HeldInvoice).where(HeldInvoice.shop_id == shop.id).order_by(HeldInvoice.id)  # type: ignore[arg-type]
        )
    )
    if not held:
        return []
    issued: list[Invoice] = []
    for row in held:
        order = await session.get(Order, row.order_id)
        assert order is not None
        if row.kind == InvoiceKind.INVOICE:
            issued.append(await invoices.issue_invoice(session, order, now))
        else:
            refund = await session.get(Refund, row.refund_id)
            assert refund is not None
            issued.append(
                await invoices.issue_credit_note(session, refund, now, return_id=row.return_id)
            )
    await session.execute(delete(HeldInvoice).where(HeldInvoice.shop_id == shop.id))  # type: ignore[arg-type]
    await _send_to_customers(session, shop, issued)
    return issued


async def _send_to_customers(session: AsyncSession, shop: Shop, issued: list[Invoice]) -> None:
    """One email per order, its documents attached (drawn by the email job)."""
    by_order: dict[int, list[Invoice]] = defaultdict(list)
    for document in issued:
        by_order[document.order_id].append(document)
    for order_id, documents in by_order.items():
        order = await session.get(Order, order_id)
        assert order is not None
        customer = await session.get(User, order.user_id)
        if customer is None or customer.erased_at is not None:
            continue  # an erased account gets no mail; the shop keeps the documents
        queue_email(
            session,
            "invoice_issued",
            customer.email,
            invoice_ids=[d.id for d in documents],  # type: ignore[misc]
            first_name=customer.first_name,
            shop=shop,
            order=order,
            numbers=[d.snapshot["number"] for d in documents],
            credit_notes=any(d.kind == InvoiceKind.CREDIT_NOTE for d in documents),
        )


def _ask_for_identity(
    session: AsyncSession, settings: Settings, shop: Shop, order: Order, missing: list[str]
) -> None:
    queue_email(
        session,
        "legal_identity_needed",
        shop.email,
        shop=shop,
        order=order,
        missing=[legal_identity.MISSING_LABELS[m] for m in missing],
        link=links.merchant_home_url(settings),
    )
