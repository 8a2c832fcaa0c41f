"""Money is integer cents everywhere; formatting happens only at the edge."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

CURRENCY = "EUR"


@lru_cache(maxsize=8192)  # babel is slow and a page repeats the same few prices
def euros(cents: int) -> str:
    """« 7 500,00 € » with plain spaces: what the PDF core fonts (Windows-1252) can print."""
    return f"{cents / 100:,.2f} €".replace(",", " ").replace(".", ",")


@lru_cache(maxsize=8192)  # ~0.1 ms of babel per amount, twenty amounts a page, few distinct
def format_cents(cents: int, currency: str = CURRENCY) -> str:
    """French display, e.g. ``12,50 €`` (babel uses a no-break space before €)."""
    return format_currency(Decimal(cents) / 100, currency, locale="fr_FR")
