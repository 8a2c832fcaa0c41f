"""Products of a shop: creation, changes, online/offline, stock, photos."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo import images
from otesaintjo.admission import in_thread
from otesaintjo.db import after_commit
from otesaintjo.errors import DomainError, ErrorCode, FieldChecks
from otesaintjo.models import DEFAULT_STOCK, Product, ProductImage, Shop, User
from otesaintjo.services import reference_prices, stock_alerts
from otesaintjo.services import withdrawal_exclusions as exclusions
from otesaintjo.services.shop_rules import slugify
from otesaintjo.services.shops import shop_for_merchant
from otesaintjo.services.validation import clean_text
from otesaintjo.storage import BlobStore, new_key

BY_CATEGORY = exclusions.BY_CATEGORY
UNCHANGED_EXCLUSION = exclusions.UNCHANGED
UNCHANGED = object()  # a field left as it is (where null means something)
VAT_RATES_BP = (850, 210, 105)  # La Réunion: normal 8.5 %, reduced 2.1 %, special 1.05 %
MAX_PRICE_CENTS = 10_000_000
MAX_STOCK = 1_000_000
MAX_IMAGES_PER_PRODUCT = 10


@dataclass(frozen=True)
class NewProduct:
    name: str
    price_cents: int
    vat_bp: int = 850
    description: str = ""
    category: str = "divers"
    deliverable: bool = True
    stock: int | None = None  # None: the FAQ's default of 100
    online: bool = True
    # None: returnable; BY_CATEGORY: the default of withdrawal_exclusions (L221-28)
    withdrawal_exclusion: str | None = exclusions.BY_CATEGORY
    low_stock_threshold: int | None = None  # None: no stock alert (stock_alerts.py)
    offline_at_zero: bool = False


@dataclass(frozen=True)
class ProductChanges:
    name: str | None = None
    description: str | None = None
    price_cents: int | None = None
    vat_bp: int | None = None
    category: str | None = None
    deliverable: bool | None = None
    stock: int | None = None
    withdrawal_exclusion: str | None = exclusions.UNCHANGED  # None: returnable again
    low_stock_threshold: int | object | None = UNCHANGED  # None: no stock alert
    offline_at_zero: bool | None = None


def check_price(cents: int, field: list[str]) -> int:
    if not 0 <= cents <= MAX_PRICE_CENTS:
        raise DomainError(
            ErrorCode.INVALID_PRICE, "Le prix doit être positif (en centimes).", field
        )
    return cents


def check_stock(stock: int, field: list[str]) -> int:
    if not 0 <= stock <= MAX_STOCK:
        raise DomainError(ErrorCode.INVALID_STOCK, "Le stock ne peut pas être négatif.", field)
    return stock


def check_vat(vat_bp: int, field: list[str]) -> int:
    if vat_bp not in VAT_RATES_BP:
        raise DomainError(
            ErrorCode.INVALID_VAT_RATE, "Taux de TVA de La Réunion : 8,5 %, 2,1 % ou 1,05 %.", field
        )
    return vat_bp


def check_category(category: str, field: list[str]) -> str:
    value = slugify(category)
    if len(value) > 40:
        raise DomainError(ErrorCode.INVALID_CATEGORY, "Catégorie trop longue.", field)
    return value


async def create_product(
    session: AsyncSession, user: User, shop_id: int, data: NewProduct, now: datetime
) -> Product:
    await shop_for_merchant(session, user, shop_id, "create_product")
    checks = FieldChecks()
    category = checks.check(check_category, data.category, ["category"]) or "divers"
    exclusion = data.withdrawal_exclusion
    if exclusion == exclusions.BY_CATEGORY:
        shop_categories = await exclusions.shop_categories(session, shop_id)
        exclusion = exclusions.default_exclusion(category, shop_categories)
    else:
        exclusion = checks.check(exclusions.check_exclusion, exclusion, ["withdrawalExclusion"])
    product = Product(
        shop_id=shop_id,
        name=checks.check(clean_text, data.name, ["name"], max_length=120) or "",
        description=checks.check(
            clean_text, data.description, ["description"], max_length=5000, required=False
        )
        or "",
        price_cents=checks.check(check_price, data.price_cents, ["priceCents"]) or 0,
        vat_bp=checks.check(check_vat, data.vat_bp, ["vatRate"]) or 850,
        category=category,
        deliverable=data.deliverable,
        stock=checks.check(
            check_stock, DEFAULT_STOCK if data.stock is None else data.stock, ["stock"]
        ),
        is_online=data.online,
        withdrawal_exclusion=exclusion,
        created_at=now,
        updated_at=now,
        low_stock_threshold=checks.check(
            stock_alerts.check_threshold, data.low_stock_threshold, ["lowStockThreshold"]
        ),
        offline_at_zero=data.offline_at_zero,
    )
    checks.raise_if_any()
    session.add(product)
    await session.flush()
    await reference_prices.record_price(session, product, now, first=True)  # L112-1-1
    return product


async def update_product(
    session: AsyncSession, user: User, product_id: int, changes: ProductChanges, now: datetime
) -> Product:
    product = await product_for_merchant(session, user, product_id, "update_product")
    checks = FieldChecks()
    values: dict[str, object] = {}
    if changes.name is not None:
        values["name"] = checks.check(clean_text, changes.name, ["name"], max_length=120)
    if changes.description is not None:
        values["description"] = checks.check(
            clean_text, changes.description, ["description"], max_length=5000, required=False
        )
    if changes.price_cents is not None:
        values["price_cents"] = checks.check(check_price, changes.price_cents, ["priceCents"])
    if changes.vat_bp is not None:
        values["vat_bp"] = checks.check(check_vat, changes.vat_bp, ["vatRate"])
    if changes.category is not None:
        values["category"] = checks.check(check_category, changes.category, ["category"])
    if changes.deliverable is not None:
        values["deliverable"] = changes.deliverable
    if changes.stock is not None:
        values["stock"] = checks.check(check_stock, changes.stock, ["stock"])
    if changes.withdrawal_exclusion != exclusions.UNCHANGED:
        values["withdrawal_exclusion"] = checks.check(
            exclusions.check_exclusion, changes.withdrawal_exclusion, ["withdrawalExclusion"]
        )
    if changes.low_stock_threshold is not UNCHANGED:
        values["low_stock_threshold"] = checks.check(
            stock_alerts.check_threshold, changes.low_stock_threshold, ["lowStockThreshold"]
        )
    if changes.offline_at_zero is not None:
        values["offline_at_zero"] = changes.offline_at_zero
    checks.raise_if_any()
    repriced = values.get("price_cents", product.price_cents) != product.price_cents
    stock_before, threshold_before = product.stock, product.low_stock_threshold
    for name, value in values.items():
        setattr(product, name, value)
    product.updated_at = now
    if repriced:  # the history a promotion's reference price is read from (L112-1-1)
        await reference_prices.record_price(session, product, now)
    if values.keys() & {"stock", "low_stock_threshold", "offline_at_zero"}:
        stock_alerts.after_edit(
            session,
            product,
            stock_alerts.StockMove(
                product.id,  # type: ignore[arg-type]
                stock_before,
                product.stock,
                product.low_stock_threshold,
                product.offline_at_zero,
                threshold_before=threshold_before,
                threshold_changed=True,
            ),
        )
    return product


async def set_product_online(
    session: AsyncSession, user: User, product_id: int, online: bool, now: datetime
) -> Product:
    product = await product_for_merchant(session, user, product_id, "set_product_online")
    product.is_online = online
    stock_alerts.by_hand(product)
    product.updated_at = now
    return product


async def product_for_merchant(
    session: AsyncSession, user: User, product_id: int, action: str
) -> Product:
    """The product, through its shop's door (``shop_for_merchant``: access and audit)."""
    product = await session.get(Product, product_id)
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Produit introuvable.", ["productId"])
    await shop_for_merchant(session, user, product.shop_id, action, product_id=product_id)
    return product


