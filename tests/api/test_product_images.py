"""Photo uploads over the GraphQL multipart spec: normalised, stored, served; bad files refused."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from sqlalchemy import text
from strawberry import relay

from otesaintjo.models import ProductImage
from otesaintjo.schema.ids import encode_id
from tests.support.merchants import ADD_IMAGE, add_product, merchant, upload

REMOVE = """mutation($id: ID!) { removeProductImage(input: {imageId: $id}) { product { images { id } } userErrors { code } } }"""
REORDER = """mutation($p: ID!, $ids: [ID!]!) {
  reorderProductImages(input: {productId: $p, imageIds: $ids}) { product { images { id position } } userErrors { code } } }"""


def picture(fmt: str, size: tuple[int, int] = (800, 400), colour=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def png_bomb(side: int = 50_000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


async def _add(client, token, product_id, content, **kw):
    return await upload(
        client,
        token,
        ADD_IMAGE,
        {"input": {"productId": product_id, "file": None}},
        "variables.input.file",
        content,
        **kw,
    )


async def test_png_and_jpeg_are_normalised_and_served(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    for content, kind in (
        (picture("PNG"), "image/png"),
        (picture("JPEG", (300, 600)), "image/jpeg"),
    ):
        response = await _add(client, token, product["id"], content, content_type=kind)
        payload = response.json()["data"]["addProductImage"]
        assert payload["userErrors"] == []
        url = payload["image"]["url"]
        assert url.startswith("https://otesaintjo.test/media/products/") and url.endswith(".jpg")
        served = await client.http.get(url.removeprefix("https://otesaintjo.test"))
        assert served.status_code == 200
        image = Image.open(io.BytesIO(served.content))
        assert image.format == "JPEG" and image.size == (400, 400)
        rgb = image.convert("RGB")
        # Fit and pad, never crop: the padded border is white, the middle is the product.
        border = (200, 2) if content.startswith(b"\x89PNG") else (2, 200)
        assert min(rgb.getpixel(border)) >= 245
        assert rgb.getpixel((200, 200))[0] > 150 and rgb.getpixel((200, 200))[1] < 90
    assert [i["url"] for i in payload["product"]["images"]][-1] == url
    assert len(payload["product"]["images"]) == 2


async def test_bad_files_are_refused_with_a_clear_user_error(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    cases = {
        "UNSUPPORTED_IMAGE_FORMAT": [
            (b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF", "doc.pdf", "application/pdf"),
            (
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "x.svg",
                "image/svg+xml",
            ),
            (b"<!doctype html><html><body>hello</body></html>", "photo.png", "image/png"),
        ],
        "IMAGE_TOO_MANY_PIXELS": [(png_bomb(), "bomb.png", "image/png")],
        "IMAGE_TOO_LARGE": [
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024 + 10), "big.png", "image/png")
        ],
    }
    for code, files in cases.items():
        for content, name, kind in files:
            response = await _add(
                client, token, product["id"], content, filename=name, content_type=kind
            )
            assert response.status_code == 200, response.text
            payload = response.json()["data"]["addProductImage"]
            assert payload["image"] is None
            assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["file"], code)], (
                name
            )
            assert payload["userErrors"][0]["message"]


async def test_an_11_megabyte_body_is_refused_with_413(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    response = await _add(
        client, token, product["id"], b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * 1024 * 1024 + 1)
    )
    assert response.status_code == 413


async def test_uploads_need_the_preflight_header(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    response = await _add(client, token, product["id"], picture("PNG"), preflight=False)
    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.text


async def test_remove_and_reorder(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    ids = []
    for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
        response = await _add(client, token, product["id"], picture("PNG", colour=colour))
        ids.append(response.json()["data"]["addProductImage"]["image"]["id"])
    body = await client(REORDER, {"p": product["id"], "ids": [ids[2], ids[0], ids[1]]}, token=token)
    images = body["data"]["reorderProductImages"]["product"]["images"]
    assert [i["id"] for i in images] == [ids[2], ids[0], ids[1]]
    assert [i["position"] for i in images] == [0, 1, 2]
    incomplete = await client(REORDER, {"p": product["id"], "ids": [ids[0]]}, token=token)
    assert incomplete["data"]["reorderProductImages"]["userErrors"] == [{"code": "INVALID_INPUT"}]
    removed = await client(REMOVE, {"id": ids[0]}, token=token)
    assert [i["id"] for i in removed["data"]["removeProductImage"]["product"]["images"]] == [
        ids[2],
        ids[1],
    ]


async def test_another_merchant_cannot_add_a_photo(client) -> None:
    token, shop = await merchant(client)
    product = await add_product(client, token, shop["id"])
    intruder, _ = await merchant(client, "autre@example.re", name="Autre")
    response = await _add(client, intruder, product["id"], picture("PNG"))
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


COVER = """mutation($input: SetShopCoverPhotoInput!) {
  setShopCoverPhoto(input: $input) { shop { coverPhotoUrl } userErrors { field code } } }"""


async def test_cover_photo_is_fitted_and_the_old_one_removed(client) -> None:
    token, shop = await merchant(client)
    urls = []
    for size in ((3200, 1200), (800, 600)):
        response = await upload(
            client,
            token,
            COVER,
            {"input": {"shopId": shop["id"], "file": None}},
            "variables.input.file",
            picture("JPEG", size),
        )
        payload = response.json()["data"]["setShopCoverPhoto"]
        assert payload["userErrors"] == []
        urls.append(payload["shop"]["coverPhotoUrl"].removeprefix("https://otesaintjo.test"))
    first, second = [await client.http.get(url) for url in urls]
    assert first.status_code == 404  # replaced, removed after the commit
    assert Image.open(io.BytesIO(second.content)).size == (800, 600)  # never upscaled
    refused = await upload(
        client,
        token,
        COVER,
        {"input": {"shopId": shop["id"], "file": None}},
        "variables.input.file",
        b"%PDF-1.4",
        filename="x.pdf",
        content_type="application/pdf",
    )
    assert refused.json()["data"]["setShopCoverPhoto"]["userErrors"] == [
        {"field": ["file"], "code": "UNSUPPORTED_IMAGE_FORMAT"}
    ]


async def test_a_wide_cover_fits_in_1600_by_900(client) -> None:
    token, shop = await merchant(client)
    response = await upload(
        client,
        token,
        COVER,
        {"input": {"shopId": shop["id"], "file": None}},
        "variables.input.file",
        picture("PNG", (3200, 1200)),
    )
    url = response.json()["data"]["setShopCoverPhoto"]["shop"]["coverPhotoUrl"]
    served = await client.http.get(url.removeprefix("https://otesaintjo.test"))
    assert Image.open(io.BytesIO(served.content)).size == (1600, 600)


async def test_a_shared_photo_stays_until_its_last_product_lets_it_go(
    client, session_factory
) -> None:
    """The generated catalogues (seed --scale, --towns) point many products at one file."""
    token, shop = await merchant(client)
    first = await add_product(client, token, shop["id"], name="Letchis")
    second = await add_product(client, token, shop["id"], name="Longanis")
    added = (await _add(client, token, first["id"], picture("PNG"))).json()["data"]
    image = added["addProductImage"]["image"]
    async with session_factory() as session, session.begin():
        key = (await session.execute(text("SELECT key FROM product_image"))).scalar_one()
        product_id = int(relay.GlobalID.from_id(second["id"]).node_id)
        shared = ProductImage(product_id=product_id, key=key, position=0)
        session.add(shared)
        await session.flush()
        shared_id = encode_id("ProductImage", shared.id)
    path = image["url"].removeprefix("https://otesaintjo.test")
    await client(REMOVE, {"id": image["id"]}, token=token)
    assert (await client.http.get(path)).status_code == 200  # "Longanis" still shows it
    await client(REMOVE, {"id": shared_id}, token=token)
    assert (await client.http.get(path)).status_code == 404
