"""The shape of the demo town: dataclasses, VAT rates and the builders the shop modules use.

Pure data: nothing here touches the database or imports the rest of the project, so
``otesaintjo.demo`` can be read without a database or Pillow. Prices are tax included, in euro
cents. VAT rates (La Réunion, art. 296 CGI), in basis points: 850 = normal 8.5 %, 210 = reduced
2.1 % (food, take-away drinks, books, non-reimbursed medicines), 105 = 1.05 % (reimbursable
medicines, press).

Goods excluded from withdrawal (Code de la consommation L221-28) follow the shop's categories
by default (``services/withdrawal_exclusions.py``: the bakery, butcher, fishmonger and florist
sell perishable goods, the bookshop's « presse » newspapers and magazines, the grocer's
« fruits-legumes » and « cremerie »); a product says otherwise with ``withdrawal``.
"""

from __future__ import annotations

from dataclasses import dataclass

VAT_NORMAL = 850
VAT_REDUCED = 210
VAT_SUPER_REDUCED = 105

# ``DemoProduct.withdrawal``: the L221-28 exclusion (``models.WithdrawalExclusion`` values).
BY_CATEGORY = "BY_CATEGORY"  # the default of the product's and the shop's categories
RETURNABLE = None
PERISHABLE = "PERISHABLE"
CUSTOM_MADE = "CUSTOM_MADE"
SEALED_HYGIENE = "SEALED_HYGIENE"

SHOP_CATEGORIES: tuple[str, ...] = (
    "boulangerie",
    "epicerie",
    "boucherie",
    "fleuriste",
    "librairie",
    "quincaillerie",
    "poissonnerie",
    "pharmacie",
    "vetements",
    "cafe",
    "artisanat",
    "velos",
)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DemoProduct:
    name: str
    description: str
    price_cents: int
    vat_bp: int
    category: str
    stock: int = 100
    deliverable: bool = True
    colour: tuple[int, int, int] = (200, 120, 60)
    withdrawal: str | None = BY_CATEGORY


@dataclass(frozen=True)
class DemoPromotion:
    name: str
    percent_off_bp: int | None
    amount_off_cents: int | None
    product_names: tuple[str, ...] | None
    days_left: int


@dataclass(frozen=True)
class DemoLegal:
    """The seller's legal identity on its invoices (CGI art. 242 nonies A); its VAT number is
    the one of its SIRET's SIREN, none under the franchise (art. 293 B). Shops of Saint-Joseph
    register at the RCS of Saint-Pierre's court."""

    legal_name: str
    legal_form: str  # models.LegalForm values
    registration: str = "RCS"  # RCS, RM or NONE
    registration_city: str | None = "Saint-Pierre"
    vat_franchise: bool = False
    share_capital_cents: int | None = None  # companies only (R123-237)


@dataclass(frozen=True)
class DemoSlot:
    """A weekly delivery slot of a shop that delivers by itself (services/delivery_slots.py)."""

    weekday: str  # mon … sun
    starts: str  # HH:MM, Réunion time
    ends: str
    capacity: int  # orders per slot and day
    cutoff_hours: int  # booking closes this long before the start


@dataclass(frozen=True)
class DemoShop:
    slug: str
    name: str
    category: str
    description: str
    manager_first_name: str
    manager_last_name: str
    street: str
    postcode: str
    town: str
    latitude: float
    longitude: float
    email: str
    phone: str
    siret: str
    website: str | None
    pickup_hours: dict[str, list[tuple[str, str]]]
    delivery: dict
    products: tuple[DemoProduct, ...] = ()
    promotions: tuple[DemoPromotion, ...] = ()
    legal: DemoLegal | None = None
    delivery_slots: tuple[DemoSlot, ...] = ()


def product(
    name: str,
    price_cents: int,
    vat_bp: int,
    category: str,
    colour: tuple[int, int, int],
    description: str,
    *,
    stock: int = 100,
    deliverable: bool = True,
    withdrawal: str | None = BY_CATEGORY,
) -> DemoProduct:
    """A product, positional in the order the shop literals read best (name, price, VAT...)."""
    return DemoProduct(
        name=name,
        description=description,
        price_cents=price_cents,
        vat_bp=vat_bp,
        category=category,
        stock=stock,
        deliverable=deliverable,
        colour=colour,
        withdrawal=withdrawal,
    )


_Ranges = list[tuple[str, str]]


def opening_hours(
    *,
    mon: _Ranges | None = None,
    tue: _Ranges | None = None,
    wed: _Ranges | None = None,
    thu: _Ranges | None = None,
    fri: _Ranges | None = None,
    sat: _Ranges | None = None,
    sun: _Ranges | None = None,
) -> dict[str, list[tuple[str, str]]]:
    """Opening ranges per weekday; a day left out is closed (``[]``)."""
    given = {"mon": mon, "tue": tue, "wed": wed, "thu": thu, "fri": fri, "sat": sat, "sun": sun}
    return {day: list(given[day] or []) for day in WEEKDAYS}


def delivery_terms(
    *,
    postcodes: list[str] | None = None,
    fee_cents: int | None = None,
    free_over_cents: int | None = None,
    free_always: bool = False,
    colissimo_fee_cents: int | None = None,
) -> dict:
    """Delivery options: the merchant's own rounds (``postcodes``) and/or Colissimo."""
    merchant = None
    if postcodes is not None:
        merchant = {"postcodes": list(postcodes), "fee_cents": fee_cents or 0}
    return {
        "merchant_delivery": merchant,
        "free_delivery_over_cents": free_over_cents,
        "free_delivery_always": free_always,
        "colissimo_fee_cents": colissimo_fee_cents,
    }
