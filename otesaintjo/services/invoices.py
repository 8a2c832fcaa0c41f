"""Invoices in the seller's name (the platform bills on its behalf, under a billing mandate,
CGI art. 289 I-2), and a credit note for each refund.

The seller is named by its legal identity (CGI art. 242 nonies A: legal name, legal form,
address, SIREN/SIRET, registration, VAT number — ``services/legal_identity.py``); a document is
never issued without it (``services/held_invoices.py`` holds it until it is complete).

The figures: each line's VAT is taken out of its tax-inclusive total (half up, in cents); the
delivery fee is a line of its own at the normal rate; VAT per rate is the sum of the lines', so
every total adds up on the page. Two cases carry no VAT at all: a seller under the VAT
franchise (« TVA non applicable, art. 293 B du CGI »), and goods delivered outside La Réunion,
already charged without Réunion VAT (« Exonération de TVA, article 262 I du CGI »). The number
is per shop, gap-free and chronological: taken from the shop's counter row (locked until
commit) in the transaction that issues it.
"""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from datetime import datetime
from typing import Any

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.clock import REUNION
from otesaintjo.db import next_in_counter
from otesaintjo.models import (
    Invoice,
    InvoiceKind,
    Order,
    OrderLine,
    Purchase,
    Refund,
    ReturnLine,
    Shop,
    ShopInvoiceCounter,
    User,
)
from otesaintjo.money import euros
from otesaintjo.services import legal_identity
from otesaintjo.services.cart_totals import NORMAL_VAT_BP, vat_included

PLATFORM = "Otesaintjo"
DELIVERY_LABEL = "Frais de livraison"
EXPORT_MENTION = "Exonération de TVA, article 262 I du CGI"
MANDATE = (  # documents issued before the seller's legal identity was printed
    "Facture émise par Otesaintjo au nom et pour le compte du vendeur (mandat de facturation)."
)


class VatRegime:
    """How a document treats VAT (``snapshot["vat_regime"]``)."""

    STANDARD = "STANDARD"  # Réunion VAT included in the prices, shown per rate
    FRANCHISE = "FRANCHISE"  # the seller charges no VAT (art. 293 B)
    EXPORT = "EXPORT"  # delivered outside La Réunion, without its VAT (art. 262 I)


def regime(shop: Shop, order: Order) -> str:
    if shop.vat_franchise:
        return VatRegime.FRANCHISE
    return VatRegime.EXPORT if order.outside_reunion else VatRegime.STANDARD


def mentions(kind: str, shop: Shop, order: Order) -> list[str]:
    """The legal mentions at the foot of the document, frozen with it."""
    found = []
    if shop.vat_franchise:
        found.append(legal_identity.FRANCHISE_MENTION)
    if order.outside_reunion:
        found.append(EXPORT_MENTION)
    document = "Avoir émis" if kind == InvoiceKind.CREDIT_NOTE else "Facture émise"
    found.append(
        f"{document} par {PLATFORM} au nom et pour le compte de {shop.legal_name}"
        " (mandat de facturation, art. 289 I-2 du CGI)."
    )
    return found


async def next_number(session: AsyncSession, shop_id: int) -> int:
    return await next_in_counter(
        session,
        ShopInvoiceCounter,
        ShopInvoiceCounter.shop_id,
        ShopInvoiceCounter.last_number,
        shop_id,
    )


def display_number(invoice: Invoice) -> str:
    prefix = "AV" if invoice.kind == InvoiceKind.CREDIT_NOTE else "F"
    return f"{prefix}-{invoice.shop_id}-{invoice.number:06d}"


def line(label: str, quantity: int, unit_ttc: int, vat_bp: int, key: Any) -> dict[str, Any]:
    total = unit_ttc * quantity
    vat = vat_included(total, vat_bp)
    return {
        "key": key,
        "label": label,
        "quantity": quantity,
        "unit_ht_cents": (unit_ttc * 10000 * 2 + (10000 + vat_bp)) // (2 * (10000 + vat_bp)),
        "vat_bp": vat_bp,
        "vat_cents": vat,
        "total_ht_cents": total - vat,
        "total_ttc_cents": total,
    }


def totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    per_rate: dict[int, dict[str, int]] = defaultdict(lambda: {"base_ht_cents": 0, "vat_cents": 0})
    for item in lines:
        per_rate[item["vat_bp"]]["base_ht_cents"] += item["total_ht_cents"]
        per_rate[item["vat_bp"]]["vat_cents"] += item["vat_cents"]
    return {
        "vat_totals": [{"vat_bp": rate, **per_rate[rate]} for rate in sorted(per_rate)],
        "total_ht_cents": sum(i["total_ht_cents"] for i in lines),
        "total_vat_cents": sum(i["vat_cents"] for i in lines),
        "total_ttc_cents": sum(i["total_ttc_cents"] for i in lines),
    }


async def _parties(session: AsyncSession, order: Order) -> dict[str, Any]:
    shop = await session.get(Shop, order.shop_id)
    customer = await session.get(User, order.user_id)
    purchase = await session.get(Purchase, order.purchase_id)
    assert shop is not None and customer is not None and purchase is not None
    return {
        "seller": legal_identity.seller(shop),
        "customer": await _customer(session, order, customer, purchase),
        "vat_regime": regime(shop, order),
        "sale_date": order.paid_at.isoformat() if order.paid_at else None,
    }


