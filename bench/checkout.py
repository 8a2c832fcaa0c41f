"""Checkout under load: many signed-in customers calling ``checkout`` at the same time.

A fresh PostgreSQL database, ``otesaintjo migrate``, then ``otesaintjo serve`` (development
mode, no Stripe key: the offline payment servers, localstripe and the Connect double, run as
its children; with ``--workers N``, N uvicorn processes on the PostgreSQL event bus). Not
timed: 2 merchants with a shop and a few products each, ``--customers`` customers each with a
cart on both shops (one delivered by the merchant, one collected), and one warm-up checkout per
customer, one at a time, then one round like the timed ones (the first burst after start finds
cold connections — ours, the pool's, the Stripe client's —: its latencies are printed, not
counted). Timed: ``--rounds`` rounds in which every customer calls ``checkout``
(a new idempotency key each time) at once; each call's latency is recorded, with the CPU of
every server process and the PostgreSQL sessions and transactions meanwhile. Then, unless
``--no-trips``, a second server (one process) behind a counting proxy: the round trips on the
wire and the SQL statements of a lone checkout. See bench/README.md, "Checkout under load".

    .venv/bin/python bench/checkout.py [--customers 32] [--rounds 10] [--workers 1]
                                       [--pool-size N] [--no-trips] [--keep-db] [--keep-logs]

Everything runs on 127.0.0.1. The servers (and their children) are stopped and the database
dropped on exit, whatever happens (unless ``--keep-db``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
from harness import BenchError, free_port, raised_throttles, server

# The project's own proxy (importable: the editable install puts the checkout on sys.path).
from tests.support.pg_proxy import RoundTrips, counting_proxy

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin (run with .venv/bin/python)
HOST = "127.0.0.1"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "otesaintjo_bench_checkout"
SECRET_KEY = "bench-only-secret-not-used-for-anything-real-0123456789"
PASSWORD = "bench-password-0123"
CALL_TIMEOUT = 60.0
SHOW_ERRORS = 5
# PostgreSQL's backends report their counts (pg_stat_database) at most once a second.
SETTLE_SECONDS = 1.5
LONE_WARM_UPS = 6  # the round trips: first prepare each statement on the pool's connections
LONE_CHECKOUTS = 10

EVERY_DAY = [
    {"day": day, "opens": "00:00", "closes": "23:59"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
]
SHOP_ADDRESS = {"street": "12 rue Raphaël Babet", "postcode": "97480", "town": "Saint-Joseph"}
DELIVERY_ADDRESS = {"street": "5 chemin Bœuf Mort", "postcode": "97480", "town": "Saint-Joseph"}
SHOPS = (
    ("Boulangerie du Centre", (("Pain au levain", 350), ("Baguette", 120), ("Bouchon", 90))),
    ("Épicerie Hoarau", (("Riz", 1200), ("Rougail saucisse", 890), ("Achards", 450))),
)
STOCK = 1_000_000

REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { accessToken userErrors { code } } }"""
CREATE_SHOP = """mutation($input: CreateShopInput!) {
  createShop(input: $input) { shop { id } userErrors { field code } } }"""
UPDATE_SHOP = """mutation($input: UpdateShopInput!) {
  updateShop(input: $input) { userErrors { code } } }"""
CREATE_PRODUCT = """mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id } userErrors { code } } }"""
ADD_ITEM = """mutation($input: CartAddItemInput!) {
  cartAddItem(input: $input) { userErrors { code } } }"""
SET_FULFILMENT = """mutation($input: CartSetFulfilmentInput!) {
  cartSetFulfilment(input: $input) { userErrors { code } } }"""
CHECKOUT = """mutation($input: CheckoutInput!) { checkout(input: $input) {
  purchase { id status payment { clientSecret } orders { id status } } userErrors { code } } }"""


# --- processes -------------------------------------------------------------------------------


