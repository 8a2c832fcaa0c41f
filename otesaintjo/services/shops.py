"""Merchant onboarding and shop settings. Only a shop's merchants (or staff) may change it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import write_first_on_sqlite
from otesaintjo.direct_reads import Source, read
from otesaintjo.errors import DomainError, ErrorCode, FieldChecks, forbidden
from otesaintjo.models import Product, Shop, ShopCategory, ShopMember, ShopRole, User
from otesaintjo.services import access, audit, legal_identity, order_numbers, shop_names
from otesaintjo.services import shop_rules as rules
from otesaintjo.services.validation import clean_text, normalize_email, normalize_phone

WEBSITE_MIN_ONLINE_PRODUCTS = 2


@dataclass(frozen=True)
class NewShop:
    name: str
    manager_first_name: str
    manager_last_name: str
    street: str
    postcode: str
    town: str
    email: str
    phone: str
    siret: str
    latitude: float | None = None
    longitude: float | None = None
    description: str = ""
    website: str | None = None
    categories: list[str] = field(default_factory=list)
    # Optional at creation; needed before the first invoice (services/held_invoices.py).
    legal_identity: legal_identity.IdentityChanges | None = None


@dataclass(frozen=True)
class ShopChanges:
    """Only the fields that are not None change (an empty website removes it)."""

    name: str | None = None
    description: str | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postcode: str | None = None
    town: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    categories: list[str] | None = None
    pickup_hours: list[tuple[str, str, str]] | None = None
    closures: list[tuple[date, str]] | None = None
    delivery_postcodes: list[str] | None = None
    delivery_fee_cents: int | None = None
    free_delivery_always: bool | None = None
    free_delivery_over_cents: int | None = None
    colissimo_fee_cents: int | None = None
    clear_free_delivery_over: bool = False
    clear_colissimo: bool = False


CREATE_ATTEMPTS = 5


async def create_shop(session: AsyncSession, user: User, data: NewShop) -> Shop:
    """Open a shop in one step; the caller becomes its owner. Every bad field is reported."""
    checks = FieldChecks()
    values = {
        "name": checks.check(shop_names.clean_shop_name, data.name, ["name"]),
        "manager_first_name": checks.check(
            clean_text, data.manager_first_name, ["managerFirstName"], max_length=100
        ),
        "manager_last_name": checks.check(
            clean_text, data.manager_last_name, ["managerLastName"], max_length=100
        ),
        "street": checks.check(clean_text, data.street, ["address", "street"], max_length=200),
        "postcode": checks.check(rules.check_postcode, data.postcode, ["address", "postcode"]),
        "town": checks.check(clean_text, data.town, ["address", "town"], max_length=100),
        "email": checks.check(normalize_email, data.email, ["email"]),
        "phone": checks.check(normalize_phone, data.phone, ["phone"], mobile_only=True),
        "siret": checks.check(rules.check_siret, data.siret, ["siret"]),
        "description": checks.check(
            clean_text, data.description, ["description"], max_length=5000, required=False
        ),
        "website": checks.check(rules.check_website, data.website or "", ["website"]),
    }
    checks.check(rules.check_coordinates, data.latitude, data.longitude, ["address", "latitude"])
    categories = checks.check(rules.check_categories, data.categories, ["categories"])
    identity = {}
    if data.legal_identity is not None and not data.legal_identity.is_empty():
        given = data.legal_identity
        if values["siret"] is None:  # refused already: no VAT number can be checked against it
            given = replace(given, vat_number=None)
        identity = (
            checks.check(legal_identity.checked_values, None, values["siret"] or "", given) or {}
        )
    checks.raise_if_any()
    # The name, slug and code are read free, then inserted: SQLite serialises writers from
    # here; on PostgreSQL a shop opened at the same instant is met by the retries below.
    serialised = await write_first_on_sqlite(session)
    name_skeleton = await _free_name(session, values["name"], None)  # type: ignore[arg-type]
    for attempt in range(1 if serialised else CREATE_ATTEMPTS):
        shop = Shop(
            name_skeleton=name_skeleton,
            slug=await _free_slug(session, rules.slugify(values["name"])),  # type: ignore[arg-type]
            order_code=await order_numbers.choose_shop_code(session, values["name"]),  # type: ignore[arg-type]
            latitude=data.latitude,
            longitude=data.longitude,
            **values,  # type: ignore[arg-type]
            **identity,
        )
        if serialised:
            session.add(shop)
            await session.flush()
            break
        try:
            async with session.begin_nested():
                session.add(shop)
                await session.flush()
            break
        except IntegrityError as exc:
            # A shop created at the same instant took the name, the slug or the code we
            # read as free: the name is refused, a slug or a code is chosen again.
            if "name_skeleton" in str(exc.orig):
                raise shop_names.name_taken(["name"]) from exc
            if attempt == CREATE_ATTEMPTS - 1:
                raise
    session.add(ShopMember(shop_id=shop.id, user_id=user.id, role=ShopRole.OWNER))  # type: ignore[arg-type]
    session.add_all(ShopCategory(shop_id=shop.id, category=c) for c in categories or [])  # type: ignore[arg-type]
    await session.flush()
    return shop


async def update_shop(
    session: AsyncSession, user: User, shop_id: int, changes: ShopChanges, now: datetime
) -> Shop:
    shop = await shop_for_merchant(session, user, shop_id, "update_shop")
    checks = FieldChecks()
    values: dict[str, object] = {}
    if changes.name is not None:
        values["name"] = checks.check(shop_names.clean_shop_name, changes.name, ["name"])
    text_fields = {
        "description": (5000, ["description"]),
        "street": (200, ["address", "street"]),
        "town": (100, ["address", "town"]),
    }
    for name, (max_length, path) in text_fields.items():
        value = getattr(changes, name)
        if value is not None:
            values[name] = checks.check(
                clean_text, value, path, max_length=max_length, required=name != "description"
            )
    if changes.website is not None:
        values["website"] = checks.check(rules.check_website, changes.website, ["website"])
    if changes.email is not None:
        values["email"] = checks.check(normalize_email, changes.email, ["email"])
    if changes.phone is not None:
        values["phone"] = checks.check(normalize_phone, changes.phone, ["phone"], mobile_only=True)
    if changes.postcode is not None:
        values["postcode"] = checks.check(
            rules.check_postcode, changes.postcode, ["address", "postcode"]
        )
    if changes.latitude is not None or changes.longitude is not None:
        checks.check(rules.check_coordinates, changes.latitude, changes.longitude, ["address"])
        values["latitude"], values["longitude"] = changes.latitude, changes.longitude
    if changes.pickup_hours is not None:
        values["pickup_hours"] = checks.check(
            rules.check_pickup_hours, changes.pickup_hours, ["pickupHours"]
        )
    if changes.closures is not None:
        values["closures"] = checks.check(rules.check_closures, changes.closures, ["closures"])
    _delivery_values(changes, checks, values)
    categories = (
        checks.check(rules.check_categories, changes.categories, ["categories"])
        if changes.categories is not None
        else None
    )
    checks.raise_if_any()
    if "name" in values:
        values["name_skeleton"] = await _free_name(session, values["name"], shop.id)  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(shop, name, value)
    shop.updated_at = now
    if categories is not None:
        await session.execute(delete(ShopCategory).where(ShopCategory.shop_id == shop.id))  # type: ignore[arg-type]
        session.add_all(ShopCategory(shop_id=shop.id, category=c) for c in categories)  # type: ignore[arg-type]
    return shop


def _delivery_values(changes: ShopChanges, checks: FieldChecks, values: dict[str, object]) -> None:
    path = ["delivery"]
    if changes.delivery_postcodes is not None:
        values["delivery_postcodes"] = checks.check(
            rules.check_delivery_postcodes, changes.delivery_postcodes, [*path, "postcodes"]
        )
    if changes.delivery_fee_cents is not None:
        values["delivery_fee_cents"] = checks.check(
            rules.check_fee, changes.delivery_fee_cents, [*path, "feeCents"]
        )
    if changes.free_delivery_always is not None:
        values["free_delivery_always"] = changes.free_delivery_always
    if changes.free_delivery_over_cents is not None or changes.clear_free_delivery_over:
        values["free_delivery_over_cents"] = checks.check(
            rules.check_fee, changes.free_delivery_over_cents, [*path, "freeDeliveryOverCents"]
        )
    if changes.colissimo_fee_cents is not None or changes.clear_colissimo:
        values["colissimo_fee_cents"] = checks.check(
            rules.check_fee, changes.colissimo_fee_cents, [*path, "colissimoFeeCents"]
        )


async def shop_for_merchant(
    session: AsyncSession, user: User, shop_id: int, action: str, **details: Any
) -> Shop:
    """The door of every merchant action: the shop, if ``user`` runs it (or is staff);
    FORBIDDEN otherwise, NOT_FOUND if absent. A staff member's action is written to the
    audit log, in the action's transaction (``action`` names it)."""
    shop = await session.get(Shop, shop_id)
    if shop is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Boutique introuvable.", ["shopId"])
    if not await access.manages_shop_now(session, user, shop_id):
        raise forbidden("Vous ne gérez pas cette boutique.")
    if user.is_staff:
        audit.record(session, user, action, "Shop", shop_id, **details)
    return shop


