"""GET /metrics (Prometheus text, who may read it) and GET /readyz, through the real app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from otesaintjo import readiness
from otesaintjo.app import create_app
from otesaintjo.clock import utcnow
from otesaintjo.models import Job
from otesaintjo.settings import Settings
from tests.support.merchants import merchant
from tests.support.orders import PLACED
from tests.support.ws import LiveClient

CATALOGUE = "query Catalogue { products(first: 5) { edges { node { name } } } }"
BROKEN = "query Broken { noSuchField }"
TOKEN = "a-long-random-metrics-token-0123456789"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def read(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


@asynccontextmanager
async def http_from(app: Starlette, host: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(host, 41000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def scrape(app: Starlette) -> Samples:
    async with http_from(app) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return read(response.text)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


async def test_graphql_latency_errors_cache_database_and_gc(app, client) -> None:
    before = await scrape(app)
    await client.register("lea@example.re")
    for _ in range(3):
        await client(CATALOGUE)
    body = await client(BROKEN)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    await client("{ viewer { id } }")
    gc.collect()
    after = await scrape(app)

    count = "otesaintjo_graphql_request_duration_seconds_count"
    assert value(after, count, operation="Register", operation_type="mutation") == 1
    assert value(after, count, operation="Broken", operation_type="query") == 1
    assert value(after, count, operation="anonymous", operation_type="query") == 1
    le = {"operation": "Register", "operation_type": "mutation", "le": "+Inf"}
    assert value(after, "otesaintjo_graphql_request_duration_seconds_bucket", **le) == 1
    errors = "otesaintjo_graphql_errors_total"
    assert value(after, errors, code="GRAPHQL_VALIDATION_FAILED") == 1

    cache = app.state.runtime.response_cache
    hits, misses = "otesaintjo_response_cache_hits_total", "otesaintjo_response_cache_misses_total"
    assert value(after, hits) == cache.hits >= 1
    assert value(after, misses) == cache.misses >= 1
    assert (
        value(after, hits) + value(after, misses) - value(before, hits) - value(before, misses) >= 3
    )
    catalogue_runs = value(after, count, operation="Catalogue", operation_type="query")
    assert catalogue_runs == 3 - (value(after, hits) - value(before, hits))  # hits never execute

    for counter in ("otesaintjo_db_statements_total", "otesaintjo_db_pool_checkouts_total"):
        assert value(after, counter) > value(before, counter) > 0, counter
    assert value(after, "otesaintjo_db_pool_wait_seconds_count") > 0
    assert {
        "otesaintjo_db_pool_size",
        "otesaintjo_db_pool_checked_out",
        "otesaintjo_db_pool_overflow",
        "otesaintjo_outbox_jobs_pending",
        "otesaintjo_outbox_oldest_due_age_seconds",
        "otesaintjo_outbox_worker_heartbeat_age_seconds",
        "python_gc_collections_total",
        "process_cpu_seconds_total",
    } <= names(after)
    assert value(after, "otesaintjo_gc_pause_seconds_count", generation="2") >= 1
    assert value(after, "otesaintjo_gc_pause_seconds_sum", generation="2") > 0
    assert value(after, "otesaintjo_outbox_worker_polls_total") > 0


async def test_unregistered_operation_names_are_bounded(app, client, monkeypatch) -> None:
    from otesaintjo import metrics as metrics_module

    monkeypatch.setattr(metrics_module, "MAX_OPERATION_NAMES", 2)
    for name in ("One", "Two", "Three", "Four", "Two"):
        await client(f"query {name} {{ viewer {{ id }} }}")  # not cacheable: always executed
    await client("{ viewer { id } }")
    after = await scrape(app)
    count = "otesaintjo_graphql_request_duration_seconds_count"
    labels = {dict(lb)["operation"] for name, lb in after if name == count}
    assert labels == {"One", "Two", "other", "anonymous"}
    assert value(after, count, operation="other", operation_type="query") == 2
    assert value(after, count, operation="Two", operation_type="query") == 2


async def test_websocket_and_subscription_gauges(app, client, live_server) -> None:
    token, shop = await merchant(client)

    async def gauges() -> tuple[float, float]:
        samples = await scrape(app)
        return (
            value(samples, "otesaintjo_websocket_connections_open"),
            value(samples, "otesaintjo_graphql_subscriptions_active"),
        )

    async def until(expected: tuple[float, float]) -> None:
        for _ in range(200):
            if await gauges() == expected:
                return
            await asyncio.sleep(0.02)
        assert await gauges() == expected

    await until((0, 0))
    live = await LiveClient.connect(live_server, token)
    await until((1, 0))
    await live.subscribe("1", PLACED, {"s": shop["id"]})
    await until((1, 1))
    await live.close()
    await until((0, 0))
    samples = await scrape(app)
    assert value(samples, "otesaintjo_websocket_connections_accepted_total") == 1
    assert value(samples, "otesaintjo_graphql_subscriptions_started_total") == 1


async def test_metrics_are_not_served_to_others_without_a_token(app, client) -> None:
    """Development without a token: loopback only (the client fixture is 198.51.100.7)."""
    response = await client.http.get("/metrics")
    assert response.status_code == 404
    assert "otesaintjo" not in response.text


async def test_with_a_token_metrics_need_it_as_a_bearer_token(settings) -> None:
    async with running(settings.model_copy(update={"metrics_token": TOKEN})) as application:
        async with http_from(application, "127.0.0.1") as http:
            assert (await http.get("/metrics")).status_code == 401
            wrong = {"Authorization": "Bearer not-the-token"}
            assert (await http.get("/metrics", headers=wrong)).status_code == 401
        async with http_from(application, "203.0.113.9") as http:
            right = {"Authorization": f"Bearer {TOKEN}"}
            response = await http.get("/metrics", headers=right)
            assert response.status_code == 200
            assert "otesaintjo_db_statements_total" in response.text


async def test_production_without_a_token_serves_metrics_to_nobody(settings) -> None:
    production = settings.model_copy(update={"env": "production", "jobs_enabled": False})
    async with running(production) as application, http_from(application) as http:
        assert (await http.get("/metrics")).status_code == 404


async def test_readyz_ok(app, client) -> None:
    response = await client.http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "event_bus": "ok",
        "worker": "ok",
    }


async def test_readyz_503_when_the_database_is_unreachable(settings) -> None:
    broken = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "jobs_enabled": False,
        }
    )
    async with running(broken) as application, http_from(application) as http:
        response = await http.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "error",
            "database": "unreachable",
            "event_bus": "ok",
            "worker": "disabled",
            "failing": ["database"],
        }
        # /metrics still answers, without the outbox readings it could not take.
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        samples = read(metrics.text)
        assert "otesaintjo_outbox_jobs_pending" not in names(samples)
        assert value(samples, "otesaintjo_outbox_reading_errors_total") == 1


async def test_readyz_503_when_the_worker_is_dead_or_stuck(app, client, monkeypatch) -> None:
    worker = app.state.runtime.worker
    task = worker._task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    response = await client.http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"] == "stopped"
    assert response.json()["failing"] == ["worker"]

    worker.start()  # back to life (and stopped cleanly at shutdown)
    assert (await client.http.get("/readyz")).status_code == 200

    monkeypatch.setattr(readiness, "stale_after", lambda _poll_seconds: -1.0)
    response = await client.http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"] == "stale"


async def test_jobs_disabled_outbox_lag_and_readiness(settings, session_factory) -> None:
    """A due job nobody runs: the lag grows; the worker is "disabled", which is no failure."""
    async with running(settings.model_copy(update={"jobs_enabled": False})) as application:
        async with session_factory() as session, session.begin():
            session.add(Job(kind="email", payload={}, run_at=utcnow() - timedelta(minutes=2)))
            session.add(Job(kind="email", payload={}, run_at=utcnow() + timedelta(hours=1)))
        samples = await scrape(application)
        assert value(samples, "otesaintjo_outbox_jobs_pending") == 2
        assert value(samples, "otesaintjo_outbox_jobs_due") == 1
        assert 110 < value(samples, "otesaintjo_outbox_oldest_due_age_seconds") < 600
        assert "otesaintjo_outbox_worker_heartbeat_age_seconds" not in names(samples)
        async with http_from(application) as http:
            response = await http.get("/readyz")
        assert response.status_code == 200
        assert response.json()["worker"] == "disabled"


async def test_readyz_follows_the_postgres_listen_connection(settings, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL event bus needs PostgreSQL")
    bus_settings = settings.model_copy(update={"event_bus": "postgres", "jobs_enabled": False})
    async with running(bus_settings) as application, http_from(application) as http:
        assert (await http.get("/readyz")).json()["event_bus"] == "ok"
        await application.state.runtime.bus.stop()
        response = await http.get("/readyz")
        assert response.status_code == 503
        assert response.json()["event_bus"] == "not listening"


async def test_requests_beyond_the_gate_wait_their_turn_and_are_counted(settings) -> None:
    """One slot (OTESAINTJO_MAX_CONCURRENT_REQUESTS=1): twelve queries at once are all
    answered, eleven after waiting; the waits show in /metrics, the scrape itself never waits."""
    one_slot = settings.model_copy(update={"max_concurrent_requests": 1})
    async with running(one_slot) as application, http_from(application) as http:
        answers = await asyncio.gather(
            *(http.post("/graphql", json={"query": CATALOGUE}) for _ in range(12))
        )
        assert [a.status_code for a in answers] == [200] * 12
        assert all("errors" not in a.json() for a in answers)
        samples = await scrape(application)
    assert value(samples, "otesaintjo_http_admission_waits_total") == 11
    assert value(samples, "otesaintjo_http_admission_wait_seconds_total") > 0
    assert value(samples, "otesaintjo_http_requests_waiting") == 0
    assert value(samples, "otesaintjo_http_requests_in_service") == 0


async def test_without_a_limit_there_is_no_gate(settings) -> None:
    async with running(settings.model_copy(update={"max_concurrent_requests": 0})) as application:
        assert application.state.runtime.admission is None
        samples = await scrape(application)
    assert "otesaintjo_http_requests_waiting" not in names(samples)