def bench_env(database_url: str, workdir: Path, public_url: str) -> dict[str, str]:
    """The environment of every child: ours minus any OTESAINTJO_* setting, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}
    env.update(
        OTESAINTJO_DATABASE_URL=database_url,
        OTESAINTJO_MEDIA_DIR=str(workdir / "media"),
        OTESAINTJO_PUBLIC_URL=public_url,
        OTESAINTJO_ENV="development",  # production requires a real Stripe key
        OTESAINTJO_SECRET_KEY=SECRET_KEY,
        OTESAINTJO_RESPONSE_CACHE="false",
        OTESAINTJO_LOGIN_FREE_FAILURES_PER_IP="100000",
        # Every account is registered from 127.0.0.1: at most 10 an hour by default.
        OTESAINTJO_THROTTLES_PER_HOUR=raised_throttles(),
    )
    return env


def database_url(name: str = PG_DATABASE) -> str:
    """The server's (SQLAlchemy) URL of a database of the bench's PostgreSQL."""
    return f"postgresql+asyncpg://{PG_SERVER.removeprefix('postgresql://')}/{name}"


def pg_database(action: str, name: str = PG_DATABASE) -> None:
    """Create (dropping any leftover) or drop the bench database with the CI's script."""
    result = subprocess.run(  # noqa: S603 (our own fixed command line)
        [sys.executable, str(ROOT / ".ci" / "pg_database.py"), action, name, PG_SERVER],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"pg_database.py {action} failed: {result.stderr.strip()}")


