"""Storefront load benchmark: a realistic read mix against our server and a hand-written floor.

For each database (SQLite, PostgreSQL): a fresh database seeded with ``otesaintjo seed --scale
50``; our server in production mode (``bench/serve_with_gc_stats.py``: ``otesaintjo serve``'s
uvicorn run, plus GC and cache counters) and the floor (``bench/floor.py``, plain Starlette and
hand-written SQL) both running; localstripe, the Connect double and an SMTP sink beside them.
The traffic mix of ``bench/mix.py`` (storefront pages 1–10 by real cursors, searches, shop
pages, product details) is checked identical on both, then replayed by wrk in three variants:

- ``anonymous``: the mix, no token (our response cache serves what it may);
- ``signed-in``: the same mix with the bearer tokens of several customers (our response cache
  serves them the pages that read no viewer, as to visitors; the floor verifies each token and
  its sign-in session);
- ``uncached``: the signed-in mix with our response cache switched off: every request a full
  execution, as every first view of a page;
- ``checkout``: the anonymous mix while paid orders go through our server at a steady rate
  (``bench/shopper.py``), during the floor's turns too: the cache must survive selling.

Each variant runs ``--rounds`` rounds, each round measuring ours then the floor, so that both
see the same machine; ratios are computed per round. See bench/README.md.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--rounds 3] [--duration 8]
    .venv/bin/python bench/run.py --smoke      # CI: SQLite, small catalogue, 2 s per measure

Everything runs on 127.0.0.1. Child processes are stopped on exit, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import mix
from harness import (
    BENCH,
    BIN,
    HOST,
    PG_SERVER,
    BenchError,
    MailSink,
    backends_ticks,
    cpu_ticks,
    database_backends,
    database_url,
    free_port,
    get_json,
    machine_ticks,
    payment_doubles,
    pg_database,
    pinned,
    production_env,
    server,
)
from shopper import Shopper

from otesaintjo.demo import SHOPS as DEMO_SHOPS

PG_DATABASE = "otesaintjo_bench"
VARIANTS = ("anonymous", "signed-in", "uncached", "checkout")
SIGNED_IN = frozenset({"signed-in", "uncached"})
SERVERS = ("ours", "floor")
LAUNCHER = BENCH / "serve_with_gc_stats.py"
STATS = "/_bench/stats"
CACHE_SWITCH = "/_bench/cache"
SEED_TIMEOUT = 900.0
SHOW_ERRORS = 5
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
PUBLIC_PRODUCTS = """
    SELECT p.id FROM product p JOIN shop s ON s.id = p.shop_id
    WHERE p.is_online = TRUE AND s.is_active = TRUE ORDER BY p.id
