"""Cart rules on the services: the 100-line limit."""

from __future__ import annotations

import pytest

from otesaintjo.clock import utcnow
from otesaintjo.errors import DomainError
from otesaintjo.services import cart as carts
from tests.support.catalogue import make_catalogue


async def test_a_cart_holds_at_most_100_lines(session_factory) -> None:
    _, products = await make_catalogue(session_factory, [{} for _ in range(101)])
    async with session_factory() as session, session.begin():
        _, token = await carts.add_item(session, carts.Owner(None), products[0].id, 1, utcnow())
        owner = carts.Owner(None, token)
        for product in products[1:100]:
            await carts.add_item(session, owner, product.id, 1, utcnow())
        with pytest.raises(DomainError) as refused:
            await carts.add_item(session, owner, products[100].id, 1, utcnow())
        assert refused.value.code == "TOO_MANY_ITEMS"
        await carts.add_item(
            session, owner, products[5].id, 2, utcnow()
        )  # more of a product already in
