"""Goods excluded from the withdrawal right (Code de la consommation L221-28).

Each product carries its status: returnable (``withdrawal_exclusion`` null) or excluded for one
of the reasons of ``models.WithdrawalExclusion``. The customer must be told before buying
(L221-5, L221-28): the product, each cart line and the order confirmation email show it, in the
words of ``labels.withdrawal_notice``. Checkout copies it onto the order line: what the customer
was told is what counts, whatever the merchant changes later.

Default, when a merchant creates a product without saying (``default_exclusion``): the
product's own category first, then the shop's categories (slugs, as ``slugify`` makes them):

- PERISHABLE (4°, goods that deteriorate or expire rapidly): boulangerie, patisserie(s),
  viennoiserie(s), boucherie, charcuterie, boucherie-charcuterie, volaille(s), poissonnerie,
  maree, primeur, fruits-et-legumes, fruits-legumes (« Fruits & légumes »), fleuriste, fleurs,
  traiteur, fromagerie, cremerie;
- PRESS (9°, newspapers, periodicals, magazines): presse, journaux, magazines,
  librairie-presse, maison-de-la-presse, tabac-presse;
- anything else: returnable.

So a grocer's product in « fruits-legumes » is perishable while its rice is returnable, and
every product of a bakery is perishable unless its merchant says otherwise. The merchant
changes it product by product (createProduct/updateProduct); a category changed later leaves it
as it is.

What a return may hold: PERISHABLE, PRESS and CUSTOM_MADE lines never come back
(``NOT_RETURNABLE``). SEALED_HYGIENE (5°) and SEALED_RECORDING (8°) goods are excluded only
once unsealed after delivery: while sealed they may be returned, and the merchant who gets one
back unsealed refuses it on reception (condition DAMAGED, no refund).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import ShopCategory, WithdrawalExclusion

E = WithdrawalExclusion

BY_CATEGORY = "BY_CATEGORY"
"""``NewProduct.withdrawal_exclusion``: not given, take ``default_exclusion``."""
UNCHANGED = "UNCHANGED"
"""``ProductChanges.withdrawal_exclusion``: not given, keep the product's."""

PERISHABLE_CATEGORIES = frozenset(
    {
        "boulangerie",
        "patisserie",
        "patisseries",
        "boulangerie-patisserie",
        "viennoiserie",
        "viennoiseries",
        "boucherie",
        "charcuterie",
        "boucherie-charcuterie",
        "volaille",
        "volailles",
        "poissonnerie",
        "maree",
        "primeur",
        "fruits-et-legumes",
        "fruits-legumes",
        "fleuriste",
        "fleurs",
        "traiteur",
        "fromagerie",
        "cremerie",
    }
)
PRESS_CATEGORIES = frozenset(
    {
        "presse",
        "journaux",
        "magazines",
        "librairie-presse",
        "maison-de-la-presse",
        "tabac-presse",
    }
)
REFUSED_IN_A_RETURN = frozenset({E.PERISHABLE, E.PRESS, E.CUSTOM_MADE})
"""Excluded whatever their state; the sealed ones (5°, 8°) only once unsealed."""


def exclusion_of_category(category: str) -> str | None:
    if category in PERISHABLE_CATEGORIES:
        return E.PERISHABLE
    if category in PRESS_CATEGORIES:
        return E.PRESS
    return None


def default_exclusion(product_category: str, shop_categories: Iterable[str]) -> str | None:
    """The product's category if it says, else the shop's categories (perishable first)."""
    own = exclusion_of_category(product_category)
    if own is not None:
        return own
    found = {exclusion_of_category(c) for c in shop_categories}
    for exclusion in (E.PERISHABLE, E.PRESS):
        if exclusion in found:
            return exclusion
    return None


def resolve(given: str | None, product_category: str, shop_categories: Iterable[str]) -> str | None:
    """``given``, or the category default when it is ``BY_CATEGORY``."""
    if given == BY_CATEGORY:
        return default_exclusion(product_category, shop_categories)
    return given


def check_exclusion(value: str | None, field: list[str]) -> str | None:
    if value is not None and value not in E.ALL:
        raise DomainError(ErrorCode.INVALID_INPUT, "Exclusion de rétractation inconnue.", field)
    return value


def may_come_back(exclusion: str | None) -> bool:
    """A line the customer may put in a return (the withdrawal right applies to it)."""
    return exclusion not in REFUSED_IN_A_RETURN


async def shop_categories(session: AsyncSession, shop_id: int) -> list[str]:
    rows = await session.scalars(
        select(ShopCategory.category)
        .where(ShopCategory.shop_id == shop_id)
        .order_by(ShopCategory.category)
    )
    return list(rows)