"""


@dataclass
class Options:
    databases: tuple[str, ...]
    variants: tuple[str, ...]
    rounds: int
    duration: int
    warmup: int
    connections: int
    threads: int
    checkout_rate: float
    customers: int
    scale: int
    products: int
    server_cpu: int | None
    wrk_cpu: int | None
    keep_logs: bool


@dataclass
class Measure:
    """One wrk run against one server."""

    database: str
    variant: str
    server: str
    round: int
    seconds: float
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    bad_responses: int
    answers: dict[str, int]  # good answers per root field
    server_cpu_s: float
    cpu_ms_per_request: float
    server_cpu_pct: float
    machine_cpu_pct: float
    gc_collections: list[int]  # per generation, during the measurement
    gc_pause_ms: float  # all collections together, wall clock
    gc_cpu_pct: float  # CPU time of the collections, in % of the server's CPU time
    gc_longest_pause_ms: float  # wall clock: includes any time the process was not running
    gc_longest_pause_cpu_ms: float  # CPU time of the collection itself
    gc_longest_by_generation_cpu_ms: list[float]
    gc_freed_per_request: float  # objects the cyclic GC freed, per request
    database_cpu_s: float | None = None  # PostgreSQL: the bench database's backends
    database_cpu_ms_per_request: float | None = None
    database_sessions_opened: int | None = None  # PostgreSQL connections opened meanwhile
    cache_hits: int | None = None
    cache_misses: int | None = None
    checkouts: dict[str, Any] | None = None
    ours_cpu_s: float | None = None  # checkout variant, floor's turn: our server's CPU meanwhile

    @property
    def gc_per_s(self) -> float:
        return sum(self.gc_collections) / self.seconds

    @property
    def problems(self) -> list[str]:
        found = []
        if self.requests == 0:
            found.append("no request completed")
        if self.non_2xx or self.socket_errors or self.bad_responses:
            found.append(
                f"non-2xx {self.non_2xx}, socket errors {self.socket_errors},"
                f" bad answers {self.bad_responses}"
            )
        missing = [kind for kind in ("products", "shop", "node") if not self.answers.get(kind)]
        if self.requests and missing:
            found.append(f"no good answer for {', '.join(missing)}")
        if self.checkouts is not None:
            if self.checkouts["errors"]:
                found.append(
                    f"{self.checkouts['errors']} checkout errors:"
                    f" {self.checkouts['first_errors'][:2]}"
                )
            if not self.checkouts["paid"]:
                found.append("no paid checkout")
        return found


@dataclass
class Target:
    name: str
    pid: int
    url: str  # base URL
    requests: Path = field(default_factory=Path)  # the wrk request file of the variant


# --- wrk -------------------------------------------------------------------------------------


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, p50/p99 (ms), the error counts and mix.lua's counters."""

    def number(pattern: str, default: str | None = None) -> str:
        found = re.search(pattern, output)
        if found is None:
            if default is None:
                raise BenchError(f"unexpected wrk output:\n{output}")
            return default
        return found.group(1)

    def latency(percent: int) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if found is None:
            return 0.0  # no request completed
        return float(found.group(1)) * UNITS_MS[found.group(2)]

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_s": float(number(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "requests": int(number(r"(\d+) requests in")),
        "non_2xx": int(number(r"Non-2xx or 3xx responses: (\d+)", "0")),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        "bad_responses": int(number(r"bench_bad (\d+)")),
        "answers": {
            kind: int(number(rf"bench_{kind} (\d+)")) for kind in ("products", "shop", "node")
        },
    }


async def run_wrk(target: Target, seconds: int, options: Options) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk not found: apt-get install -y wrk")
    command = [
        wrk,
        f"-t{options.threads}",
        f"-c{options.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(BENCH / "mix.lua"),
        target.url,
    ]
    process = await asyncio.create_subprocess_exec(
        *pinned(command, options.wrk_cpu),
        env={**os.environ, "BENCH_REQUESTS": str(target.requests)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), seconds + 60)
    except TimeoutError:
        process.kill()
        raise BenchError("wrk did not finish") from None
    if process.returncode != 0:
        raise BenchError(f"wrk failed ({process.returncode}): {err.decode()[:1000]}")
    return parse_wrk(out.decode())


async def pg_sessions(database: str) -> int:
    """Sessions ever opened on ``database`` (``pg_stat_database.sessions``; this one too)."""
    import asyncpg

    connection = await asyncpg.connect(f"{PG_SERVER}/{database}", timeout=10)
    try:
        query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


def server_stats(target: Target) -> dict[str, Any]:
    return dict(get_json(f"{target.url}{STATS}"))


