"""``updateShopLegalIdentity``: the shop's merchants (or staff) give or correct the seller's
legal identity; once it is complete, the invoices held for it are issued in the same
transaction (``held_invoices.release``) and sent to their customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.models import Shop, User
from otesaintjo.services import held_invoices, legal_identity
from otesaintjo.services.shops import shop_for_merchant


async def update_legal_identity(
    session: AsyncSession,
    user: User,
    shop_id: int,
    changes: legal_identity.IdentityChanges,
    now: datetime,
) -> Shop:
    shop = await shop_for_merchant(session, user, shop_id, "update_shop_legal_identity")
    values = legal_identity.checked_values(shop, shop.siret, changes)
    for name, value in values.items():
        setattr(shop, name, value)
    shop.updated_at = now
    await session.flush()
    shop = await held_invoices.lock_and_read(session, shop_id)
    await held_invoices.release(session, shop, now)
    return shop
