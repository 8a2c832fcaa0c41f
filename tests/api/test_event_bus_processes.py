"""Two real uvicorn processes on one PostgreSQL database: a merchant subscribed through one
receives the order paid through the other, over the PostgreSQL bus and over the Redis bus."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import httpx
import pytest

from otesaintjo.events.postgres import APPLICATION_NAME, asyncpg_dsn
from otesaintjo.payments.offline.processes import OfflineStripe
from tests.doubles.smtp import wait_until
from tests.support.api_processes import api_process
from tests.support.buying import Town, buy
from tests.support.graphql import GraphQLClient
from tests.support.orders import PLACED
from tests.support.settings import TEST_SECRET
from tests.support.ws import LiveClient, data

REDIS_URL = os.environ.get("OTESAINTJO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def postgres_only(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share a database on PostgreSQL only (SQLite: one writer)")
    return database_url


def process_env(database_url: str, bus: str, offline: OfflineStripe, mailbox, tmp_path) -> dict:
    return {
        "OTESAINTJO_DATABASE_URL": database_url,
        "OTESAINTJO_SECRET_KEY": TEST_SECRET,
        "OTESAINTJO_EVENT_BUS": bus,
        "OTESAINTJO_REDIS_URL": REDIS_URL,
        "OTESAINTJO_SMTP_URL": mailbox.url,
        "OTESAINTJO_JOBS_POLL_SECONDS": "0.1",
        "OTESAINTJO_MEDIA_DIR": str(tmp_path / "media"),
        **offline.environment(),
    }


async def cross_process_delivery(
    database_url: str, bus: str, offline: OfflineStripe, mailbox, tmp_path: Path
) -> None:
    env = process_env(database_url, bus, offline, mailbox, tmp_path)
    async with (
        api_process(env, tmp_path) as first,
        api_process(env, tmp_path) as second,
        httpx.AsyncClient(base_url=f"http://{second}") as http,
    ):
        client = GraphQLClient(http)
        town = await Town(client).build()
        customer = await town.customer("client@example.re")
        merchant = await LiveClient.connect(first, town.grocer_token)
        await merchant.subscribe("1", PLACED, {"s": town.grocer["id"]})
        await merchant.nothing_within(0.5)
        purchase = await buy(client, offline, town, customer, bread=0, rice=1)
        pushed = data(await merchant.receive(timeout=10), "orderPlaced")
        assert pushed["id"] == purchase["orders"][0]["id"]
        if bus == "postgres":
            await survive_a_dropped_listen_connection(database_url)
            again = await buy(client, offline, town, customer, bread=0, rice=1)
            pushed = data(await merchant.receive(timeout=10), "orderPlaced")
            assert pushed["id"] == again["orders"][0]["id"]
        await merchant.close()


async def survive_a_dropped_listen_connection(database_url: str) -> None:
    """Kill both processes' LISTEN connections; they must come back by themselves."""
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        count = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
        assert await admin.fetchval(count, APPLICATION_NAME) == 2
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            APPLICATION_NAME,
        )

        async def relistening() -> bool:
            return await admin.fetchval(count, APPLICATION_NAME) == 2

        await wait_until(relistening, timeout=15)
    finally:
        await admin.close()


async def test_postgres_bus_across_two_processes(
    postgres_only, offline_stripe, mailbox, tmp_path
) -> None:
    await cross_process_delivery(postgres_only, "postgres", offline_stripe, mailbox, tmp_path)


async def test_redis_bus_across_two_processes(
    postgres_only, offline_stripe, mailbox, tmp_path
) -> None:
    await cross_process_delivery(postgres_only, "redis", offline_stripe, mailbox, tmp_path)
