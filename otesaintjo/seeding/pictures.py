"""The island's product photos: one drawn picture per kind of product, stored once.

72 pictures (one per trade and product category of the demo town, « Pains », « Plantes »…),
drawn with Pillow like the demo town's and normalised like an upload (400×400 JPEG on white);
a million ``product_image`` rows point at them. Drawing takes a couple of seconds.
"""

from __future__ import annotations

import asyncio

from otesaintjo import images
from otesaintjo.demo import draw_product_picture
from otesaintjo.demo.model import DemoProduct
from otesaintjo.seeding.plan import templates_by_trade
from otesaintjo.seeding.rows import picture_slots
from otesaintjo.storage import BlobStore, new_key


def _picture(trade: str, category: str) -> bytes:
    template = next(t for t in templates_by_trade()[trade] if t.category == category)
    label = category.replace("-", " ").capitalize()
    kind = DemoProduct(
        name=label,
        description="",
        price_cents=template.price_cents,
        vat_bp=template.vat_bp,
        category=trade,
        colour=template.colour,
    )
    return images.normalise_product_photo(draw_product_picture(kind, seed=len(label)))


async def store_pictures(store: BlobStore) -> list[str]:
    """Draw and store the shared pictures; their keys, in :func:`picture_slots` order."""
    keys = []
    for trade, category in picture_slots():
        jpeg = await asyncio.to_thread(_picture, trade, category)
        key = new_key("products", "jpg")
        await store.put(key, jpeg, "image/jpeg")
        keys.append(key)
    return keys
