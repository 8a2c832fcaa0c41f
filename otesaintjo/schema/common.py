"""Shared output types of the contract."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import enum_value

from otesaintjo.money import format_cents


@strawberry.enum(description="Devise ISO 4217.")
class CurrencyCode(Enum):
    EUR = enum_value("EUR", description="Euro ; les montants sont en centimes.")


@strawberry.type(description="Un montant en centimes entiers ; « formatted » est prêt à afficher.")
class Money:
    cents: int
    currency: CurrencyCode = CurrencyCode.EUR

    @strawberry.field(description="Montant à la française, ex. « 12,50 € ».")
    def formatted(self) -> str:
        return format_cents(self.cents, self.currency.value)