def migrate(env: dict[str, str], workdir: Path) -> None:
    log = workdir / "migrate.log"
    with log.open("wb") as out:
        result = subprocess.run(  # noqa: S603 (our own fixed command line)
            [str(BIN / "otesaintjo"), "migrate"],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        raise BenchError(f"migrate failed ({result.returncode}); see {log}")


@contextlib.contextmanager
def serve(
    env: dict[str, str], port: int, log: Path, workers: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """``otesaintjo serve`` (with its offline payment children), stopped whatever happens."""
    command = [str(BIN / "otesaintjo"), "serve", "--host", HOST, "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with server("the server", command, env, port, log) as process:
        yield process


def server_settings(workers: int, pool_size: int) -> dict[str, str]:
    """What ``serve --workers N`` needs beyond one process: an event bus shared by the
    processes (the in-memory one is refused with several), and a pool per process that fits
    PostgreSQL's max_connections (each process keeps ``pool_size`` + 10 for bursts)."""
    env = {"OTESAINTJO_DB_POOL_SIZE": str(pool_size)}
    if workers > 1:
        env["OTESAINTJO_EVENT_BUS"] = "postgres"
    return env


def default_pool_size(workers: int) -> int:
    """The app's default (30) for one process; 20 each for several (2 x 30 connections at
    most: room for the tests others run on the same PostgreSQL, max_connections 100)."""
    return 30 if workers == 1 else 20


# --- CPU accounting --------------------------------------------------------------------------


def proc_stat(pid: int) -> tuple[int, int, int]:
    """(parent pid, utime + stime, cutime + cstime) of a process, in clock ticks.

    The last one is the time of its children that ended and were reaped: the PostgreSQL
    backends of pool connections closed during the run are counted there, in the postmaster."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def process_name(pid: int) -> str:
    with contextlib.suppress(OSError):
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [Path(a.decode()).name for a in argv if a]
        if words and words[0].startswith("python") and len(words) > 1:
            words = words[1:]
        while len(words) > 1 and words[0] in ("-B", "-E", "-I", "-O", "-s", "-S", "-u"):
            words = words[1:]  # interpreter flags (multiprocessing starts its children with -B)
        if words and words[0] == "-m" and len(words) > 1:
            words = words[1:]
        if words and words[0] == "-c" and len(words) > 1:  # multiprocessing's spawned children
            if "spawn_main" in words[1]:
                return "uvicorn worker"
            if "resource_tracker" in words[1]:
                return "multiprocessing resource tracker"
        if words:
            return words[0]
    return str(pid)


def command_name(pid: int) -> str:
    """The kernel's name of the executable (PostgreSQL rewrites its argv, not this)."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


def cpu_snapshot(server_pid: int) -> dict[str, int]:
    """Ticks used so far by the server, its descendants, PostgreSQL as a whole and us."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    reaped: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pid = int(entry.name)
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[pid], ticks[pid], reaped[pid] = proc_stat(pid)
    family = {server_pid}
    grew = True
    while grew:
        children = {pid for pid, ppid in parents.items() if ppid in family} - family
        family |= children
        grew = bool(children)
    snapshot: dict[str, int] = {}
    for pid in sorted(family):
        name = "server" if pid == server_pid else f"server child {process_name(pid)}"
        snapshot[name] = snapshot.get(name, 0) + ticks.get(pid, 0)
    postgres = {pid for pid in ticks if command_name(pid) == "postgres"}
    if postgres:
        postmasters = {pid for pid in postgres if parents[pid] not in postgres}
        snapshot["postgresql (all its processes)"] = sum(ticks[pid] for pid in postgres) + sum(
            reaped[pid] for pid in postmasters
        )
    snapshot["load generator (this script)"] = ticks.get(os.getpid(), 0)
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    snapshot["_busy"], snapshot["_total"] = sum(values) - values[3] - values[4], sum(values)
    return snapshot


def cpu_usage(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, float]:
    """Per process: % of one core over ``seconds``; "machine": % of every core."""
    tick = os.sysconf("SC_CLK_TCK")
    usage = {
        name: round((after[name] - before.get(name, 0)) / tick / seconds * 100, 1)
        for name in after
        if not name.startswith("_")
    }
    total = max(after["_total"] - before["_total"], 1)
    usage["machine (100 % = every core)"] = round(
        (after["_busy"] - before["_busy"]) / total * 100, 1
    )
    return usage


# --- GraphQL ---------------------------------------------------------------------------------


@dataclass
class Api:
    http: httpx.AsyncClient
    url: str
    light: aiohttp.ClientSession | None = None
    """When set, GraphQL calls go through it: aiohttp's client costs a third of httpx's CPU
    per call, and this script shares the machine's cores with the servers it measures."""

    async def call(self, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.light is not None:
            body = json.dumps({"query": query, "variables": variables})
            headers["Content-Type"] = "application/json"
            async with self.light.post(self.url, data=body, headers=headers) as answer:
                return answer.status, json.loads(await answer.read())
        response = await self.http.post(
            self.url, json={"query": query, "variables": variables}, headers=headers
        )
        return response.status_code, response.json()

    async def ok(
        self, query: str, field_name: str, data: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        """The payload of ``field_name``; raise on any HTTP, GraphQL or user error."""
        try:
            status, body = await self.call(query, {"input": data}, token)
        except ValueError as exc:  # not JSON: a crash page
            raise BenchError(f"{field_name} answered something else than JSON: {exc}") from exc
        payload = (body.get("data") or {}).get(field_name)
        if status != 200 or "errors" in body or not payload or payload["userErrors"]:
            raise BenchError(f"{field_name} failed ({status}): {json.dumps(body)[:500]}")
        return dict(payload)


async def register(api: Api, email: str) -> str:
    data = {"email": email, "password": PASSWORD, "firstName": "Léa", "lastName": "Técher"}
    return str((await api.ok(REGISTER, "register", data))["accessToken"])


@dataclass
class Town:
    """The two shops (delivery by the merchant, click and collect) and their product ids."""

    shops: list[str] = field(default_factory=list)
    products: list[list[str]] = field(default_factory=list)


@dataclass
class Merchant:
    """A merchant (signed in: ``token``), the id of its shop and of the shop's products."""

    token: str
    shop: str
    products: list[str]


async def create_shop(
    api: Api, index: int, name: str, products: tuple[tuple[str, int], ...]
) -> Merchant:
    """Merchant ``index`` with a shop (delivers in 97480, open every day for collection) and
    ``products`` (name, price in cents), each with a stock of ``STOCK``."""
    token = await register(api, f"marchand{index}@bench.example.re")
    shop_input = {
        "name": name,
        "managerFirstName": "Jean",
        "managerLastName": "Payet",
        "address": SHOP_ADDRESS,
        "email": "shop@example.re",
        "phone": "0692 11 22 33",
        "siret": "73282932000074",
        "categories": ["boulangerie"],
    }
    shop_id = (await api.ok(CREATE_SHOP, "createShop", shop_input, token))["shop"]["id"]
    update = {
        "shopId": shop_id,
        "delivery": {"merchantDelivery": {"postcodes": ["97480"], "feeCents": 350}},
        "pickupHours": EVERY_DAY,
    }
    await api.ok(UPDATE_SHOP, "updateShop", update, token)
    ids = []
    for product, price in products:
        data = {"shopId": shop_id, "name": product, "priceCents": price, "stock": STOCK}
        ids.append((await api.ok(CREATE_PRODUCT, "createProduct", data, token))["product"]["id"])
    return Merchant(token, shop_id, ids)


async def build_town(api: Api) -> Town:
    town = Town()
    for index, (name, products) in enumerate(SHOPS):
        merchant = await create_shop(api, index, name, products)
        town.shops.append(merchant.shop)
        town.products.append(merchant.products)
    return town


async def customer(api: Api, town: Town, index: int) -> str:
    """A signed-in customer with two products of each shop in the cart (rotating choice)."""
    token = await register(api, f"client{index}@bench.example.re")
    for products in town.products:
        for offset in (0, 1):
            product_id = products[(index + offset) % len(products)]
            item = {"productId": product_id, "quantity": 1 + (index + offset) % 2}
            await api.ok(ADD_ITEM, "cartAddItem", item, token)
    delivery = {"shopId": town.shops[0], "mode": "DELIVERY", "carrier": "MERCHANT"}
    await api.ok(SET_FULFILMENT, "cartSetFulfilment", {**delivery, "postcode": "97480"}, token)
    pickup = {"shopId": town.shops[1], "mode": "PICKUP"}
    await api.ok(SET_FULFILMENT, "cartSetFulfilment", pickup, token)
    return token


# --- the measured call -----------------------------------------------------------------------


@dataclass
class Call:
    seconds: float
    error: str | None = None
    purchase_id: str | None = None


async def checkout(api: Api, token: str) -> Call:
    data = {
        "idempotencyKey": str(uuid.uuid4()),
        "contactPhone": "0692 12 34 56",
        "address": DELIVERY_ADDRESS,
    }
    started = time.perf_counter()
    try:
        status, body = await api.call(CHECKOUT, {"input": data}, token)
    except (httpx.HTTPError, aiohttp.ClientError, ValueError) as exc:
        return Call(time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    payload = (body.get("data") or {}).get("checkout") or {}
    purchase = payload.get("purchase") or {}
    secret = (purchase.get("payment") or {}).get("clientSecret")
    if status != 200 or "errors" in body or payload.get("userErrors") != [] or not secret:
        return Call(seconds, f"HTTP {status}: {json.dumps(body, ensure_ascii=False)[:400]}")
    if len(purchase.get("orders") or []) != 2:
        return Call(seconds, f"expected 2 orders: {json.dumps(purchase, ensure_ascii=False)}")
    return Call(seconds, purchase_id=purchase["id"])


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0–100) of already sorted values."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


PAYMENT_CHILDREN = ("localstripe", "connect_double")


def is_api_process(name: str) -> bool:
    """A process of ours serving the API: the server, its uvicorn workers (not the offline
    payment servers it runs as children, nor PostgreSQL, nor this script)."""
    return (name == "server" or name.startswith("server child ")) and not any(
        child in name for child in PAYMENT_CHILDREN
    )


def per_call_ms(before: dict[str, int], after: dict[str, int], calls: int) -> dict[str, float]:
    """CPU milliseconds per call: every API process together, the payment doubles, PostgreSQL."""
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    def spent(keep: Any) -> float:
        ticks = sum(after[n] - before.get(n, 0) for n in after if not n.startswith("_") and keep(n))
        return round(ticks * tick_ms / max(calls, 1), 2)

    return {
        "api_processes": spent(is_api_process),
        "payment_doubles": spent(lambda n: any(c in n for c in PAYMENT_CHILDREN)),
        "postgresql": spent(lambda n: n.startswith("postgresql")),
    }


def with_other_load(usage: dict[str, float]) -> dict[str, float]:
    """``usage`` plus what the rest of the machine used meanwhile (other processes, the
    kernel): above 10 % of a core the figures are not clean."""
    machine = usage.pop("machine (100 % = every core)")
    ours = sum(usage.values())
    usage["everything else on the machine"] = round(
        max(0.0, machine * (os.cpu_count() or 1) - ours), 1
    )
    usage["machine (100 % = every core)"] = machine
    return usage


class DatabaseCounters:
    """Sessions opened and transactions ended on the bench database (``pg_stat_database``),
    read on one connection opened beforehand (so that it is not counted itself)."""

    QUERY = (
        "SELECT sessions, xact_commit + xact_rollback FROM pg_stat_database"
        " WHERE datname = current_database()"
    )

    def __init__(self) -> None:
        self.connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> DatabaseCounters:
        self.connection = await asyncpg.connect(f"{PG_SERVER}/{PG_DATABASE}", timeout=10)
        await self.read()  # reports this session's own start before the first reading counts
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def read(self) -> tuple[int, int]:
        assert self.connection is not None
        row = await self.connection.fetchrow(self.QUERY)
        return int(row[0]), int(row[1])


async def load(api: Api, tokens: list[str], rounds: int, server_pid: int) -> dict[str, Any]:
    """Warm up (one checkout per customer, one at a time), then the timed rounds."""
    warmup = [await checkout(api, token) for token in tokens]
    warm_errors = [c.error for c in warmup if c.error]
    if warm_errors:
        print(f"warm-up: {len(warm_errors)} errors, first: {warm_errors[0]}")
    warm_ms = sorted(c.seconds * 1000 for c in warmup)
    print(
        f"warm-up: {len(warmup)} checkouts one at a time (not counted),"
        f" median {percentile(warm_ms, 50):.1f} ms, max {warm_ms[-1]:.1f} ms"
    )
    cold, _ = await timed_rounds(api, tokens, 1, label="cold")
    cold_ms = sorted(c.seconds * 1000 for c in cold)
    async with DatabaseCounters() as counters:
        await asyncio.sleep(SETTLE_SECONDS)
        sessions_before, xacts_before = await counters.read()
        cpu_before = cpu_snapshot(server_pid)
        started = time.perf_counter()
        calls, per_round = await timed_rounds(api, tokens, rounds)
        elapsed = time.perf_counter() - started
        cpu_after = cpu_snapshot(server_pid)
        await asyncio.sleep(SETTLE_SECONDS)
        sessions_after, xacts_after = await counters.read()
    latencies = sorted(c.seconds * 1000 for c in calls)
    errors = [c.error for c in calls if c.error]
    purchases = {c.purchase_id for c in calls if c.purchase_id}
    if len(purchases) != len(calls) - len(errors):
        errors.append(f"{len(calls) - len(errors) - len(purchases)} purchase ids were repeated")
    errors += [f"first burst: {c.error}" for c in cold if c.error]
    return {
        "calls": len(calls),
        "errors": len(errors),
        "first_errors": errors[:SHOW_ERRORS],
        "p50_ms": round(percentile(latencies, 50), 1),
        "p90_ms": round(percentile(latencies, 90), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1),
        "cold_burst_p50_ms": round(percentile(cold_ms, 50), 1),
        "cold_burst_max_ms": round(cold_ms[-1], 1),
        "mean_ms": round(sum(latencies) / len(latencies), 1),
        "checkouts_per_s": round(len(calls) / elapsed, 1),
        "timed_seconds": round(elapsed, 2),
        "warmup_median_ms": round(percentile(warm_ms, 50), 1),
        "cpu_pct": with_other_load(cpu_usage(cpu_before, cpu_after, elapsed)),
        "cpu_ms_per_checkout": per_call_ms(cpu_before, cpu_after, len(calls)),
        "pg_sessions_opened": sessions_after - sessions_before,
        "pg_transactions_per_checkout": round((xacts_after - xacts_before) / len(calls), 2),
        "rounds": per_round,
    }


async def timed_rounds(
    api: Api, tokens: list[str], rounds: int, label: str = "round"
) -> tuple[list[Call], list[dict[str, float]]]:
    """``rounds`` times: every customer calls ``checkout`` at once."""
    calls: list[Call] = []
    per_round: list[dict[str, float]] = []
    for number in range(1, rounds + 1):
        round_started = time.perf_counter()
        answers = await asyncio.gather(*(checkout(api, token) for token in tokens))
        wall = time.perf_counter() - round_started
        latencies = sorted(c.seconds * 1000 for c in answers)
        per_round.append(
            {
                "round": number,
                "wall_ms": round(wall * 1000, 1),
                "p50_ms": round(percentile(latencies, 50), 1),
                "max_ms": round(latencies[-1], 1),
                "errors": sum(1 for c in answers if c.error),
            }
        )
        print(
            f"  {label} {number:>2}: {wall * 1000:7.1f} ms wall,"
            f" p50 {percentile(latencies, 50):7.1f} ms, max {latencies[-1]:7.1f} ms,"
            f" errors {per_round[-1]['errors']}"
        )
        calls += answers
    return calls, per_round


async def pg_version(database: str = PG_DATABASE) -> str:
    connection = await asyncpg.connect(f"{PG_SERVER}/{database}", timeout=10)
    try:
        return str(await connection.fetchval("SELECT version()"))
    finally:
        await connection.close()


async def drive(
    port: int, customers: int, rounds: int, server_pid: int
) -> tuple[dict[str, Any], list[str]]:
    """Set up the town and the customers, then ``load``; the results and the customers' tokens."""
    limits = httpx.Limits(max_connections=customers + 8, max_keepalive_connections=customers + 8)
    connector = aiohttp.TCPConnector(limit=customers + 8)
    timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT)
    async with (
        httpx.AsyncClient(limits=limits, timeout=CALL_TIMEOUT) as http,
        aiohttp.ClientSession(connector=connector, timeout=timeout) as light,
    ):
        api = Api(http, f"http://{HOST}:{port}/graphql", light)
        started = time.monotonic()
        town = await build_town(api)
        gate = asyncio.Semaphore(4)

        async def one(index: int) -> str:
            async with gate:
                return await customer(api, town, index)

        tokens = await asyncio.gather(*(one(i) for i in range(customers)))
        print(
            f"set-up: 2 shops, {sum(map(len, town.products))} products, {customers} customers"
            f" with a 2-shop cart, in {time.monotonic() - started:.1f} s"
        )
        return await load(api, list(tokens), rounds, server_pid), list(tokens)


# --- round trips on the wire -----------------------------------------------------------------


class TripCounter:
    """``tests/support/pg_proxy.py``'s counting proxy in front of PostgreSQL, run in a thread of
    its own (this script's clients are synchronous): round trips are bursts of bytes from the
    client after the server last spoke. Used only for the lone checkouts, never under load."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5432) -> None:
        self.target = (host, port)
        self.port = 0
        self._counts = RoundTrips()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    @property
    def trips(self) -> int:
        return self._counts.count

    @property
    def connections(self) -> int:
        return self._counts.connections

    def __enter__(self) -> TripCounter:
        self._thread.start()
        if not self._ready.wait(10):
            raise BenchError("the counting proxy did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with counting_proxy(*self.target) as (port, counts):
            self.port, self._counts = port, counts
            self._ready.set()
            await self._stop.wait()


COUNTERS = {
    "statements": "otesaintjo_db_statements_total",
    "sessions": "otesaintjo_db_pool_checkouts_total",
    "connects": "otesaintjo_db_connections_opened_total",
}


def server_counters(port: int) -> dict[str, float]:
    """The server's counts (``/metrics``: loopback, development): SQL statements sent,
    sessions opened (connections taken from the pool), connections opened to PostgreSQL."""
    url = f"http://{HOST}:{port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        for key, metric in COUNTERS.items():
            if name == metric:
                found[key] = float(value)
    if len(found) != len(COUNTERS):
        raise BenchError(f"/metrics lacks {sorted(set(COUNTERS) - set(found))}")
    return found


async def lone_checkouts(port: int, tokens: list[str], counter: TripCounter) -> dict[str, Any]:
    """Checkouts one at a time: warm-ups, then ``LONE_CHECKOUTS`` counted."""
    async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as http:
        api = Api(http, f"http://{HOST}:{port}/graphql")
        for index in range(LONE_WARM_UPS):
            warm = await checkout(api, tokens[index % len(tokens)])
            if warm.error:
                raise BenchError(f"lone checkout failed: {warm.error}")
        trips, connections = counter.trips, counter.connections
        before = await asyncio.to_thread(server_counters, port)
        for index in range(LONE_CHECKOUTS):
            call = await checkout(api, tokens[index % len(tokens)])
            if call.error:
                raise BenchError(f"lone checkout failed: {call.error}")
        after = await asyncio.to_thread(server_counters, port)
        trips = counter.trips - trips
        return {
            "checkouts": LONE_CHECKOUTS,
            "round_trips_per_checkout": round(trips / LONE_CHECKOUTS, 2),
            "statements_per_checkout": round(
                (after["statements"] - before["statements"]) / LONE_CHECKOUTS, 2
            ),
            "sessions_per_checkout": round(
                (after["sessions"] - before["sessions"]) / LONE_CHECKOUTS, 2
            ),
            "connections_opened": counter.connections - connections,
        }


def measure_trips(env: dict[str, str], workdir: Path, tokens: list[str]) -> dict[str, Any]:
    """A second server, one process, whose PostgreSQL is behind the counting proxy; the job
    worker polls hourly (its wake-ups after a commit, part of a checkout's cost, still count)."""
    host, _, rest = PG_SERVER.removeprefix("postgresql://").partition("@")[2].partition(":")
    with TripCounter(host, int(rest or 5432)) as counter:
        port = free_port()
        proxied = dict(env)
        proxied.update(
            OTESAINTJO_DATABASE_URL=database_url().replace(
                f"{host}:{rest}", f"{HOST}:{counter.port}"
            ),
            OTESAINTJO_PUBLIC_URL=f"http://{HOST}:{port}",
            OTESAINTJO_JOBS_POLL_SECONDS="3600",
        )
        with serve(proxied, port, workdir / "server-trips.log"):
            return asyncio.run(lone_checkouts(port, tokens, counter))


# --- report ----------------------------------------------------------------------------------


def report(results: dict[str, Any], machine: dict[str, Any]) -> None:
    print()
    print(f"checkout calls     {results['calls']}  ({results['timed_seconds']} s timed)")
    print(f"errors             {results['errors']}")
    for error in results["first_errors"]:
        print(f"  {error}")
    for name in ("p50", "p90", "p99", "max"):
        print(f"{name + ' latency':<18} {results[name + '_ms']:.1f} ms")
    print(
        f"first burst        p50 {results['cold_burst_p50_ms']:.1f} ms, max"
        f" {results['cold_burst_max_ms']:.1f} ms (after start, on cold connections; not counted)"
    )
    print(f"throughput         {results['checkouts_per_s']:.1f} checkouts/s")
    per = results["cpu_ms_per_checkout"]
    print(
        f"CPU per checkout   API processes {per['api_processes']:.1f} ms, payment doubles"
        f" {per['payment_doubles']:.1f} ms, PostgreSQL {per['postgresql']:.1f} ms"
    )
    print(
        f"PostgreSQL         {results['pg_sessions_opened']} sessions opened during the rounds,"
        f" {results['pg_transactions_per_checkout']:.2f} transactions per checkout"
    )
    lone = results.get("lone")
    if lone:
        print(
            f"a lone checkout    {lone['round_trips_per_checkout']:.1f} round trips on the wire,"
            f" {lone['statements_per_checkout']:.1f} SQL statements,"
            f" {lone['sessions_per_checkout']:.1f} sessions (pool checkouts), mean of"
            f" {lone['checkouts']}; {lone['connections_opened']} connections opened (one server"
            " process behind a counting proxy)"
        )
    print_cpu(results["cpu_pct"])
    print_machine(machine)


def print_cpu(cpu_pct: dict[str, float]) -> None:
    print("CPU over the timed part (100 % = one core):")
    for name, value in cpu_pct.items():
        print(f"  {name:<45} {value:5.1f} %")


def print_machine(machine: dict[str, Any]) -> None:
    print(
        f"machine            {machine['cpus']} CPUs, Python {machine['python']},"
        f" {machine['platform']}"
    )
    print(f"PostgreSQL         {machine['postgresql']}")


def machine_info(database: str = PG_DATABASE) -> dict[str, Any]:
    """CPUs, platform, Python and ``SELECT version()`` (the database must exist)."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": asyncio.run(pg_version(database)),
    }


def save(document: dict[str, Any], started: datetime, prefix: str = "checkout") -> Path:
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    path = results / f"{prefix}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def run(options: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    env = bench_env(database_url(), workdir, f"http://{HOST}:{port}")
    env.update(server_settings(options.workers, options.pool_size))
    pg_database("create")
    try:
        migrate(env, workdir)
        machine = machine_info()
        print(
            f"server: otesaintjo serve, {options.workers} process(es), pool {options.pool_size}"
            f" (+10) each, event bus {env.get('OTESAINTJO_EVENT_BUS', 'memory')}"
        )
        with serve(env, port, workdir / "server.log", options.workers) as process:
            results, tokens = asyncio.run(
                drive(port, options.customers, options.rounds, process.pid)
            )
            if process.poll() is not None:
                raise BenchError(f"the server exited with {process.returncode} during the run")
        if options.trips:
            results["lone"] = measure_trips(env, workdir, tokens)
    finally:
        if options.keep_db:
            print(f"database {PG_DATABASE} kept")
        else:
            pg_database("drop")
    return {"machine": machine, "results": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers N (1-8)")
    parser.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="OTESAINTJO_DB_POOL_SIZE of each process (default: 30, 20 with several)",
    )
    parser.add_argument(
        "--no-trips",
        dest="trips",
        action="store_false",
        help="skip the lone checkouts behind the counting proxy (round trips, statements)",
    )
    parser.add_argument("--keep-db", action="store_true", help=f"do not drop {PG_DATABASE}")
    parser.add_argument("--keep-logs", action="store_true", help="keep the server log")
    options = parser.parse_args()
    if not 1 <= options.customers <= 500 or not 1 <= options.rounds <= 1000:
        parser.error("--customers must be within 1–500 and --rounds within 1–1000")
    if not 1 <= options.workers <= 8:
        parser.error("--workers must be within 1–8")
    if options.pool_size is None:
        options.pool_size = default_pool_size(options.workers)
    started = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="otesaintjo-bench-checkout-"))
    print(f"work directory {workdir} (server log; removed on success without --keep-logs)")
    try:
        outcome = run(options, workdir)
    except (BenchError, subprocess.TimeoutExpired, OSError, httpx.HTTPError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    report(outcome["results"], outcome["machine"])
    document = {
        "benchmark": "checkout",
        "started": started.isoformat(),
        "options": vars(options),
        **outcome,
    }
    path = save(document, started)
    print(f"\nresults written to {path.relative_to(ROOT)}")
    if outcome["results"]["errors"] or options.keep_logs:
        print(f"server log kept in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir)
    return 1 if outcome["results"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
