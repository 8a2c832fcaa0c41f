"""A small town built through the services (no HTTP): a bakery delivering in 97480, a grocer
for pickup every day, a customer — for the service-level tests of buying and its money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo.db import unit_of_work
from otesaintjo.models import Product, Purchase, Shop, User
from otesaintjo.services import cart, catalogue, checkout, legal_identity, shops
from otesaintjo.services.checkout import CheckoutRequest

EVERY_DAY = [(d, "00:00", "23:59") for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
SIRET = "73282932000074"


def _user(email: str, first: str, last: str, staff: bool = False) -> User:
    return User(email=email, password_hash="x", first_name=first, last_name=last, is_staff=staff)


def _shop(name: str, email: str) -> shops.NewShop:
    return shops.NewShop(
        name=name,
        manager_first_name="Marie",
        manager_last_name="Hoarau",
        street="1 rue Leconte de Lisle",
        postcode="97480",
        town="Saint-Joseph",
        email=email,
        phone="+262692112233",
        siret=SIRET,
        legal_identity=legal_identity.IdentityChanges(
            legal_name=f"SARL {name}",
            legal_form="SARL",
            registration="RCS",
            registration_city="Saint-Pierre",
            vat_number=legal_identity.vat_number_for(SIRET[:9]),
            share_capital_cents=750_000,
        ),
    )


@dataclass
class ServiceTown:
    customer: User
    baker: User
    grocer: User
    staff: User
    bakery: Shop
    grocery: Shop
    bread: Product  # 2,50 €, reduced VAT, delivered by the bakery (3,50 €)
    rice: Product  # 12,00 €, collected at the grocer's

    @classmethod
    async def build(cls, factory: async_sessionmaker[AsyncSession], now: datetime) -> ServiceTown:
        async with unit_of_work(factory) as session:
            people = [
                _user("client@example.re", "Léa", "Técher"),
                _user("boulanger@example.re", "Paul", "Grondin"),
                _user("epicier@example.re", "Jean", "Payet"),
                _user("staff@example.re", "Sam", "Service", staff=True),
            ]
            session.add_all(people)
            await session.flush()
            customer, baker, grocer, staff = people
            bakery = await shops.create_shop(
                session, baker, _shop("Boulangerie du Centre", "boulangerie@example.re")
            )
            await shops.update_shop(
                session,
                baker,
                bakery.id,  # type: ignore[arg-type]
                shops.ShopChanges(delivery_postcodes=["97480"], delivery_fee_cents=350),
                now,
            )
            grocery = await shops.create_shop(
                session, grocer, _shop("Épicerie Hoarau", "epicerie@example.re")
            )
            await shops.update_shop(
                session,
                grocer,
                grocery.id,
                shops.ShopChanges(pickup_hours=EVERY_DAY),
                now,  # type: ignore[arg-type]
            )
            bread = await catalogue.create_product(
                session,
                baker,
                bakery.id,
                catalogue.NewProduct("Pain", 250, vat_bp=210),  # type: ignore[arg-type]
                now,
            )
            rice = await catalogue.create_product(
                session,
                grocer,
                grocery.id,
                catalogue.NewProduct("Riz", 1200, vat_bp=210),  # type: ignore[arg-type]
                now,
            )
        return cls(customer, baker, grocer, staff, bakery, grocery, bread, rice)

    async def fill_cart(
        self, factory: async_sessionmaker[AsyncSession], settings, now: datetime, bread: int = 2
    ) -> None:
        """Bread delivered by the bakery, one rice collected at the grocer's."""
        owner = cart.Owner(self.customer)
        async with unit_of_work(factory) as session:
            await cart.add_item(session, owner, self.bread.id, bread, now)  # type: ignore[arg-type]
            await cart.add_item(session, owner, self.rice.id, 1, now)  # type: ignore[arg-type]
            await cart.set_fulfilment(
                session,
                settings,
                owner,
                self.bakery.id,
                "DELIVERY",
                "MERCHANT",
                "97480",
                now,  # type: ignore[arg-type]
            )
            await cart.set_fulfilment(
                session,
                settings,
                owner,
                self.grocery.id,
                "PICKUP",
                None,
                None,
                now,  # type: ignore[arg-type]
            )

    async def check_out(
        self,
        factory: async_sessionmaker[AsyncSession],
        settings,
        gateway,
        now: datetime,
        key: str = "clé-1",
    ) -> Purchase:
        """The customer's ``checkout`` of the cart, with ``key``, through the service."""
        return await checkout.checkout(
            lambda: unit_of_work(factory),
            gateway,
            settings,
            self.customer,
            checkout_request(key),
            now,
        )


def checkout_request(key: str = "clé-1") -> CheckoutRequest:
    from otesaintjo.services.checkout import Address

    return CheckoutRequest(
        idempotency_key=key,
        contact_phone="0692 12 34 56",
        address=Address("5 chemin Bœuf Mort", "97480", "Saint-Joseph"),
    )