async def _customer(
    session: AsyncSession, order: Order, customer: User, purchase: Purchase
) -> dict[str, Any]:
    """The buyer as the document names them. An erased account (``deleteMyAccount``) keeps
    its name and address only on the invoice already issued: a later credit note repeats it."""
    if customer.erased_at is not None:
        issued = await session.scalar(
            select(Invoice.snapshot)
            .where(Invoice.order_id == order.id, Invoice.kind == InvoiceKind.INVOICE)
            .order_by(Invoice.id)  # type: ignore[arg-type]
            .limit(1)
        )
        if issued and "customer" in issued:
            return dict(issued["customer"])
    return {
        "name": f"{customer.first_name} {customer.last_name}",
        "address": purchase.delivery_address,
    }


async def _issue(
    session: AsyncSession,
    order: Order,
    kind: str,
    lines: list[dict[str, Any]],
    now: datetime,
    refund_id: int | None = None,
) -> Invoice:
    shop = await session.get(Shop, order.shop_id)
    assert shop is not None
    invoice = Invoice(
        shop_id=order.shop_id,
        number=await next_number(session, order.shop_id),
        kind=kind,
        order_id=order.id,  # type: ignore[arg-type]
        refund_id=refund_id,
        issued_at=now,
        snapshot={
            **await _parties(session, order),
            "order_id": order.id,
            "order_number": order.number,
            "lines": lines,
            **totals(lines),
            "mentions": mentions(kind, shop, order),
        },
    )
    session.add(invoice)
    await session.flush()
    invoice.snapshot = {**invoice.snapshot, "number": display_number(invoice)}
    return invoice


async def _vat_of(session: AsyncSession, order: Order) -> Any:
    """The rate a line is invoiced at: its own, or none (franchise, export)."""
    shop = await session.get(Shop, order.shop_id)
    assert shop is not None
    charged = regime(shop, order) == VatRegime.STANDARD
    return lambda rate: rate if charged else 0


async def issue_invoice(session: AsyncSession, order: Order, now: datetime) -> Invoice:
    """The order's invoice, now (``held_invoices.issue_invoice_or_hold`` decides when)."""
    rows = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)  # type: ignore[arg-type]
    )
    vat = await _vat_of(session, order)
    lines = [line(r.product_name, r.quantity, r.unit_cents, vat(r.vat_bp), r.id) for r in rows]
    if order.delivery_fee_cents:
        lines.append(
            line(DELIVERY_LABEL, 1, order.delivery_fee_cents, vat(NORMAL_VAT_BP), "delivery")
        )
    return await _issue(session, order, InvoiceKind.INVOICE, lines, now)


async def issue_credit_note(
    session: AsyncSession, refund: Refund, now: datetime, return_id: int | None = None
) -> Invoice:
    """The lines a refund gives back: a return's lines (and the fee with the last one), or,
    for a cancellation, everything not yet credited."""
    order = await session.get(Order, refund.order_id)
    assert order is not None
    order_lines = {
        r.id: r
        for r in await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    credited: dict[Any, int] = defaultdict(int)
    for note in await session.scalars(
        select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == InvoiceKind.CREDIT_NOTE)
    ):
        for item in note.snapshot["lines"]:
            credited[item["key"]] += item["quantity"]
    if return_id is not None:
        wanted = {
            r.order_line_id: r.quantity
            for r in await session.scalars(
                select(ReturnLine).where(ReturnLine.return_id == return_id)
            )
        }
    else:
        wanted = {pk: r.quantity - credited[pk] for pk, r in order_lines.items()}
    vat = await _vat_of(session, order)
    lines = [
        line(
            order_lines[pk].product_name,
            quantity,
            order_lines[pk].unit_cents,
            vat(order_lines[pk].vat_bp),
            pk,
        )
        for pk, quantity in sorted(wanted.items())
        if quantity > 0
    ]
    goods = sum(item["total_ttc_cents"] for item in lines)
    if refund.amount_cents - goods == order.delivery_fee_cents and order.delivery_fee_cents:
        lines.append(
            line(DELIVERY_LABEL, 1, order.delivery_fee_cents, vat(NORMAL_VAT_BP), "delivery")
        )
    return await _issue(session, order, InvoiceKind.CREDIT_NOTE, lines, now, refund.id)


def percent(bp: int) -> str:
    return f"{bp / 100:g} %".replace(".", ",")


class _Pdf(FPDF):
    """The PDF core fonts in Windows-1252 (€, œ…); other characters become « ? »."""

    def __init__(self) -> None:
        super().__init__()
        self.core_fonts_encoding = "windows-1252"

    def normalize_text(self, text: str) -> str:
        safe = text.encode("windows-1252", errors="replace").decode("windows-1252")
        return super().normalize_text(safe)


