"""Blob stores: the local directory one and the in-memory one used by tests."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from otesaintjo.storage import BlobStore, LocalDirStore, MemoryStore, new_key

BAD_KEYS = [
    "../x",
    "products/../../etc/passwd",
    "/etc/passwd",
    "a//b",
    "a\\b",
    "",
    "a/",
    "./x",
    ".hidden",
    "a/b\x00.jpg",
]


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalDirStore(tmp_path / "media", "https://cdn.example.re/media/")
    return MemoryStore("https://cdn.example.re/media/")


def test_new_key_is_prefixed_and_unique() -> None:
    key = new_key("products", "jpg")
    assert re.fullmatch(r"products/[0-9a-f]{32}\.jpg", key)
    assert new_key("products", "jpg") != key


async def test_put_get_delete(store: BlobStore) -> None:
    key = new_key("products", "jpg")
    assert await store.get(key) is None
    await store.put(key, b"\xff\xd8\xff first", "image/jpeg")
    assert await store.get(key) == b"\xff\xd8\xff first"
    await store.put(key, b"\xff\xd8\xff second", "image/jpeg")
    assert await store.get(key) == b"\xff\xd8\xff second"
    await store.delete(key)
    assert await store.get(key) is None
    await store.delete(key)  # deleting twice is fine


async def test_get_missing_key_returns_none(store: BlobStore) -> None:
    assert await store.get("products/missing.jpg") is None
    assert await store.get("products") is None


def test_url_joins_base_url_and_key(store: BlobStore) -> None:
    assert store.url("shops/abc.jpg") == "https://cdn.example.re/media/shops/abc.jpg"
    assert MemoryStore("http://x").url("a/b.png") == "http://x/a/b.png"


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_traversal_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        await store.put(key, b"x", "image/jpeg")
    with pytest.raises(ValueError):
        await store.get(key)
    with pytest.raises(ValueError):
        await store.delete(key)
    with pytest.raises(ValueError):
        store.url(key)


async def test_local_store_writes_under_root_atomically(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = LocalDirStore(root, "/media")
    await store.put("shops/12/cover.jpg", b"cover", "image/jpeg")
    path = root / "shops" / "12" / "cover.jpg"
    assert path.read_bytes() == b"cover"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # readable by the static file server
    assert sorted(p.name for p in path.parent.iterdir()) == ["cover.jpg"]  # no temp file left
    with pytest.raises(ValueError):
        await store.put("../outside.jpg", b"x", "image/jpeg")
    assert not (tmp_path / "outside.jpg").exists()
    await store.delete("shops/12/cover.jpg")
    assert not path.exists()


async def test_memory_store_records_content_type() -> None:
    store = MemoryStore()
    await store.put("products/a.png", b"png", "image/png")
    assert store.content_types["products/a.png"] == "image/png"
    assert store.blobs == {"products/a.png": b"png"}