async def add_product_image(
    session: AsyncSession, user: User, store: BlobStore, product_id: int, data: bytes
) -> tuple[ProductImage, Product]:
    """Normalise the photo to 400×400 on white (whole item visible), then store it."""
    product = await product_for_merchant(session, user, product_id, "add_product_image")
    count = await _image_count(session, product_id)
    if count >= MAX_IMAGES_PER_PRODUCT:
        raise DomainError(
            ErrorCode.TOO_MANY_IMAGES, f"Au plus {MAX_IMAGES_PER_PRODUCT} photos par produit."
        )
    jpeg = await normalise(images.normalise_product_photo, data)
    key = new_key("products", "jpg")
    await store.put(key, jpeg, "image/jpeg")
    image = ProductImage(product_id=product.id, key=key, position=count)  # type: ignore[arg-type]
    session.add(image)
    await session.flush()
    return image, product


async def set_shop_cover_photo(
    session: AsyncSession, user: User, store: BlobStore, shop_id: int, data: bytes
) -> Shop:
    """A cover photo fitted in 1600×900 (never upscaled), EXIF stripped."""
    shop = await shop_for_merchant(session, user, shop_id, "set_shop_cover_photo")
    jpeg = await normalise(images.normalise_cover_photo, data)
    key = new_key("covers", "jpg")
    await store.put(key, jpeg, "image/jpeg")
    previous = shop.cover_image_key
    shop.cover_image_key = key
    await session.flush()
    if previous and not await _key_still_used(session, previous):
        after_commit(session, lambda: store.delete(previous))
    return shop