def _seller_text(seller: dict[str, Any]) -> str:
    """The seller block: its legal identity (documents issued before it was recorded name
    the shop as they did then)."""
    address = f"{seller['street']}, {seller['postcode']} {seller['town']}"
    if not seller.get("legal_name"):
        return f"Vendeur : {seller['name']}\n{address}\nSIRET : {seller['siret']}"
    capital = f" {seller['share_capital']}" if seller.get("share_capital") else ""
    rows = [f"Vendeur : {seller['legal_name']}, {seller['legal_form_label']}{capital}"]
    if seller["name"] != seller["legal_name"]:
        rows.append(f"Boutique « {seller['name']} »")
    rows += [
        address,
        f"SIREN : {seller['siren']} - SIRET : {seller['siret']}",
        seller["registration"],
    ]
    if seller.get("vat_number"):
        rows.append(f"N° TVA intracommunautaire : {seller['vat_number']}")
    return "\n".join(rows)


def render_pdf(invoice: Invoice) -> bytes:
    """The document as a PDF (drawn from the frozen snapshot, so it never changes)."""
    data = invoice.snapshot
    title = "AVOIR" if invoice.kind == InvoiceKind.CREDIT_NOTE else "FACTURE"
    vat_shown = data.get("vat_regime", VatRegime.STANDARD) == VatRegime.STANDARD
    pdf = _Pdf()
    pdf.set_title(f"{title} {data['number']}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, f"{title} n° {data['number']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    issued = invoice.issued_at.astimezone(REUNION).strftime("%d/%m/%Y")
    order = data.get("order_number") or f"n° {data['order_id']}"  # documents before numbers
    dated = f"Date : {issued} - Commande {order}"
    if data.get("sale_date"):
        sold = datetime.fromisoformat(data["sale_date"]).astimezone(REUNION).strftime("%d/%m/%Y")
        if sold != issued:  # an invoice held for the seller's identity (art. 242 nonies A 8°)
            dated += f" - Vente du {sold}"
    pdf.cell(0, 6, dated, new_x="LMARGIN", new_y="NEXT")
    seller, customer = data["seller"], data["customer"]
    pdf.ln(3)
    pdf.multi_cell(0, 5, _seller_text(seller), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    address = customer.get("address")
    where = f"\n{address['street']}, {address['postcode']} {address['town']}" if address else ""
    pdf.multi_cell(0, 5, f"Client : {customer['name']}{where}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if vat_shown:
        widths: tuple[int, ...] = (70, 15, 25, 20, 25, 30)
        heads: tuple[str, ...] = ("Désignation", "Qté", "PU HT", "TVA", "Montant TVA", "Total TTC")
    else:
        widths, heads = (95, 15, 40, 40), ("Désignation", "Qté", "PU HT", "Total HT")
    pdf.set_font("Helvetica", "B", 9)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for item in data["lines"]:
        if vat_shown:
            cells: tuple[str, ...] = (
                item["label"][:45],
                str(item["quantity"]),
                euros(item["unit_ht_cents"]),
                percent(item["vat_bp"]),
                euros(item["vat_cents"]),
                euros(item["total_ttc_cents"]),
            )
        else:
            cells = (
                item["label"][:60],
                str(item["quantity"]),
                euros(item["unit_ht_cents"]),
                euros(item["total_ht_cents"]),
            )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, text, border=1)
        pdf.ln()
    pdf.ln(3)
    if vat_shown:
        for rate in data["vat_totals"]:
            pdf.cell(
                0,
                6,
                f"TVA {percent(rate['vat_bp'])} : base HT {euros(rate['base_ht_cents'])}, "
                f"TVA {euros(rate['vat_cents'])}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, f"Total HT : {euros(data['total_ht_cents'])}", new_x="LMARGIN", new_y="NEXT")
    if vat_shown:
        pdf.cell(
            0, 6, f"Total TVA : {euros(data['total_vat_cents'])}", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.cell(
            0, 6, f"Total TTC : {euros(data['total_ttc_cents'])}", new_x="LMARGIN", new_y="NEXT"
        )
    else:
        pdf.cell(
            0, 6, f"Net à payer : {euros(data['total_ttc_cents'])}", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", size=8)
    for mention in data.get("mentions") or [MANDATE]:
        pdf.multi_cell(0, 4, mention, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def filename(invoice: Invoice) -> str:
    return f"{display_number(invoice)}.pdf"


async def pdf_attachments(
    session_factory: async_sessionmaker[AsyncSession], invoice_ids: list[int]
) -> list[dict[str, str]]:
    """The documents as email attachments (base64), drawn in a thread: fpdf is synchronous
    and must not hold the event loop."""
    async with session_factory() as session:
        rows = list(await session.scalars(select(Invoice).where(Invoice.id.in_(invoice_ids))))  # type: ignore[union-attr]
    by_id = {row.id: row for row in rows}
    attachments = []
    for invoice_id in invoice_ids:
        invoice = by_id.get(invoice_id)
        if invoice is None:
            continue
        pdf = await asyncio.to_thread(render_pdf, invoice)
        attachments.append(
            {
                "filename": filename(invoice),
                "content": base64.b64encode(pdf).decode(),
                "mime": "application/pdf",
            }
        )
    return attachments