async def add_member(session: AsyncSession, user: User, shop_id: int, email: str) -> Shop:
    """The owner gives an existing account the right to run the shop (role STAFF)."""
    shop = await _shop_for_owner(session, user, shop_id)
    address = normalize_email(email, ["email"])
    member = (await session.execute(select(User).where(User.email == address))).scalar_one_or_none()
    if member is None:
        raise DomainError(
            ErrorCode.NOT_FOUND,
            "Aucun compte avec cette adresse : la personne doit d'abord créer son compte.",
            ["email"],
        )
    if not await is_member(session, member.id, shop_id):  # type: ignore[arg-type]
        session.add(ShopMember(shop_id=shop_id, user_id=member.id, role=ShopRole.STAFF))  # type: ignore[arg-type]
        await session.flush()
    return shop


async def remove_member(session: AsyncSession, user: User, shop_id: int, member_id: int) -> Shop:
    """The owner takes the right back; a shop always keeps at least one owner."""
    shop = await _shop_for_owner(session, user, shop_id)
    members = {
        m.user_id: m
        for m in (
            await session.execute(select(ShopMember).where(ShopMember.shop_id == shop_id))
        ).scalars()
    }
    target = members.get(member_id)
    if target is None:
        raise DomainError(
            ErrorCode.NOT_FOUND, "Cette personne ne gère pas la boutique.", ["userId"]
        )
    owners = [m for m in members.values() if m.role == ShopRole.OWNER]
    if target.role == ShopRole.OWNER and len(owners) == 1:
        raise DomainError(ErrorCode.LAST_OWNER, "La boutique doit garder un gérant.", ["userId"])
    await session.delete(target)
    await session.flush()
    return shop