async def measure(
    target: Target,
    key: tuple[str, str, int],
    options: Options,
    shopper: Shopper | None = None,
    ours: Target | None = None,
) -> Measure:
    """One wrk run against ``target``, with the server's CPU, GC and cache counters around
    it (and, on PostgreSQL, the CPU of the bench database's backends); in the checkout
    variant, ``shopper`` places paid orders meanwhile (on ``ours``)."""
    database, variant, number = key
    tick = os.sysconf("SC_CLK_TCK")
    backends = PG_DATABASE if database == "postgres" else None
    before = server_stats(target)  # also starts a new "longest pause" window
    cpu_before, (busy_before, total_before) = cpu_ticks(target.pid), machine_ticks()
    db_before = database_backends(backends) if backends else {}
    sessions_before = await pg_sessions(backends) if backends else 0
    ours_before = cpu_ticks(ours.pid) if ours is not None and ours is not target else None
    started = time.monotonic()
    buying = (
        asyncio.create_task(shopper.run(options.checkout_rate, options.duration))
        if shopper is not None
        else None
    )
    try:
        figures = await run_wrk(target, options.duration, options)
    except BaseException:
        if buying is not None:
            buying.cancel()
        raise
    elapsed = time.monotonic() - started
    cpu_s = (cpu_ticks(target.pid) - cpu_before) / tick
    db_cpu_s = None
    sessions = None
    if backends:
        db_cpu_s = backends_ticks(db_before, database_backends(backends)) / tick
        sessions = await pg_sessions(backends) - sessions_before - 1  # not our own
    ours_cpu_s = (
        (cpu_ticks(ours.pid) - ours_before) / tick
        if ours is not None and ours_before is not None
        else None
    )
    busy_after, total_after = machine_ticks()
    after = server_stats(target)
    checkouts = await buying if buying is not None else None
    gc_before, gc_after = before["gc"], after["gc"]
    collections = [
        a - b for a, b in zip(gc_after["collections"], gc_before["collections"], strict=True)
    ]
    requests = max(figures["requests"], 1)
    cache = (
        (
            after["cache"]["hits"] - before["cache"]["hits"],
            after["cache"]["misses"] - before["cache"]["misses"],
        )
        if after.get("cache") and before.get("cache")
        else (None, None)
    )
    result = Measure(
        database=database,
        variant=variant,
        server=target.name,
        round=number,
        seconds=round(elapsed, 2),
        **figures,
        server_cpu_s=round(cpu_s, 2),
        cpu_ms_per_request=round(cpu_s * 1000 / requests, 3),
        server_cpu_pct=round(cpu_s / elapsed * 100, 1),
        machine_cpu_pct=round(
            (busy_after - busy_before) / max(total_after - total_before, 1) * 100, 1
        ),
        gc_collections=collections,
        gc_pause_ms=round((sum(gc_after["pause_s"]) - sum(gc_before["pause_s"])) * 1000, 2),
        gc_cpu_pct=round(
            (sum(gc_after.get("pause_cpu_s", [0])) - sum(gc_before.get("pause_cpu_s", [0])))
            / cpu_s
            * 100
            if cpu_s
            else 0.0,
            1,
        ),
        gc_longest_pause_ms=round(gc_after["longest_pause_s"] * 1000, 2),
        gc_longest_pause_cpu_ms=round(gc_after.get("longest_pause_cpu_s", 0) * 1000, 2),
        gc_longest_by_generation_cpu_ms=[
            round(v * 1000, 2) for v in gc_after.get("longest_by_generation_cpu_s", [])
        ],
        gc_freed_per_request=round(
            (sum(gc_after["collected"]) - sum(gc_before["collected"])) / requests, 2
        ),
        database_cpu_s=round(db_cpu_s, 2) if db_cpu_s is not None else None,
        database_sessions_opened=sessions,
        database_cpu_ms_per_request=round(db_cpu_s * 1000 / requests, 3)
        if db_cpu_s is not None
        else None,
        cache_hits=cache[0],
        cache_misses=cache[1],
        checkouts=checkouts,
        ours_cpu_s=round(ours_cpu_s, 2) if ours_cpu_s is not None else None,
    )
    hit = ""
    if result.cache_hits is not None:
        lookups = result.cache_hits + (result.cache_misses or 0)
        hit = f"  cache {result.cache_hits / lookups * 100 if lookups else 0:5.1f} %"
    sold = ""
    if checkouts is not None:
        sold = f"  checkouts {checkouts['paid_per_s']:.2f}/s ({checkouts['errors']} errors)"
    print(
        f"  {variant:<9} round {number}  {target.name:<5} {result.requests_per_s:7.1f} req/s"
        f"  p50 {result.p50_ms:6.1f}  p99 {result.p99_ms:6.1f} ms"
        f"  CPU {result.cpu_ms_per_request:6.3f} ms/req ({result.server_cpu_pct:5.1f} %)"
        f"  GC {result.gc_per_s:5.1f}/s max {result.gc_longest_pause_ms:5.1f} ms"
        f" ({result.gc_longest_pause_cpu_ms:.1f} CPU){hit}{sold}"
    )
    for problem in result.problems:
        print(f"    PROBLEM: {problem}")
    return result


