"""Demo data for the embedded default: a believable town of Saint-Joseph.

``seed`` creates the demo accounts (printed by ``serve`` in development) and the 12 shops of
``otesaintjo.demo`` through the same services the API uses, photos drawn with Pillow and normalised
like an upload. It is idempotent: a shop whose slug exists is left alone.
``seed_scale`` adds a large synthetic catalogue for benchmarks (N shops × 100 products).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo import demo, images
from otesaintjo.clock import utcnow
from otesaintjo.db import unit_of_work
from otesaintjo.models import (
    Product,
    ProductImage,
    ProductPrice,
    Shop,
    ShopCategory,
    ShopMember,
    User,
)
from otesaintjo.security import hash_password
from otesaintjo.services import (
    catalogue,
    delivery_slots,
    legal_identity,
    order_numbers,
    promotions,
    shop_names,
    shops,
    withdrawal_exclusions,
)
from otesaintjo.storage import BlobStore, new_key


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    first_name: str
    last_name: str
    phone: str
    is_staff: bool = False


DEMO_ACCOUNTS = (
    DemoAccount(
        "client",
        "client@demo.otesaintjo.re",
        "demo-client-2026",
        "Marie",
        "Hoarau",
        "+262692123456",
    ),
    DemoAccount(
        "commerçant",
        "commercant@demo.otesaintjo.re",
        "demo-commercant-2026",
        "Sandrine",
        "Hoarau",
        "+262693654321",
    ),
    DemoAccount(
        "personnel",
        "staff@demo.otesaintjo.re",
        "demo-staff-2026",
        "Sophie",
        "Grondin",
        "+262262450000",
        is_staff=True,
    ),
)
DEMO_MERCHANT = DEMO_ACCOUNTS[1]


async def seed(
    session_factory: async_sessionmaker[AsyncSession], store: BlobStore
) -> list[DemoAccount]:
    """Create what does not exist yet; returns the accounts whose credentials to print."""
    async with unit_of_work(session_factory) as session:
        users = {
            a.email: await _ensure_user(
                session, a.email, a.first_name, a.last_name, a.phone, a.password, a.is_staff
            )
            for a in DEMO_ACCOUNTS
        }
    for shop in demo.SHOPS:
        async with unit_of_work(session_factory) as session:
            if await session.scalar(select(Shop.id).where(Shop.slug == shop.slug)):
                continue
            if shop.slug in demo.DEMO_MERCHANT_SHOP_SLUGS:
                owner = await session.merge(users[DEMO_MERCHANT.email])
            else:
                owner = await _ensure_user(
                    session,
                    shop.email,
                    shop.manager_first_name,
                    shop.manager_last_name,
                    shop.phone,
                    secrets.token_urlsafe(16),
                )
            await _demo_shop(session, store, owner, shop)
    return list(DEMO_ACCOUNTS)


DEMO_ON_SALE_FOR = timedelta(days=30)
"""The demo products have sold at their prices for a month when the demo promotions begin, so
each promotion's crossed-out price is the regular price (L112-1-1: the lowest of 30 days)."""


def _legal_identity(data: demo.DemoShop) -> legal_identity.IdentityChanges | None:
    """The demo seller's identity: invoices issued at once (its SIREN's VAT number, or the
    franchise)."""
    legal = data.legal
    if legal is None:
        return None
    return legal_identity.IdentityChanges(
        legal_name=legal.legal_name,
        legal_form=legal.legal_form,
        registration=legal.registration,
        registration_city=legal.registration_city,
        vat_number=None
        if legal.vat_franchise
        else legal_identity.vat_number_for(legal_identity.siren_of(data.siret)),
        vat_franchise=legal.vat_franchise,
        share_capital_cents=legal.share_capital_cents,
    )


