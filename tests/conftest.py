"""Fixtures: a migrated database (SQLite by default, PostgreSQL with
``OTESAINTJO_TEST_DATABASE_URL``), emptied between tests; the app with its lifespan; a real
SMTP server on loopback; an HTTP client; Stripe's API served offline by localstripe and our
Connect double (child processes, once per session)."""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import strawberry
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from otesaintjo.app import create_app
from otesaintjo.db import create_engine, create_session_factory
from otesaintjo.migrations import upgrade
from otesaintjo.models.base import metadata
from otesaintjo.payments.offline.processes import (
    OFFLINE_API_KEY,
    OFFLINE_PUBLISHABLE_KEY,
    OfflineStripe,
)
from otesaintjo.settings import Settings
from tests.doubles.sms_gateway import TOKEN as SMS_TOKEN
from tests.doubles.sms_gateway import SmsGateway
from tests.doubles.smtp import Mailbox
from tests.support.graphql import GraphQLClient, serving
from tests.support.settings import TEST_SECRET


def _test_database_url() -> str:
    url = os.environ.get("OTESAINTJO_TEST_DATABASE_URL")
    if url:
        return url
    directory = Path(tempfile.mkdtemp(prefix="otesaintjo-tests-"))
    return f"sqlite+aiosqlite:///{directory / 'test.db'}"


async def _prepare(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> str:
    """Migrated once per run. An unreachable database fails the run: it is never skipped."""
    url = _test_database_url()
    try:
        asyncio.run(_prepare(url))
    except Exception as exc:
        pytest.exit(f"test database unreachable ({url.split('@')[-1]}): {exc}", returncode=3)
    return url


def pytest_report_header() -> str:
    url = os.environ.get("OTESAINTJO_TEST_DATABASE_URL", "sqlite (temporary file)")
    return f"otesaintjo test database: {url.split('@')[-1]}"


@pytest.fixture(autouse=True)
async def _empty_database_after_test(database_url: str) -> AsyncIterator[None]:
    """Every test starts from empty tables, whichever app or engine it used."""
    yield
    engine = create_engine(database_url)
    try:
        await _empty_tables(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def session_factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def _empty_tables(engine: AsyncEngine) -> None:
    kept = {"catalogue_listing_version"}  # the shard rows the migrations create
    names = [t.name for t in reversed(metadata.sorted_tables) if t.name not in kept]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{n}"' for n in names)
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                await connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture(scope="session")
def offline_stripe() -> Iterator[OfflineStripe]:
    offline = OfflineStripe.start()
    yield offline
    offline.stop()


@pytest.fixture
def settings(
    database_url: str, mailbox: Mailbox, sms_gateway: SmsGateway, offline_stripe: OfflineStripe
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,
        smtp_url=mailbox.url,
        public_url="https://otesaintjo.test",
        frontend_url="https://boutique.otesaintjo.test",
        jobs_poll_seconds=0.05,
        db_pool_warm=False,  # each test's app would open 30 sessions: tests/test_db.py checks it
        stripe_api_key=OFFLINE_API_KEY,
        stripe_publishable_key=OFFLINE_PUBLISHABLE_KEY,
        stripe_js_url=offline_stripe.stripe_js_url,
        stripe_api_base=offline_stripe.api_base,
        stripe_connect_api_base=offline_stripe.connect_base,
        stripe_webhook_secrets=[offline_stripe.webhook_secret],
        stripe_offline=True,
        sms_gateway_url=sms_gateway.url,
        sms_gateway_token=SMS_TOKEN,
        ws_session_check_seconds=0.2,
        # The whole suite talks from one address: the throttles and the cost budget are tested
        # on their own (tests/api/test_abuse.py), with their real figures.
        throttles_per_hour={
            action: dict.fromkeys(targets, 100_000)
            for action, targets in Settings.model_fields["throttles_per_hour"].default.items()
        },
        cost_budget=100_000_000,
        cost_refill_per_second=1_000_000,
        gc_freeze_after_start=False,  # hundreds of apps in one process: freeze none of them
    )


@pytest.fixture
async def app(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def live_server(app: Starlette) -> AsyncIterator[str]:
    """The app served by a real uvicorn on a loopback port (for real WebSocket clients)."""
    async with serving(app) as host:
        yield host


@pytest.fixture
def stripe_webhooks(live_server: str, offline_stripe: OfflineStripe) -> str:
    """localstripe and the Connect double send their signed events to this test's server."""
    url = f"http://{live_server}/webhooks/stripe"
    offline_stripe.register_webhook(url)
    return url


@pytest.fixture(scope="module", autouse=True)
def _settled_like_a_server() -> None:
    """What earlier modules left alive (imports, warmed caches) is frozen, as a server freezes
    what it built at start-up (``gc_policy``): a full collection then walks what this module
    made, not the whole suite's heap (1.2 million objects by its end, ~1 s per collection —
    long enough to blow a browser test's 2 s live-push budget on a slower machine)."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _no_schema_outlives_its_test() -> Iterator[None]:
    """strawberry caches two lookups per schema in class-level ``lru_cache``s (128 entries),
    which keep the schemas of earlier tests' apps alive: ~16,000 objects each that every full
    garbage collection of this process walks again. A server builds one schema; the suite
    builds one per app."""
    yield
    strawberry.Schema.get_type_by_name.cache_clear()
    strawberry.Schema.get_directive_by_name.cache_clear()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(monkeypatch, tmp_path: Path) -> None:
    """Uploaded photos (and data exports) of a test go to its own directory, never into the
    checkout."""
    monkeypatch.setenv("OTESAINTJO_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("OTESAINTJO_PRIVATE_DIR", str(tmp_path / "private"))