# --- one database ----------------------------------------------------------------------------


def seed(env: dict[str, str], workdir: Path, scale: int) -> None:
    started = time.monotonic()
    log = workdir / "seed.log"
    with log.open("wb") as out:
        result = subprocess.run(  # noqa: S603 (our own fixed command line)
            [str(BIN / "otesaintjo"), "seed", "--scale", str(scale)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=SEED_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        raise BenchError(f"seed failed ({result.returncode}); see {log}")
    print(f"  seeded --scale {scale} in {time.monotonic() - started:.1f} s")


async def sql(url: str, statement: str, autocommit: bool = False) -> list[Any]:
    """One statement on the bench database (the API's engine and driver)."""
    from sqlalchemy import text

    from otesaintjo.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if autocommit:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(text(statement))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def scan_log(log: Path) -> dict[str, Any]:
    """Tracebacks and error lines in a server log (uvicorn's and structlog's lines)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [
        line
        for line in lines
        if line.startswith(("ERROR", "CRITICAL")) or "[error" in line or "[critical" in line
    ]
    return {
        "tracebacks": sum(1 for line in lines if line.startswith("Traceback")),
        "error_lines": len(errors),
        "first_errors": errors[:SHOW_ERRORS],
    }


async def self_check(ours: Target, floor: Target, inputs: mix.Inputs, tokens: list[str]) -> None:
    """Every distinct request of the mix, anonymous then signed in, answered the same bytes
    by both; a forged token refused by the floor."""
    requests = mix.distinct_requests(inputs)
    started = time.monotonic()
    seen = await mix.compare(f"{ours.url}/graphql", floor.url, requests)
    nulls = {k: v for k, v in seen.items() if k.endswith("null")}
    if nulls:
        raise BenchError(f"null answers in the mix: {nulls}")
    if not seen["product on promotion"]:
        raise BenchError("no product of the mix is on promotion: prices are not checked")
    print(
        f"  self-check: {len(requests)} distinct requests identical on both"
        f" ({dict((k, v) for k, v in seen.items() if k in mix.DOCUMENTS)},"
        f" {seen['product on promotion']} product pages on promotion)"
        f" in {time.monotonic() - started:.1f} s"
    )
    if tokens:
        sample = requests[:: max(1, len(requests) // 40)]
        await mix.compare(f"{ours.url}/graphql", floor.url, sample, tokens)
        print(f"  self-check signed in: {len(sample)} requests identical on both")
        async with httpx.AsyncClient(timeout=30) as http:
            forged = tokens[0][:-4] + ("AAAA" if not tokens[0].endswith("AAAA") else "BBBB")
            status, _ = await mix.post(http, f"{floor.url}/product", sample[0].body, forged)
        if status != 401:
            raise BenchError(f"the floor accepted a forged token ({status})")


def product_ids(url: str) -> list[int]:
    return [int(row[0]) for row in asyncio.run(sql(url, PUBLIC_PRODUCTS))]


async def run_variants(
    database: str,
    ours: Target,
    floor: Target,
    inputs: mix.Inputs,
    shopper: Shopper,
    options: Options,
    workdir: Path,
    measures: list[Measure],
) -> None:
    requests = mix.build_mix(inputs)
    for variant in options.variants:
        signed_in = variant in SIGNED_IN
        buying = variant == "checkout"
        if signed_in or buying:
            await shopper.sign_in()
        tokens = shopper.tokens if signed_in else None
        await switch_cache(ours, on=variant != "uncached")
        for target in (ours, floor):
            target.requests = mix.write_requests(
                workdir / f"{variant}-{target.name}.tsv", requests, target is floor, tokens
            )
            if options.warmup:
                await run_wrk(target, options.warmup, options)
        for number in range(1, options.rounds + 1):
            if number > 1 and (signed_in or buying):
                await shopper.sign_in()  # access tokens live 10 minutes
                if signed_in:
                    for target in (ours, floor):
                        mix.write_requests(
                            target.requests, requests, target is floor, shopper.tokens
                        )
            for target in (ours, floor):
                measures.append(
                    await measure(
                        target,
                        (database, variant, number),
                        options,
                        shopper if buying else None,
                        ours if buying else None,
                    )
                )


async def switch_cache(ours: Target, *, on: bool) -> None:
    """Our response cache on or off (``serve_with_gc_stats.py``'s bench-only switch)."""
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(f"{ours.url}{CACHE_SWITCH}", params={"on": "1" if on else "0"})
    if answer.json() != {"cache": on}:
        state = "on" if on else "off"
        raise BenchError(f"the response cache did not switch {state}: {answer.text}")


def bench_database(database: str, options: Options, measures: list[Measure]) -> dict[str, Any]:
    """Fresh database, seed, start both servers, collect the mix, self-check, measure (into
    ``measures``, so that a failure keeps what was measured before it)."""
    print(f"== {database}")
    workdir = Path(tempfile.mkdtemp(prefix=f"otesaintjo-bench-{database}-"))
    print(f"  work directory {workdir} (logs; removed on success)")
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'otesaintjo.db'}"
    else:
        pg_database("create", PG_DATABASE)
        url = database_url(PG_DATABASE)
    info: dict[str, Any] = {}
    try:
        with MailSink() as mail, payment_doubles() as stripe:
            ours_port, floor_port = free_port(), free_port()
            env = production_env(url, workdir, f"http://{HOST}:{ours_port}", stripe, mail)
            seed(env, workdir, options.scale)
            if database == "postgres":
                # What autovacuum would do a minute after the bulk insert, done now.
                asyncio.run(sql(url, "VACUUM ANALYZE", autocommit=True))
            stripe.register_webhook(f"http://{HOST}:{ours_port}/webhooks/stripe")
            python = sys.executable
            ours_command = [python, str(LAUNCHER), "--host", HOST, "--port", str(ours_port)]
            floor_command = [python, str(LAUNCHER), "--floor", "--host", HOST]
            floor_command += ["--port", str(floor_port)]
            ours_log, floor_log = workdir / "ours.log", workdir / "floor.log"
            with (
                server(
                    "ours", pinned(ours_command, options.server_cpu), env, ours_port, ours_log
                ) as ours_process,
                server(
                    "floor", pinned(floor_command, options.server_cpu), env, floor_port, floor_log
                ) as floor_process,
            ):
                ours = Target("ours", ours_process.pid, f"http://{HOST}:{ours_port}")
                floor = Target("floor", floor_process.pid, f"http://{HOST}:{floor_port}")
                info = asyncio.run(
                    prepare_and_run(
                        database, url, ours, floor, stripe.api_base, options, workdir, measures
                    )
                )
                if ours_process.poll() is not None or floor_process.poll() is not None:
                    raise BenchError(f"a server exited during the run; see {workdir}")
                info["emails_sent"] = mail.messages
                info["ours_log"], info["floor_log"] = scan_log(ours_log), scan_log(floor_log)
    except BaseException:
        print(f"  logs kept in {workdir}", file=sys.stderr)
        raise
    finally:
        if database == "postgres":
            with contextlib.suppress(BenchError):
                pg_database("drop", PG_DATABASE)
    logs_clean = all(
        not info[f"{name}_log"]["tracebacks"] and not info[f"{name}_log"]["error_lines"]
        for name in SERVERS
    )
    if not logs_clean:
        for name in SERVERS:
            for line in info[f"{name}_log"]["first_errors"]:
                print(f"  {name} log: {line[:300]}", file=sys.stderr)
    if options.keep_logs or not logs_clean or any(m.problems for m in measures):
        print(f"  logs kept in {workdir}")
    else:
        shutil.rmtree(workdir)
    return info


async def prepare_and_run(
    database: str,
    url: str,
    ours: Target,
    floor: Target,
    stripe_url: str,
    options: Options,
    workdir: Path,
    measures: list[Measure],
) -> dict[str, Any]:
    names = [product.name for shop in DEMO_SHOPS for product in shop.products]
    pks = await asyncio.to_thread(product_ids, url)
    inputs = await mix.collect(f"{ours.url}/graphql", names, pks, options.products)
    print(f"  mix inputs: {inputs.summary()}")
    shopper = Shopper(f"{ours.url}/graphql", stripe_url, customers=options.customers)
    await shopper.prepare()
    await shopper.sign_in()
    try:
        await self_check(ours, floor, inputs, shopper.tokens)
    except mix.Mismatch as exc:
        raise BenchError(str(exc)) from exc
    await run_variants(database, ours, floor, inputs, shopper, options, workdir, measures)
    return {"inputs": inputs.summary(), "search_terms": inputs.words}


# --- report ----------------------------------------------------------------------------------


def spread(values: list[float], digits: int = 2) -> str:
    """``median (min–max)``, or the value alone for one round."""
    if not values:
        return "–"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def summarise(measures: list[Measure]) -> list[dict[str, Any]]:
    """Per database and variant: each figure per round (ours and floor), ratios per round."""
    rows = []
    for database, variant in dict.fromkeys((m.database, m.variant) for m in measures):
        runs = {
            name: {
                m.round: m
                for m in measures
                if (m.database, m.variant, m.server) == (database, variant, name)
            }
            for name in SERVERS
        }
        rounds = sorted(set(runs["ours"]) & set(runs["floor"]))
        pairs = [(runs["ours"][r], runs["floor"][r]) for r in rounds]
        row: dict[str, Any] = {"database": database, "variant": variant, "rounds": len(rounds)}
        row["rps_ratio"] = [
            o.requests_per_s / f.requests_per_s for o, f in pairs if f.requests_per_s
        ]
        row["cpu_ratio"] = [
            f.cpu_ms_per_request / o.cpu_ms_per_request for o, f in pairs if o.cpu_ms_per_request
        ]
        for index, name in enumerate(SERVERS):
            runs_of = [pair[index] for pair in pairs]
            row[name] = {
                "requests_per_s": [m.requests_per_s for m in runs_of],
                "cpu_ms_per_request": [m.cpu_ms_per_request for m in runs_of],
                "database_cpu_ms_per_request": [
                    m.database_cpu_ms_per_request
                    for m in runs_of
                    if m.database_cpu_ms_per_request is not None
                ],
                "p50_ms": [m.p50_ms for m in runs_of],
                "p99_ms": [m.p99_ms for m in runs_of],
                "gc_per_s": [m.gc_per_s for m in runs_of],
                "gc2_per_s": [m.gc_collections[2] / m.seconds for m in runs_of],
                "gc_cpu_pct": [m.gc_cpu_pct for m in runs_of],
                "gc_longest_pause_ms": max((m.gc_longest_pause_ms for m in runs_of), default=0),
                "gc_longest_pause_cpu_ms": max(
                    (m.gc_longest_pause_cpu_ms for m in runs_of), default=0
                ),
                "gc_freed_per_request": [m.gc_freed_per_request for m in runs_of],
                "checkouts_per_s": [m.checkouts["paid_per_s"] for m in runs_of if m.checkouts],
            }
        ours = [o for o, _ in pairs]
        hits = sum(m.cache_hits or 0 for m in ours)
        lookups = hits + sum(m.cache_misses or 0 for m in ours)
        row["cache_hit_pct"] = hits / lookups * 100 if lookups else None
        if variant == "checkout":
            # During the floor's turn our server only sells: its CPU then, per paid order, is
            # the price of an order (its requests, the webhook, the jobs). Taken off our turn
            # (times the orders paid in it), what remains estimates what the reads cost.
            per_order = [
                f.ours_cpu_s / f.checkouts["paid"]
                for _, f in pairs
                if f.ours_cpu_s is not None and f.checkouts and f.checkouts["paid"]
            ]
            row["server_cpu_ms_per_order"] = [c * 1000 for c in per_order]
            row["ours_reads_cpu_ms_per_request"] = [
                max(0.0, o.server_cpu_s - cost * o.checkouts["paid"]) * 1000 / o.requests
                for (o, _), cost in zip(pairs, per_order, strict=False)
                if o.checkouts and o.requests
            ]
        rows.append(row)
    return rows


def tables(rows: list[dict[str, Any]]) -> str:
    """Markdown tables, two per database (pasted as is in README.md)."""
    out = []
    for database in dict.fromkeys(row["database"] for row in rows):
        mine = [row for row in rows if row["database"] == database]
        db_cpu = database == "postgres"
        out.append(
            f"**{database}**: throughput and CPU per request, median (min–max) over rounds\n"
        )
        header = (
            "| variant | ours req/s | floor req/s | ours/floor req/s | ours CPU ms/req"
            " | floor CPU ms/req | floor/ours CPU |"
        )
        rule = "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        if db_cpu:
            header += " PostgreSQL CPU ms/req ours / floor |"
            rule += " ---: |"
        out += [header, rule]
        for row in mine:
            ours, floor = row["ours"], row["floor"]
            line = (
                f"| {row['variant']} | {spread(ours['requests_per_s'], 0)}"
                f" | {spread(floor['requests_per_s'], 0)} | {spread(row['rps_ratio'])}"
                f" | {spread(ours['cpu_ms_per_request'], 3)}"
                f" | {spread(floor['cpu_ms_per_request'], 3)} | {spread(row['cpu_ratio'])} |"
            )
            if db_cpu:
                line += (
                    f" {median(ours['database_cpu_ms_per_request'], 3)}"
                    f" / {median(floor['database_cpu_ms_per_request'], 3)} |"
                )
            out.append(line)
        for row in mine:
            if row.get("server_cpu_ms_per_order"):
                out.append(
                    f"\n{row['variant']}: our server's CPU per paid order"
                    f" {spread(row['server_cpu_ms_per_order'], 1)} ms (measured in the floor's"
                    " turns, when it only sells); our CPU per read with that taken off"
                    f" ≈ {spread(row['ours_reads_cpu_ms_per_request'], 3)} ms."
                )
        out.append("")
        out.append(f"**{database}**: latency, GC, cache (medians over rounds; the longest pause)\n")
        out.append(
            "| variant | server | p50 ms | p99 ms | GC/s (gen 2) | GC % of CPU"
            " | longest GC pause ms (CPU) | freed by GC per req | cache hits | checkouts/s |"
        )
        out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for row in mine:
            for name in SERVERS:
                figures = row[name]
                hits = row["cache_hit_pct"] if name == "ours" else None
                sold = figures["checkouts_per_s"]
                out.append(
                    f"| {row['variant']} | {name} | {median(figures['p50_ms'], 1)}"
                    f" | {median(figures['p99_ms'], 1)}"
                    f" | {median(figures['gc_per_s'], 1)} ({median(figures['gc2_per_s'], 2)})"
                    f" | {median(figures['gc_cpu_pct'], 1)}"
                    f" | {figures['gc_longest_pause_ms']:.1f}"
                    f" ({figures['gc_longest_pause_cpu_ms']:.1f})"
                    f" | {median(figures['gc_freed_per_request'], 1)}"
                    f" | {f'{hits:.1f} %' if hits is not None else '–'}"
                    f" | {spread(sold) if sold else '–'} |"
                )
        out.append("")
    return "\n".join(out)


def median(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f}" if values else "–"


def save(document: dict[str, Any], started: datetime) -> Path:
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    path = results / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def parse_options() -> tuple[Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default=None)
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"comma-separated, among {VARIANTS}"
    )
    parser.add_argument("--rounds", type=int, default=None, help="ours then floor, per round")
    parser.add_argument("--duration", type=int, default=None, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=None, help="seconds per server and variant")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkout-rate", type=float, default=2.0, help="paid orders per second")
    parser.add_argument("--customers", type=int, default=8, help="signed-in accounts")
    parser.add_argument("--scale", type=int, default=None, help="otesaintjo seed --scale")
    parser.add_argument("--products", type=int, default=None, help="product ids in the mix")
    parser.add_argument("--no-pin", action="store_true", help="do not bind servers/wrk to CPUs")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: SQLite, --scale 5, 1 round of 2 s, 1 s warm-up, 100 product ids (no figure"
        " is judged; every check still runs)",
    )
    args = parser.parse_args()
    smoke = args.smoke
    defaults = {
        "db": "sqlite" if smoke else "both",
        "rounds": 1 if smoke else 3,
        "duration": 2 if smoke else 8,
        "warmup": 1 if smoke else 2,
        "scale": 5 if smoke else 50,
        "products": 100 if smoke else 500,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    if not variants or any(v not in VARIANTS for v in variants):
        parser.error(f"--variants: among {', '.join(VARIANTS)}")
    if not 1 <= args.rounds <= 50 or not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60:
        parser.error("--rounds within 1–50, --duration within 1–600 s, --warmup within 0–60 s")
    if not 1 <= args.connections <= 1000 or not 1 <= args.threads <= args.connections:
        parser.error("--connections within 1–1000, --threads within 1–connections")
    if not 0 < args.checkout_rate <= 50 or not 1 <= args.customers <= 100:
        parser.error("--checkout-rate within 0–50, --customers within 1–100")
    if not 1 <= args.scale <= 500 or not 10 <= args.products <= 10_000:
        parser.error("--scale within 1–500 (pages 1–10 need ≥ 200 products), --products 10–10000")
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    options = Options(
        databases=("sqlite", "postgres") if args.db == "both" else (args.db,),
        variants=variants,
        rounds=args.rounds,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        checkout_rate=args.checkout_rate,
        customers=args.customers,
        scale=args.scale,
        products=args.products,
        server_cpu=0 if pin else None,
        wrk_cpu=1 if pin else None,
        keep_logs=args.keep_logs,
    )
    return options, args


def code_version() -> dict[str, Any]:
    """The commit measured, and the files changed since (a run on a work in progress)."""

    def git(*args: str) -> str:
        result = subprocess.run(  # noqa: S603 (our own fixed command line)
            ["git", *args],  # noqa: S607
            cwd=BENCH.parent,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return result.stdout

    status = git("status", "--porcelain", "--", "otesaintjo")
    changed = [line[3:] for line in status.splitlines() if line.strip()]
    return {"commit": git("rev-parse", "HEAD").strip(), "server_files_changed": changed}


def main() -> int:
    options, args = parse_options()
    pinning = "servers on CPU 0, wrk on CPU 1" if options.server_cpu is not None else "none"
    print(f"CPU pinning: {pinning}; PostgreSQL at {PG_SERVER}")
    started = datetime.now(UTC)
    code = code_version()  # now: the servers load the code when they start
    measures: list[Measure] = []
    infos: dict[str, Any] = {}
    failure = None
    try:
        for database in options.databases:
            infos[database] = bench_database(database, options, measures)
    except (
        BenchError,
        subprocess.TimeoutExpired,
        OSError,
        urllib.error.URLError,
        httpx.HTTPError,
    ) as exc:
        failure = f"{type(exc).__name__}: {exc}"
        print(f"benchmark failed: {failure}", file=sys.stderr)
    rows = summarise(measures)
    if measures:
        print()
        print(tables(rows))
        path = save(
            {
                "started": started.isoformat(),
                "command": " ".join(sys.argv),
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "options": {**vars(args), **asdict(options)},
                "pinning": pinning,
                "code": code,
                "databases": infos,
                "summary": rows,
                "measures": [asdict(m) | {"gc_per_s": round(m.gc_per_s, 2)} for m in measures],
                "failure": failure,
            },
            started,
        )
        print(f"results written to {path.relative_to(BENCH.parent)}")
    problems = [(m, p) for m in measures for p in m.problems]
    for m, problem in problems:
        print(
            f"FAILED {m.database} {m.variant} round {m.round} {m.server}: {problem}",
            file=sys.stderr,
        )
    for database, info in infos.items():
        for name in SERVERS:
            log = info.get(f"{name}_log") or {}
            if log.get("tracebacks") or log.get("error_lines"):
                print(
                    f"FAILED {database}: {name}'s log holds {log['tracebacks']} tracebacks,"
                    f" {log['error_lines']} error lines",
                    file=sys.stderr,
                )
                problems.append((None, "log"))  # type: ignore[arg-type]
    return 1 if failure or problems or not measures else 0


if __name__ == "__main__":
    sys.exit(main())