async def remove_product_image(
    session: AsyncSession, user: User, store: BlobStore, image_id: int
) -> Product:
    image = await session.get(ProductImage, image_id)
    if image is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Photo introuvable.", ["imageId"])
    product = await product_for_merchant(session, user, image.product_id, "remove_product_image")
    await session.delete(image)
    await session.flush()
    if not await _key_still_used(session, image.key):
        after_commit(session, lambda: store.delete(image.key))
    return product


async def _key_still_used(session: AsyncSession, key: str) -> bool:
    """A stored picture may be shared (the generated catalogues point thousands of products
    at one photo): its file goes only with the last row that shows it."""
    used = (
        select(ProductImage.id)
        .where(ProductImage.key == key)
        .union_all(select(Shop.id).where(Shop.cover_image_key == key))
    )
    return (await session.execute(used.limit(1))).first() is not None


async def reorder_product_images(
    session: AsyncSession, user: User, product_id: int, image_ids: list[int]
) -> Product:
    product = await product_for_merchant(session, user, product_id, "reorder_product_images")
    rows = list(
        (
            await session.execute(select(ProductImage).where(ProductImage.product_id == product_id))
        ).scalars()
    )
    if sorted(image_ids) != sorted(r.id for r in rows):  # type: ignore[type-var]
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Donnez toutes les photos du produit, une fois chacune.",
            ["imageIds"],
        )
    by_id = {row.id: row for row in rows}
    for position, image_id in enumerate(image_ids):
        by_id[image_id].position = position
    return product


async def normalise(process: Callable[[bytes], bytes], data: bytes) -> bytes:
    """Run the (CPU-bound) image pipeline off the event loop; refusals become userErrors."""
    try:
        return await in_thread(process, data)
    except images.ImageRejected as rejected:
        raise DomainError(ErrorCode(rejected.code), rejected.message, ["file"]) from rejected


async def _image_count(session: AsyncSession, product_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(ProductImage)
                .where(ProductImage.product_id == product_id)
            )
        ).scalar_one()
    )