async def _shop_for_owner(session: AsyncSession, user: User, shop_id: int) -> Shop:
    shop = await shop_for_merchant(session, user, shop_id, "manage_shop_team")
    if not user.is_staff:
        role = await session.scalar(
            select(ShopMember.role).where(
                ShopMember.shop_id == shop_id, ShopMember.user_id == user.id
            )
        )
        if role != ShopRole.OWNER:
            raise forbidden("Seul le gérant de la boutique peut gérer son équipe.")
    return shop


async def shop_by_slug(source: Source, slug: str) -> Shop | None:
    """``source``: a session, or a request's reads (``direct_reads.read``)."""
    rows = await read(source, _by_slug(), {"slug": slug[:80]})
    return rows[0][0] if rows else None


@cache
def _by_slug() -> Select[tuple[Shop]]:
    """Built once (every shop page reads it), the slug a parameter: a direct read."""
    return select(Shop).where(Shop.slug == bindparam("slug"))  # type: ignore[arg-type]


async def is_member(session: AsyncSession, user_id: int, shop_id: int) -> bool:
    found = await session.execute(
        select(ShopMember.user_id).where(
            ShopMember.shop_id == shop_id, ShopMember.user_id == user_id
        )
    )
    return found.first() is not None


async def online_products_count(session: AsyncSession, shop_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(Product)
                .where(Product.shop_id == shop_id, Product.is_online.is_(True))  # type: ignore[attr-defined]
            )
        ).scalar_one()
    )


def visible_website(website: str | None, online_products: int, viewer_manages: bool) -> str | None:
    """What a visitor sees of the merchant's own site: its merchants always; the public once
    2 products are online (FAQ)."""
    if website and (viewer_manages or website_is_public(online_products)):
        return website
    return None


def website_is_public(online_products: int) -> bool:
    """The FAQ's rule: the merchant's own site is shown once 2 products are online."""
    return online_products >= WEBSITE_MIN_ONLINE_PRODUCTS


async def _free_name(session: AsyncSession, name: str, shop_id: int | None) -> str:
    """The name's skeleton, if no other shop's name looks like it (the unique index is the
    last word under a race)."""
    wanted = shop_names.skeleton(name)
    other = await session.scalar(
        select(Shop.id).where(Shop.name_skeleton == wanted, Shop.id != (shop_id or 0))
    )
    if other is not None:
        raise shop_names.name_taken(["name"])
    return wanted


async def _free_slug(session: AsyncSession, base: str) -> str:
    taken = set(
        (
            await session.execute(
                select(Shop.slug).where(Shop.slug.like(f"{base}%"))  # type: ignore[attr-defined]
            )
        ).scalars()
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"
