"""Live order push: merchants' WebSocket subscribers receiving each paid order as it happens.

A fresh PostgreSQL database, ``otesaintjo migrate``, the offline payment servers (localstripe
and the Connect double, started here so that every process reaches the same ones), then
``otesaintjo serve --workers N`` (development mode; ``--bus`` memory with one process, else
postgres or redis — a Redis of its own on a free port) and, with ``--jobs external``, one
``otesaintjo worker`` process. Not timed: ``--shops`` merchants each with a shop (open every
day for collection) and one product, a few customers. Then ``--connections`` WebSocket
connections (graphql-transport-ws), spread evenly over the shops, each subscribed to
``orderPlaced`` of its shop with its merchant's token, all from this one asyncio process; the
API processes' RSS is read before and after (memory per idle connection), then their CPU over
``--idle-seconds`` without any order. One warm-up order per shop proves every subscription
live. Timed: ``--rate`` orders per second for ``--duration`` seconds, each on a random shop
(cart, pickup, checkout, card payment on localstripe, ``confirmPayment``); every push's
latency is its arrival time minus the pushed ``event.createdAt``; the API processes' CPU, SQL
statements (their ``/metrics``) and the PostgreSQL sessions opened, per paid order. See
bench/README.md, "Live order push".

    .venv/bin/python bench/live_orders.py [--connections 1000] [--shops 50] [--rate 5]
        [--duration 40] [--workers 1] [--bus memory|postgres|redis] [--jobs external]
        [--idle-seconds 30] [--ws-ping-seconds S] [--no-compression]
        [--memory-snapshots DIR] [--keep-db] [--keep-logs]

Everything runs on 127.0.0.1. The servers are stopped and the database dropped on exit,
whatever happens (unless ``--keep-db``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets
from checkout import (
    ADD_ITEM,
    CALL_TIMEOUT,
    CHECKOUT,
    HOST,
    PG_SERVER,
    ROOT,
    SET_FULFILMENT,
    Api,
    Merchant,
    bench_env,
    cpu_snapshot,
    cpu_usage,
    create_shop,
    database_url,
    machine_info,
    migrate,
    percentile,
    pg_database,
    print_cpu,
    print_machine,
    register,
    save,
    with_other_load,
)
from harness import BIN, BenchError, free_port, payment_doubles, server, stop

PG_DATABASE = "otesaintjo_bench_live_orders"
WORKER_READY = "Worker prêt"  # what `otesaintjo worker` prints once it listens
METRICS_SCRAPES = 200  # /metrics requests at most to reach every API process once
CUSTOMERS = 20
PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION = "subscription($s: ID!) { orderPlaced(shopId: $s) { id event { id createdAt } } }"
CONFIRM = """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) {
  purchase { id status orders { id status } } userErrors { code } } }"""
OFFLINE_STRIPE_KEY = "sk_test_offline_no_real_money"  # localstripe accepts any sk_test_ key
CONNECT_AT_ONCE = 25  # WebSocket handshakes in flight while opening the connections
SET_UP_AT_ONCE = 4  # GraphQL calls in flight during the set-up, as in bench/checkout.py
WARMUP_AT_ONCE = 4
ACK_TIMEOUT = 60.0
WARMUP_TIMEOUT = 60.0
DRAIN_TIMEOUT = 20.0  # after the last order: time left for its pushes to arrive
IDLE_CPU = 0.05  # the server counts as settled under 5 % of a core over a second
IDLE_TIMEOUT = 60.0
SESSION_CHECK_SECONDS = 15.0  # the server's default OTESAINTJO_WS_SESSION_CHECK_SECONDS
SHOW_ERRORS = 5
BUSY_MACHINE = 10.0  # % of a core used by other processes: the report warns above


# --- the server process ----------------------------------------------------------------------


def rss_kib(pid: int | str) -> int:
    """VmRSS of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settle(pids: list[int]) -> float:
    """Wait until the API processes are idle (below ``IDLE_CPU`` of a core over a second, each),
    then one more second; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < IDLE_TIMEOUT:
        before = [cpu_seconds(pid) for pid in pids]
        await asyncio.sleep(1.0)
        if all(cpu_seconds(p) - b < IDLE_CPU for p, b in zip(pids, before, strict=True)):
            break
    await asyncio.sleep(1.0)
    return time.monotonic() - started


def cpu_table(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, float]:
    """``cpu_usage`` of bench/checkout.py, plus what the rest of the machine used (other
    processes, the kernel's own work): non-zero means the figures were measured on a busy
    machine."""
    return with_other_load(cpu_usage(before, after, seconds))


async def pg_sessions() -> int:
    """Sessions ever opened on the bench database (PostgreSQL's count; this one included)."""
    connection = await asyncpg.connect(f"{PG_SERVER}/{PG_DATABASE}", timeout=10)
    try:
        query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


def api_pids(process: subprocess.Popen[bytes], workers: int) -> list[int]:
    """The processes that serve the API: ``otesaintjo serve`` itself with one worker (uvicorn
    runs in it), else its ``workers`` children (uvicorn's supervisor only restarts them). The
    payment doubles run apart (this script starts them), so every child is an API process."""
    if workers == 1:
        return [process.pid]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = [
            int(entry.name)
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit()
            and _parent(int(entry.name)) == process.pid
            and b"spawn_main" in _cmdline(int(entry.name))  # not multiprocessing's tracker
        ]
        if len(children) == workers:
            return sorted(children)
        time.sleep(0.2)
    raise BenchError(f"expected {workers} API processes under {process.pid}")


def _cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def _parent(pid: int) -> int | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def scrape_metrics(port: int, processes: int) -> dict[str, float]:
    """The app's counters summed over every API process: ``/metrics`` asked on fresh
    connections, 8 at once (a process busy answering lets another accept), until each process
    (told apart by when its counters were created) answered once."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    wanted = (
        "otesaintjo_db_statements_total",
        "otesaintjo_db_connections_opened_total",
        "otesaintjo_db_pool_checkouts_total",
    )

    def one(_: int) -> dict[str, float]:
        request = urllib.request.Request(
            f"http://{HOST}:{port}/metrics", headers={"Connection": "close"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            text = response.read().decode()
        values = {}
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name in wanted or name == "otesaintjo_db_statements_created":
                values[name] = float(value)
        return values

    seen: dict[float, dict[str, float]] = {}
    with ThreadPoolExecutor(8) as pool:
        for _ in range(METRICS_SCRAPES // 8):
            for values in pool.map(one, range(8)):
                seen[values.get("otesaintjo_db_statements_created", 0.0)] = values
            if len(seen) >= processes:
                break
    if len(seen) < processes:
        raise BenchError(f"/metrics reached {len(seen)} of {processes} API processes")
    return {name: sum(v.get(name, 0.0) for v in seen.values()) for name in wanted}


def raise_open_files(connections: int) -> int:
    """Raise our soft limit of open files (the server, started after, inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raise BenchError(f"open files limited to {soft}, {wanted} needed (ulimit -n)")
    return int(soft)


def scan_log(log: Path) -> dict[str, Any]:
    """Tracebacks, errors and warnings in the server log (uvicorn's and structlog's lines)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [
        line
        for line in lines
        if line.startswith(("ERROR", "CRITICAL")) or "[error" in line or "[critical" in line
    ]
    warnings = [line for line in lines if line.startswith("WARNING") or "[warning" in line]
    return {
        "tracebacks": sum(1 for line in lines if line.startswith("Traceback")),
        "error_lines": len(errors),
        "warning_lines": len(warnings),
        "first_errors": errors[:SHOW_ERRORS],
        "first_warnings": warnings[:SHOW_ERRORS],
    }


# --- subscribers -----------------------------------------------------------------------------


@dataclass
class Hub:
    """Every push received, by order id: (connection, seconds since ``event.createdAt``)."""

    shop_of: list[int]  # connection index -> shop index
    received: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    created: dict[str, float] = field(default_factory=dict)  # order id -> event.createdAt
    anomalies: list[str] = field(default_factory=list)  # errors, "complete", unexpected closes
    closing: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set on every push

    def on_message(self, connection: int, raw: str | bytes, arrived: float) -> None:
        message = json.loads(raw)
        pushed = ((message.get("payload") or {}).get("data") or {}).get("orderPlaced")
        if message.get("type") == "next" and pushed and not message["payload"].get("errors"):
            created = datetime.fromisoformat(pushed["event"]["createdAt"]).timestamp()
            self.received[pushed["id"]].append((connection, arrived - created))
            self.created[pushed["id"]] = created
            self.arrived.set()
        else:
            self.anomalies.append(f"connection {connection}: {str(raw)[:300]}")

    def count(self, order_ids: list[str], connections: dict[str, set[int]]) -> int:
        """How many of the expected (order, connection) pairs have arrived."""
        return sum(
            len({c for c, _ in self.received.get(o, [])} & connections[o]) for o in order_ids
        )


async def subscribe(
    url: str, token: str, shop_id: str, connection: int, compression: str | None
) -> tuple[websockets.ClientConnection, str]:
    """Open, sign in (``connection_init``), subscribe; the extensions negotiated.

    As a browser: no client pings (uvicorn pings every connection every 20 s), and
    permessage-deflate offered unless ``compression`` is None."""
    ws = await websockets.connect(
        url,
        subprotocols=[PROTOCOL],
        open_timeout=60,
        ping_interval=None,
        compression=compression,
    )
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(ws.recv(), ACK_TIMEOUT))
    if ack.get("type") != "connection_ack":
        raise BenchError(f"connection {connection}: no connection_ack but {ack}")
    payload = {"query": SUBSCRIPTION, "variables": {"s": shop_id}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    extensions = ws.response.headers.get("Sec-WebSocket-Extensions") if ws.response else None
    return ws, extensions or "none"


async def read(ws: websockets.ClientConnection, connection: int, hub: Hub) -> None:
    try:
        async for raw in ws:
            hub.on_message(connection, raw, time.time())
    except websockets.ConnectionClosed:
        pass
    if not hub.closing:
        hub.anomalies.append(f"connection {connection} closed by the server: {ws.close_code}")


# --- orders ----------------------------------------------------------------------------------


@dataclass
class Paid:
    order_id: str
    shop: int
    started: float  # time.time() when the first call of the order was sent
    confirmed: float  # time.time() when confirmPayment answered
    confirm_ms: float


@dataclass
class Buyer:
    """Places one paid order at a time per customer (a cart holds only the next order's line)."""

    api: Api
    stripe: str  # localstripe's base URL
    merchants: list[Merchant]
    customers: asyncio.Queue[str]
    paid: list[Paid] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def order(self, shop: int) -> Paid | None:
        token = await self.customers.get()
        try:
            paid = await self._order(token, shop)
        except (BenchError, httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            self.errors.append(f"order on shop {shop}: {type(exc).__name__}: {exc}")
            return None  # the customer's cart may hold a line: not used again
        self.customers.put_nowait(token)
        self.paid.append(paid)
        return paid

    async def _order(self, token: str, shop: int) -> Paid:
        merchant = self.merchants[shop]
        started = time.time()
        line = {"productId": merchant.products[0], "quantity": 1}
        await self.api.ok(ADD_ITEM, "cartAddItem", line, token)
        pickup = {"shopId": merchant.shop, "mode": "PICKUP"}
        await self.api.ok(SET_FULFILMENT, "cartSetFulfilment", pickup, token)
        data = {"idempotencyKey": str(uuid.uuid4()), "contactPhone": "0692 12 34 56"}
        purchase = (await self.api.ok(CHECKOUT, "checkout", data, token))["purchase"]
        if len(purchase["orders"]) != 1:
            raise BenchError(f"expected 1 order: {json.dumps(purchase, ensure_ascii=False)}")
        await self._pay(purchase["payment"]["clientSecret"])
        sent = time.perf_counter()
        answer = await self.api.ok(CONFIRM, "confirmPayment", {"purchaseId": purchase["id"]}, token)
        confirmed = time.time()
        orders = answer["purchase"]["orders"]
        if [o["status"] for o in orders] != ["PAID"]:
            raise BenchError(f"not paid after confirmPayment: {json.dumps(answer)[:300]}")
        confirm_ms = (time.perf_counter() - sent) * 1000
        return Paid(orders[0]["id"], shop, started, confirmed, confirm_ms)

    async def _pay(self, client_secret: str) -> None:
        """What Stripe.js does: attach a card to the PaymentIntent, confirm it (localstripe)."""
        intent = client_secret.split("_secret_")[0]
        url = f"{self.stripe}/v1/payment_intents/{intent}"
        headers = {"Authorization": f"Bearer {OFFLINE_STRIPE_KEY}"}
        attached = await self.api.http.post(
            url, data={"payment_method": "pm_card_visa"}, headers=headers
        )
        attached.raise_for_status()
        confirmed = await self.api.http.post(f"{url}/confirm", headers=headers)
        confirmed.raise_for_status()
        if confirmed.json().get("status") != "succeeded":
            raise BenchError(f"localstripe did not succeed: {confirmed.text[:300]}")


async def wait_for_pushes(
    hub: Hub, orders: list[Paid], subscribers: dict[int, set[int]], limit: float
) -> float:
    """Until every subscriber of each order's shop got it (or ``limit`` s); seconds waited."""
    started = time.monotonic()
    expected = {o.order_id: subscribers[o.shop] for o in orders}
    wanted = sum(len(c) for c in expected.values())
    ids = list(expected)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            while hub.count(ids, expected) < wanted:
                hub.arrived.clear()
                await hub.arrived.wait()
    return time.monotonic() - started


def tally(hub: Hub, orders: list[Paid], subscribers: dict[int, set[int]]) -> dict[str, Any]:
    """Expected, received, missing and duplicate deliveries of ``orders``, and latencies."""
    expected = received = missing = duplicate = wrong_shop = 0
    latencies: list[float] = []
    spreads: list[float] = []
    for order in orders:
        wanted = subscribers[order.shop]
        got = hub.received.get(order.order_id, [])
        per_connection = Counter(c for c, _ in got)
        expected += len(wanted)
        received += len(got)
        missing += len(wanted - set(per_connection))
        duplicate += sum(n - 1 for n in per_connection.values())
        wrong_shop += sum(1 for c in per_connection if c not in wanted)
        seen: set[int] = set()
        first: list[float] = []
        for connection, latency in got:
            if connection in wanted and connection not in seen:
                seen.add(connection)
                first.append(latency * 1000)
        latencies += first
        if first:
            spreads.append(max(first) - min(first))
    latencies.sort()
    spreads.sort()

    def ms(values: list[float], p: float) -> float:
        return round(percentile(values, p), 1)

    return {
        "orders": len(orders),
        "expected": expected,
        "received": received,
        "missing": missing,
        "duplicate": duplicate,
        "wrong_shop": wrong_shop,
        "p50_ms": ms(latencies, 50),
        "p90_ms": ms(latencies, 90),
        "p99_ms": ms(latencies, 99),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "spread_p50_ms": ms(spreads, 50),
        "spread_max_ms": round(spreads[-1], 1) if spreads else None,
    }


# --- the run ---------------------------------------------------------------------------------


async def set_up(api: Api, shops: int) -> tuple[list[Merchant], list[str]]:
    gate = asyncio.Semaphore(SET_UP_AT_ONCE)

    async def merchant(index: int) -> Merchant:
        async with gate:
            return await create_shop(api, index, f"Boutique {index}", (("Rougail", 890),))

    async def customer(index: int) -> str:
        async with gate:
            return await register(api, f"client{index}@bench.example.re")

    # One shop at a time: two createShop calls at once with names that start alike can both
    # pick the same order code and one fails on the unique index (a server bug, reported).
    merchants = [await merchant(i) for i in range(shops)]
    customers = await asyncio.gather(*(customer(i) for i in range(CUSTOMERS)))
    return list(merchants), list(customers)


async def open_all(
    url: str, merchants: list[Merchant], hub: Hub, compression: str | None
) -> tuple[list[websockets.ClientConnection], list[asyncio.Task[None]], Counter[str]]:
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def one(connection: int) -> tuple[websockets.ClientConnection, str]:
        merchant = merchants[hub.shop_of[connection]]
        async with gate:
            return await subscribe(url, merchant.token, merchant.shop, connection, compression)

    opened = await asyncio.gather(*(one(c) for c in range(len(hub.shop_of))))
    sockets = [ws for ws, _ in opened]
    readers = [asyncio.create_task(read(ws, c, hub)) for c, ws in enumerate(sockets)]
    return sockets, readers, Counter(extensions for _, extensions in opened)


async def steady(buyer: Buyer, shops: int, rate: float, duration: float) -> dict[str, Any]:
    """``rate`` orders per second on random shops, each started on schedule whatever the
    previous ones are doing; returns how late the orders started (waiting for a customer)."""
    chooser = random.Random(20261126)  # noqa: S311 (not cryptography)
    count = round(rate * duration)
    started = time.time()
    tasks = []
    late: list[float] = []

    async def one(due: float, shop: int) -> None:
        paid = await buyer.order(shop)
        if paid is not None:
            late.append(max(0.0, paid.started - due))

    for number in range(count):
        due = started + number / rate
        await asyncio.sleep(max(0.0, due - time.time()))
        tasks.append(asyncio.create_task(one(due, chooser.randrange(shops))))
    await asyncio.gather(*tasks)
    late.sort()
    return {
        "orders_started": count,
        "start_late_p50_ms": round(percentile(late, 50) * 1000, 1),
        "start_late_max_ms": round(late[-1] * 1000, 1) if late else None,
    }


def snapshot_memory(options: argparse.Namespace, pids: list[int]) -> None:
    """``--memory-snapshots``: each API process writes a tracemalloc snapshot now
    (bench/memprobe/sitecustomize.py), compared afterwards with ``compare_snapshots``."""
    if options.memory_snapshots:
        for pid in pids:
            os.kill(pid, signal.SIGUSR1)
        time.sleep(3.0)  # tracing 1,000 sockets' objects takes a moment


def api_cpu(snapshot: dict[str, int], pids: list[int], server_pid: int) -> int:
    """Ticks of the API processes in a ``cpu_snapshot`` (their names there)."""
    del pids
    return sum(v for k, v in snapshot.items() if k == "server" or k.startswith("server child"))


async def idle_cpu_over(
    seconds: float, server_pid: int, extra: dict[str, int], pids: list[int]
) -> tuple[float, dict[str, float]]:
    """The API processes' CPU over ``seconds`` of doing nothing asked (% of a core), and the
    table of every part's."""
    before = snapshot_all(server_pid, extra)
    begun = time.monotonic()
    await asyncio.sleep(seconds)
    after = snapshot_all(server_pid, extra)
    elapsed = time.monotonic() - begun
    ticks = api_cpu(after, pids, server_pid) - api_cpu(before, pids, server_pid)
    return (
        round(ticks / os.sysconf("SC_CLK_TCK") / elapsed * 100, 2),
        cpu_table(before, after, elapsed),
    )


def snapshot_all(server_pid: int, extra: dict[str, int]) -> dict[str, int]:
    """``cpu_snapshot`` of the server's family, plus processes of ours started apart
    (the worker process, Redis, the payment doubles) under their own names."""
    snapshot = cpu_snapshot(server_pid)
    for name, pid in extra.items():
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            snapshot[name] = int(fields[11]) + int(fields[12])
    if len([k for k in snapshot if k.startswith("server child")]) > 0:
        total = sum(v for k, v in snapshot.items() if k.startswith("server child"))
        snapshot = {k: v for k, v in snapshot.items() if not k.startswith("server child")}
        snapshot["server child (API processes)"] = total
    return snapshot


async def drive(
    options: argparse.Namespace,
    port: int,
    server_pid: int,
    pids: list[int],
    stripe: str,
    extra: dict[str, int],
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CUSTOMERS + 8, max_keepalive_connections=CUSTOMERS + 8)
    ws_url = f"ws://{HOST}:{port}/graphql"
    async with httpx.AsyncClient(limits=limits, timeout=CALL_TIMEOUT) as http:
        api = Api(http, f"http://{HOST}:{port}/graphql")
        begun = time.monotonic()
        merchants, tokens = await set_up(api, options.shops)
        print(
            f"set-up: {options.shops} shops with 1 product each, {CUSTOMERS} customers,"
            f" in {time.monotonic() - begun:.1f} s"
        )
        customers: asyncio.Queue[str] = asyncio.Queue()
        for token in tokens:
            customers.put_nowait(token)
        buyer = Buyer(api, stripe, merchants, customers)
        shop_of = [c % options.shops for c in range(options.connections)]
        subscribers: dict[int, set[int]] = defaultdict(set)
        for connection, shop in enumerate(shop_of):
            subscribers[shop].add(connection)

        # One connection opened, subscribed and closed first: what the first connection loads
        # once (code, caches) is not charged to the thousand.
        compression = None if options.no_compression else "deflate"
        ws, _ = await subscribe(ws_url, merchants[0].token, merchants[0].shop, 0, compression)
        await ws.close()
        await settle(pids)
        rss_before = sum(rss_kib(p) for p in pids)
        snapshot_memory(options, pids)
        # What the API processes cost with no socket at all (uvicorn's own 0.1 s tick, the
        # bus): taken off the idle figure below, the rest is what holding the sockets costs.
        empty_api_pct, _ = await idle_cpu_over(options.idle_seconds, server_pid, extra, pids)

        hub = Hub(shop_of)
        begun = time.monotonic()
        sockets, readers, extensions = await open_all(ws_url, merchants, hub, compression)
        opened_in = time.monotonic() - begun
        waited = await settle(pids)
        rss_after = sum(rss_kib(p) for p in pids)
        snapshot_memory(options, pids)
        print(
            f"connections: {len(sockets)} opened and subscribed in {opened_in:.1f} s"
            f" (server idle {waited:.1f} s later); extensions {dict(extensions)}"
        )
        # Idle is not free: keepalive pings, the sign-ins re-checked every 15 s.
        idle_api_pct, idle_cpu = await idle_cpu_over(options.idle_seconds, server_pid, extra, pids)
        idle_seconds = options.idle_seconds
        print(
            f"idle: {len(sockets)} connections, no order for {idle_seconds:.0f} s:"
            f" API processes {idle_api_pct:.2f} % ({empty_api_pct:.2f} % with none), PostgreSQL"
            f" {idle_cpu.get('postgresql (all its processes)', 0):.1f} % of a core"
        )

        begun = time.monotonic()
        gate = asyncio.Semaphore(WARMUP_AT_ONCE)

        async def warm(shop: int) -> Paid | None:
            async with gate:
                return await buyer.order(shop)

        warm_orders = [p for p in await asyncio.gather(*map(warm, range(options.shops))) if p]
        await wait_for_pushes(hub, warm_orders, subscribers, WARMUP_TIMEOUT)
        warmup = tally(hub, warm_orders, subscribers)
        print(
            f"warm-up: {len(warm_orders)} orders (one per shop), {warmup['received']} of"
            f" {warmup['expected']} pushes in {time.monotonic() - begun:.1f} s"
            f" (missing {warmup['missing']}, duplicate {warmup['duplicate']})"
        )
        buyer.paid.clear()

        sessions_before = await pg_sessions()
        metrics_before = scrape_metrics(port, len(pids))
        cpu_before = snapshot_all(server_pid, extra)
        begun = time.perf_counter()
        schedule = await steady(buyer, options.shops, options.rate, options.duration)
        ordering = time.perf_counter() - begun
        drained = await wait_for_pushes(hub, buyer.paid, subscribers, DRAIN_TIMEOUT)
        elapsed = time.perf_counter() - begun
        cpu_after = snapshot_all(server_pid, extra)
        cpu = cpu_table(cpu_before, cpu_after, elapsed)
        sessions = await pg_sessions() - sessions_before - 1  # not ours
        metrics_after = scrape_metrics(port, len(pids))
        results = tally(hub, buyer.paid, subscribers)
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        api_ms = (
            api_cpu(cpu_after, pids, server_pid) - api_cpu(cpu_before, pids, server_pid)
        ) * tick_ms
        api_ms -= idle_api_pct / 100 * elapsed * 1000  # what holding the sockets costs anyway
        orders = max(len(buyer.paid), 1)
        statements = (
            metrics_after["otesaintjo_db_statements_total"]
            - metrics_before["otesaintjo_db_statements_total"]
        )
        worker_ms = (
            cpu_after.get("worker process", 0) - cpu_before.get("worker process", 0)
        ) * tick_ms
        known = {p.order_id for p in buyer.paid} | {p.order_id for p in warm_orders}
        unknown = sum(len(v) for k, v in hub.received.items() if k not in known)
        hub.closing = True
        for ws in sockets:
            await ws.close()
        await asyncio.gather(*readers)
        confirm = sorted(p.confirm_ms for p in buyer.paid)
        return {
            "connections": len(sockets),
            "shops": options.shops,
            "subscribers_per_shop": sorted({len(c) for c in subscribers.values()}),
            "extensions": dict(extensions),
            "rss_before_kib": rss_before,
            "rss_after_kib": rss_after,
            "rss_per_connection_kib": round((rss_after - rss_before) / len(sockets), 1),
            "load_generator_rss_kib": rss_kib("self"),
            "warmup": warmup,
            **results,
            "orders_paid": len(buyer.paid),
            "order_errors": len(buyer.errors),
            "first_order_errors": buyer.errors[:SHOW_ERRORS],
            "unknown_pushes": unknown,
            "anomalies": len(hub.anomalies),
            "first_anomalies": hub.anomalies[:SHOW_ERRORS],
            "paid_per_s": round(len(buyer.paid) / ordering, 2),
            "ordering_seconds": round(ordering, 2),
            "drain_seconds": round(drained, 2),
            "confirm_p50_ms": round(percentile(confirm, 50), 1),
            "confirm_max_ms": round(confirm[-1], 1) if confirm else None,
            **schedule,
            "cpu_pct": cpu,
            "pg_sessions_opened": sessions,
            "app_connections_opened": metrics_after["otesaintjo_db_connections_opened_total"]
            - metrics_before["otesaintjo_db_connections_opened_total"],
            "api_processes": len(pids),
            "api_cpu_ms_per_order": round(api_ms / orders, 1),
            "api_cpu_ms_per_push": round(api_ms / max(results["received"], 1), 2),
            "worker_cpu_ms_per_order": round(worker_ms / orders, 1),
            "sql_statements_per_order": round(statements / orders, 1),
            "sql_statements_per_push": round(statements / max(results["received"], 1), 2),
            "idle_seconds": round(idle_seconds, 1),
            "idle_api_cpu_pct": idle_api_pct,
            "idle_api_cpu_pct_without_connections": empty_api_pct,
            "idle_cpu_pct": idle_cpu,
            "per_order": [
                {
                    "order": p.order_id,
                    "shop": p.shop,
                    "started": round(p.started, 3),
                    "created": hub.created.get(p.order_id),
                    "confirmed": round(p.confirmed, 3),
                    "latencies_ms": sorted(
                        round(latency * 1000, 1) for _, latency in hub.received[p.order_id]
                    ),
                }
                for p in buyer.paid
            ],
        }


# --- report ----------------------------------------------------------------------------------


def report(results: dict[str, Any], machine: dict[str, Any]) -> None:
    r = results
    print()
    print(
        f"connections        {r['connections']} ({r['shops']} shops,"
        f" {'/'.join(map(str, r['subscribers_per_shop']))} per shop), {r['api_processes']}"
        f" API process(es)"
    )
    print(
        f"orders paid        {r['orders_paid']} of {r['orders_started']} started"
        f" ({r['paid_per_s']:.2f}/s over {r['ordering_seconds']} s), errors {r['order_errors']}"
    )
    for error in r["first_order_errors"]:
        print(f"  {error}")
    print(
        f"deliveries         expected {r['expected']}, received {r['received']},"
        f" missing {r['missing']}, duplicate {r['duplicate']}, wrong shop {r['wrong_shop']},"
        f" unknown order {r['unknown_pushes']}"
    )
    print(f"other messages     {r['anomalies']} (errors, completes, closes by the server)")
    for anomaly in r["first_anomalies"]:
        print(f"  {anomaly}")
    for name in ("p50", "p90", "p99", "max"):
        print(f"{name + ' latency':<18} {r[name + '_ms']:.1f} ms (insert-to-delivery)")
    print(
        f"fan-out spread     p50 {r['spread_p50_ms']:.1f} ms, max {r['spread_max_ms']:.1f} ms"
        " (last minus first subscriber of an order)"
    )
    print(
        f"confirmPayment     p50 {r['confirm_p50_ms']:.1f} ms, max {r['confirm_max_ms']:.1f} ms;"
        f" orders started late p50 {r['start_late_p50_ms']:.1f} ms,"
        f" max {r['start_late_max_ms']:.1f} ms"
    )
    print(
        f"server RSS         {r['rss_before_kib'] / 1024:.1f} MiB with 0 connections,"
        f" {r['rss_after_kib'] / 1024:.1f} MiB with {r['connections']} idle:"
        f" {r['rss_per_connection_kib']:.1f} KiB per connection"
    )
    print(f"load generator RSS {r['load_generator_rss_kib'] / 1024:.1f} MiB (this script)")
    idle = r["idle_cpu_pct"]
    print(
        f"idle connections   API processes {r['idle_api_cpu_pct']:.2f} % of a core"
        f" ({r['idle_api_cpu_pct_without_connections']:.2f} % with no connection: the idle"
        f" connections cost {r['idle_api_cpu_pct'] - r['idle_api_cpu_pct_without_connections']:.2f}"
        f" %), PostgreSQL {idle.get('postgresql (all its processes)', 0):.1f} %, no order,"
        f" over {r['idle_seconds']:.0f} s each"
    )
    print(
        f"per paid order     API CPU {r['api_cpu_ms_per_order']:.1f} ms (idle cost taken off),"
        f" {r['api_cpu_ms_per_push']:.2f} ms per push; worker process CPU"
        f" {r['worker_cpu_ms_per_order']:.1f} ms;"
        f" SQL statements {r['sql_statements_per_order']:.1f}"
        f" ({r['sql_statements_per_push']:.2f} per push)"
    )
    print(
        f"sessions opened    PostgreSQL {r['pg_sessions_opened']} (pg_stat_database.sessions),"
        f" by the API processes {r['app_connections_opened']:.0f} (their pools), timed part"
    )
    log = r["server_log"]
    print(
        f"server log         {log['tracebacks']} tracebacks, {log['error_lines']} errors,"
        f" {log['warning_lines']} warnings"
    )
    for line in log["first_errors"]:
        print(f"  {line[:300]}")
    print_cpu(r["cpu_pct"])
    print(f"  PostgreSQL sessions opened meanwhile: {r['pg_sessions_opened']}")
    if r["cpu_pct"]["everything else on the machine"] > BUSY_MACHINE:
        print("  warning: other work ran on the machine meanwhile: these figures are not clean")
    print_machine(machine)


def failed(results: dict[str, Any]) -> bool:
    counts = ("missing", "duplicate", "wrong_shop", "unknown_pushes", "order_errors", "anomalies")
    log = results["server_log"]
    return (
        any(results[name] for name in counts)
        or results["warmup"]["missing"] > 0
        or bool(log["tracebacks"] or log["error_lines"])
    )


@contextlib.contextmanager
def redis_server(workdir: Path):  # type: ignore[no-untyped-def]
    """A Redis of our own on a free port (no persistence), stopped at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("--bus redis needs redis-server on the PATH")
    port = free_port()
    log = workdir / "redis.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError):
                import socket

                with socket.create_connection((HOST, port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            if time.monotonic() > deadline or process.poll() is not None:
                raise BenchError(f"redis-server did not start; see {log}")
            time.sleep(0.1)
        yield process, f"redis://{HOST}:{port}/0"
    finally:
        stop(process)


@contextlib.contextmanager
def worker_process(env: dict[str, str], workdir: Path):  # type: ignore[no-untyped-def]
    """``otesaintjo worker`` (the outbox, ``OTESAINTJO_JOBS=external``), ready once it says
    so, stopped at the end."""
    log = workdir / "worker.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            [str(BIN / "otesaintjo"), "worker"],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while WORKER_READY not in log.read_text(encoding="utf-8", errors="replace"):
            if time.monotonic() > deadline or process.poll() is not None:
                raise BenchError(f"the worker process did not start; see {log}")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)


def run(options: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    env = bench_env(database_url(PG_DATABASE), workdir, f"http://{HOST}:{port}")
    env["OTESAINTJO_ACCESS_TOKEN_MINUTES"] = "60"  # no token expires during the run
    env["OTESAINTJO_EVENT_BUS"] = options.bus
    env["OTESAINTJO_JOBS"] = options.jobs
    if options.ws_ping_seconds is not None:
        env["OTESAINTJO_WS_PING_SECONDS"] = str(options.ws_ping_seconds)
    if options.memory_snapshots:
        env["OTESAINTJO_BENCH_SNAPSHOTS"] = str(options.memory_snapshots)
        probe = str(Path(__file__).resolve().parent / "memprobe")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [probe, env.get("PYTHONPATH")]))
    log = workdir / "server.log"
    pg_database("create", PG_DATABASE)
    try:
        migrate(env, workdir)
        machine = machine_info(PG_DATABASE)
        with contextlib.ExitStack() as stack:
            # The payment doubles run apart from the server (so that a worker process reaches
            # the same ones): the server then sees a Stripe key and starts none of its own.
            offline = stack.enter_context(payment_doubles())
            offline.register_webhook(f"http://{HOST}:{port}/webhooks/stripe")
            env.update(offline.environment())
            extra = dict(
                zip(
                    ("localstripe", "Connect double"),
                    (p.pid for p in offline._processes),
                    strict=False,
                )
            )
            if options.bus == "redis":
                redis, env["OTESAINTJO_REDIS_URL"] = stack.enter_context(redis_server(workdir))
                extra["redis"] = redis.pid
            command = [str(BIN / "otesaintjo"), "serve", "--host", HOST, "--port", str(port)]
            command += ["--workers", str(options.workers)]
            process = stack.enter_context(server("the server", command, env, port, log))
            pids = api_pids(process, options.workers)
            if options.jobs == "external":
                extra["worker process"] = stack.enter_context(worker_process(env, workdir)).pid
            results = asyncio.run(drive(options, port, process.pid, pids, offline.api_base, extra))
            if process.poll() is not None:
                raise BenchError(f"the server exited with {process.returncode} during the run")
        results["server_log"] = scan_log(log)
        if options.jobs == "external":
            worker_log = scan_log(workdir / "worker.log")
            for key in ("tracebacks", "error_lines", "warning_lines"):
                results["server_log"][key] += worker_log[key]
            results["server_log"]["first_errors"] += worker_log["first_errors"]
    finally:
        if options.keep_db:
            print(f"database {PG_DATABASE} kept")
        else:
            pg_database("drop", PG_DATABASE)
    return {"machine": machine, "results": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5.0, help="paid orders per second")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of orders")
    parser.add_argument(
        "--no-compression", action="store_true", help="do not offer permessage-deflate"
    )
    parser.add_argument("--workers", type=int, default=1, help="API processes (serve --workers)")
    parser.add_argument(
        "--bus",
        choices=("memory", "postgres", "redis"),
        default=None,
        help="the event bus (default: memory with 1 API process, else postgres)",
    )
    parser.add_argument(
        "--jobs",
        choices=("in-process", "external"),
        default="in-process",
        help="external: the outbox runs in one `otesaintjo worker` process",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=SESSION_CHECK_SECONDS,
        help="how long the idle connections' CPU is measured (default: one sign-in check"
        " interval, 15 s; the runs of bench/README.md took 30)",
    )
    parser.add_argument(
        "--ws-ping-seconds",
        type=float,
        default=None,
        help="the server's OTESAINTJO_WS_PING_SECONDS (default: the server's, 20; 0: no pings)",
    )
    parser.add_argument(
        "--memory-snapshots",
        type=Path,
        default=None,
        help="directory: tracemalloc snapshots of the API processes with 0 and with all the"
        " idle connections (memory only: tracing slows the server)",
    )
    parser.add_argument("--keep-db", action="store_true", help=f"do not drop {PG_DATABASE}")
    parser.add_argument("--keep-logs", action="store_true", help="keep the server log")
    options = parser.parse_args()
    if not 1 <= options.shops <= 500 or not options.shops <= options.connections <= 20_000:
        parser.error("--shops must be within 1–500 and --connections within --shops–20000")
    if options.bus is None:
        options.bus = "memory" if options.workers == 1 else "postgres"
    if options.workers > 1 and options.bus == "memory":
        parser.error("several API processes need --bus postgres or redis")
    if options.jobs == "external" and options.bus == "memory":
        parser.error("--jobs external needs --bus postgres or redis")
    if not 0 < options.rate <= 50 or not 1 <= options.duration <= 600:
        parser.error("--rate must be within 0–50 and --duration within 1–600")
    started = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="otesaintjo-bench-live-"))
    print(f"work directory {workdir} (server log; removed on success without --keep-logs)")
    try:
        raise_open_files(options.connections)
        outcome = run(options, workdir)
    except (BenchError, subprocess.TimeoutExpired, OSError, httpx.HTTPError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        print(f"server log kept in {workdir}", file=sys.stderr)
        return 1
    report(outcome["results"], outcome["machine"])
    document = {
        "benchmark": "live-orders",
        "started": started.isoformat(),
        "options": vars(options),
        **outcome,
    }
    path = save(document, started, "live-orders")
    print(f"\nresults written to {path.relative_to(ROOT)}")
    bad = failed(outcome["results"])
    if bad or options.keep_logs:
        print(f"server log kept in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