async def _demo_shop(
    session: AsyncSession, store: BlobStore, owner: User, data: demo.DemoShop
) -> None:
    now = utcnow()
    shop = await shops.create_shop(
        session,
        owner,
        shops.NewShop(
            name=data.name,
            manager_first_name=data.manager_first_name,
            manager_last_name=data.manager_last_name,
            street=data.street,
            postcode=data.postcode,
            town=data.town,
            latitude=data.latitude,
            longitude=data.longitude,
            email=data.email,
            phone=data.phone,
            siret=data.siret,
            description=data.description,
            website=data.website,
            categories=[data.category],
            legal_identity=_legal_identity(data),
        ),
    )
    shop.slug = data.slug
    delivery = data.delivery
    own = delivery.get("merchant_delivery")
    await shops.update_shop(
        session,
        owner,
        shop.id,  # type: ignore[arg-type]
        shops.ShopChanges(
            pickup_hours=[
                (day, o, c) for day, ranges in data.pickup_hours.items() for o, c in ranges
            ],
            delivery_postcodes=own["postcodes"] if own else None,
            delivery_fee_cents=own["fee_cents"] if own else None,
            free_delivery_always=delivery.get("free_delivery_always", False),
            free_delivery_over_cents=delivery.get("free_delivery_over_cents"),
            colissimo_fee_cents=delivery.get("colissimo_fee_cents"),
        ),
        now,
    )
    for slot in data.delivery_slots:
        await delivery_slots.create_slot(
            session,
            owner,
            shop.id,  # type: ignore[arg-type]
            delivery_slots.SlotInput(
                slot.weekday, slot.starts, slot.ends, slot.capacity, slot.cutoff_hours
            ),
            now,
        )
    ids: dict[str, int] = {}
    for index, item in enumerate(data.products):
        product = await catalogue.create_product(
            session,
            owner,
            shop.id,  # type: ignore[arg-type]
            catalogue.NewProduct(
                name=item.name,
                price_cents=item.price_cents,
                vat_bp=item.vat_bp,
                description=item.description,
                category=item.category,
                deliverable=item.deliverable,
                stock=item.stock,
                withdrawal_exclusion=item.withdrawal,  # BY_CATEGORY: the shop's default
            ),
            now - DEMO_ON_SALE_FOR,
        )
        ids[item.name] = product.id  # type: ignore[assignment]
        picture = await asyncio.to_thread(demo.draw_product_picture, item, seed=index)
        await catalogue.add_product_image(session, owner, store, product.id, picture)  # type: ignore[arg-type]
    for promo in data.promotions:
        percent = promo.percent_off_bp is not None
        await promotions.create_promotion(
            session,
            owner,
            shop.id,  # type: ignore[arg-type]
            promotions.NewPromotion(
                name=promo.name,
                kind="PERCENT" if percent else "AMOUNT",
                value=promo.percent_off_bp if percent else promo.amount_off_cents,  # type: ignore[arg-type]
                ends_at=now + timedelta(days=promo.days_left),
                product_ids=[ids[n] for n in promo.product_names] if promo.product_names else None,
            ),
            now,
        )


async def seed_scale(
    session_factory: async_sessionmaker[AsyncSession],
    store: BlobStore,
    shop_count: int,
    products_per_shop: int = 100,
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """A large synthetic catalogue for benchmarks, written in bulk; returns products added."""
    templates = [p for s in demo.SHOPS for p in s.products]
    keys = []
    for index, item in enumerate(templates[:24]):  # a few pictures, shared by many products
        picture = demo.draw_product_picture(item, seed=index)
        key = new_key("products", "jpg")
        await store.put(key, images.normalise_product_photo(picture), "image/jpeg")
        keys.append(key)
    async with session_factory() as session:
        start = int(await session.scalar(select(func.count()).select_from(Shop)) or 0)
    owner_email = "bench-merchant@demo.otesaintjo.re"
    async with unit_of_work(session_factory) as session:
        owner = await _ensure_user(
            session, owner_email, "Banc", "D'essai", "+262692000000", secrets.token_urlsafe(16)
        )
    added = 0
    for n in range(start, start + shop_count):
        base = demo.SHOPS[n % len(demo.SHOPS)]
        async with unit_of_work(session_factory) as session:
            shop = Shop(
                slug=f"{base.slug}-{n}",
                name=f"{base.name} {n}",
                name_skeleton=shop_names.skeleton(f"{base.name} {n}"),
                order_code=await order_numbers.choose_shop_code(session, base.name),
                description=base.description,
                manager_first_name=base.manager_first_name,
                manager_last_name=base.manager_last_name,
                street=base.street,
                postcode=base.postcode,
                town=base.town,
                latitude=base.latitude,
                longitude=base.longitude,
                email=base.email,
                phone=base.phone,
                siret=base.siret,
                website=base.website,
            )
            session.add(shop)
            await session.flush()
            session.add(ShopMember(shop_id=shop.id, user_id=owner.id))  # type: ignore[arg-type]
            session.add(ShopCategory(shop_id=shop.id, category=base.category))  # type: ignore[arg-type]
            rows = [
                {
                    "shop_id": shop.id,
                    "name": f"{t.name} n°{i}",
                    "description": t.description,
                    "price_cents": t.price_cents + i,
                    "vat_bp": t.vat_bp,
                    "category": t.category,
                    "deliverable": t.deliverable,
                    "withdrawal_exclusion": withdrawal_exclusions.resolve(
                        t.withdrawal, t.category, [base.category]
                    ),
                    "stock": 100,
                    "is_online": True,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
                for i, t in (
                    (i, templates[(n * products_per_shop + i) % len(templates)])
                    for i in range(products_per_shop)
                )
            ]
            inserted = (
                await session.execute(
                    insert(Product).returning(Product.id, Product.price_cents, Product.created_at),
                    rows,
                )
            ).all()
            product_ids = [pid for pid, _, _ in inserted]
            await session.execute(  # each price's history starts (L112-1-1)
                insert(ProductPrice),
                [
                    {"product_id": pid, "since": created, "price_cents": price}
                    for pid, price, created in inserted
                ],
            )
            await session.execute(
                insert(ProductImage),
                [
                    {
                        "product_id": pid,
                        "key": keys[pid % len(keys)],
                        "position": 0,
                        "created_at": utcnow(),
                    }
                    for pid in product_ids
                ],
            )
        added += len(rows)
        progress(1)
    return added


async def _ensure_user(
    session: AsyncSession,
    email: str,
    first_name: str,
    last_name: str,
    phone: str,
    password: str,
    is_staff: bool = False,
) -> User:
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            password_hash=await hash_password(password),
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            is_staff=is_staff,
        )
        session.add(user)
        await session.flush()
    return user
