"""The amounts of a cart, in integer cents, computed in one place.

Per shop: lines at the current price (promotions included), a delivery fee (zero when the
merchant offers free delivery), the VAT included per rate, and the total; then the grand
total. VAT is included in tax-inclusive prices: for an amount A at rate r (basis points),
VAT = A × r / (10000 + r), rounded half up once per rate and shop (never per line, so there is
no drift). The delivery fee is taxed at the normal rate (8.5 %).

Goods delivered outside La Réunion (a postcode not in 974xx: mainland France, another overseas
department, Monaco) leave the island's VAT territory: for VAT, La Réunion and mainland France
are export/import territories for each other, so the sale is made without Réunion VAT (CGI
art. 262 I) and the customer may owe import taxes on arrival. Prices are stored VAT included:
such a line is charged its unit price without VAT, rounded half up to the cent per unit, times
the quantity (so unit × quantity = line on the invoice, to the cent); the delivery fee likewise.
A seller under the VAT franchise (art. 293 B) charges no VAT at all: its prices are its prices,
wherever the goods go, and no VAT is shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

NORMAL_VAT_BP = 850
REUNION_POSTCODE_PREFIX = "974"
IMPORT_TAXES_NOTICE = (
    "Livraison hors de La Réunion : prix sans la TVA de La Réunion (exonération, article 262 I"
    " du CGI). Des taxes et droits d'importation (TVA à l'importation, droits de douane, octroi"
    " de mer) peuvent être dus à l'arrivée, à la charge du destinataire."
)


@dataclass(frozen=True)
class Line:
    product_id: int
    shop_id: int
    unit_cents: int
    quantity: int
    vat_bp: int

    @property
    def total_cents(self) -> int:
        return self.unit_cents * self.quantity


@dataclass(frozen=True)
class ShopTotals:
    shop_id: int
    lines: list[Line]
    subtotal_cents: int
    delivery_fee_cents: int
    vat_cents: dict[int, int] = field(default_factory=dict)
    outside_reunion: bool = False

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.delivery_fee_cents


@dataclass(frozen=True)
class CartTotals:
    shops: list[ShopTotals]

    @property
    def total_cents(self) -> int:
        return sum(s.total_cents for s in self.shops)

    @property
    def items(self) -> int:
        return sum(line.quantity for s in self.shops for line in s.lines)


def vat_included(amount_cents: int, rate_bp: int) -> int:
    """The VAT inside a tax-inclusive amount, rounded half up (integer arithmetic only)."""
    denominator = 10000 + rate_bp
    return (2 * amount_cents * rate_bp + denominator) // (2 * denominator)


def leaves_reunion(postcode: str | None) -> bool:
    """Delivered to this postcode, the goods leave La Réunion's VAT territory (art. 262 I)."""
    return bool(postcode) and not postcode.startswith(REUNION_POSTCODE_PREFIX)  # type: ignore[union-attr]


def without_vat(amount_cents: int, rate_bp: int) -> int:
    """A tax-inclusive amount without its VAT, rounded half up to the cent."""
    denominator = 10000 + rate_bp
    return (2 * amount_cents * 10000 + denominator) // (2 * denominator)


def delivery_fee(
    fee_cents: int, subtotal_cents: int, free_always: bool, free_over: int | None
) -> int:
    if free_always or (free_over is not None and subtotal_cents >= free_over):
        return 0
    return fee_cents


def shop_totals(
    shop_id: int,
    lines: list[Line],
    fee_cents: int,
    *,
    vat_charged: bool = True,
    outside_reunion: bool = False,
) -> ShopTotals:
    """The shop's part; ``vat_charged`` False (export, or a seller under the franchise): the
    amounts hold no VAT, none is shown."""
    base: dict[int, int] = defaultdict(int)
    for line in lines:
        base[line.vat_bp] += line.total_cents
    if fee_cents:
        base[NORMAL_VAT_BP] += fee_cents
    return ShopTotals(
        shop_id=shop_id,
        lines=lines,
        subtotal_cents=sum(line.total_cents for line in lines),
        delivery_fee_cents=fee_cents,
        vat_cents={rate: vat_included(amount, rate) for rate, amount in sorted(base.items())}
        if vat_charged
        else {},
        outside_reunion=outside_reunion,
    )
