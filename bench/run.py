"""Load benchmark of the storefront: our GraphQL server against a hand-written "floor".

For each database (SQLite, PostgreSQL): a fresh database seeded with ``otesaintjo seed --scale
50``, then, one server at a time on the same database, ``otesaintjo serve`` (production mode,
one uvicorn process) and ``bench/floor.py`` (plain Starlette, hand-written SQL, one uvicorn
process). Before anything is measured, both must return the same ``data`` for the same pages.
Then wrk drives the storefront query and the search query against each. See bench/README.md.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--duration 15]

Everything runs on 127.0.0.1. Child processes are stopped on exit, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # the virtualenv's bin (run with .venv/bin/python)
BODIES = {
    "storefront": BENCH / "bodies" / "storefront.json",
    "search": BENCH / "bodies" / "search.json",
}
FLOOR_PATHS = {"storefront": "/storefront", "search": "/search"}
SEARCH_WORD = "cafe"
SCALE = 50
HOST = "127.0.0.1"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "otesaintjo_bench"
SECRET_KEY = "bench-only-secret-not-used-for-anything-real-0123456789"
NODE = "id name price { formatted } stock shop { id name } images { url }"
# Self-check only: pages with products on promotion (percent, amount, listed, whole shop).
CHECK_SEARCHES = ("macatia", "expresso", "casque", "contes")
START_TIMEOUT = 60.0
SEED_TIMEOUT = 600.0
STOP_TIMEOUT = 10.0


class BenchError(Exception):
    """A step failed: the message says which; the run stops with a non-zero status."""


@dataclass
class Measure:
    database: str
    query: str
    server: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    bad_responses: int
    server_cpu_pct: float
    machine_cpu_pct: float
    tool: str

    @property
    def clean(self) -> bool:
        return self.non_2xx == 0 and self.socket_errors == 0 and self.bad_responses == 0


UNCACHED = "ours-nocache"


# --- processes -------------------------------------------------------------------------------


def bench_env(database_url: str, media_dir: Path, public_url: str) -> dict[str, str]:
    """The environment of every child: ours minus any OTESAINTJO_* setting, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTESAINTJO_")}
    env.update(
        OTESAINTJO_DATABASE_URL=database_url,
        OTESAINTJO_MEDIA_DIR=str(media_dir),
        OTESAINTJO_PUBLIC_URL=public_url,
        OTESAINTJO_ENV="production",
        OTESAINTJO_SECRET_KEY=SECRET_KEY,
        OTESAINTJO_JOBS_POLL_SECONDS="2",
        BENCH_SEARCH=SEARCH_WORD,
    )
    return env


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """``command`` bound to one CPU with taskset when asked and possible."""
    taskset = shutil.which("taskset")
    if cpu is None or taskset is None:
        return command
    return [taskset, "-c", str(cpu), *command]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT the child's process group (its own session), then SIGTERM, then SIGKILL."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    # The group may outlive its leader (localstripe, the Connect double): make sure it is gone.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def server(
    name: str, command: list[str], env: dict[str, str], port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait for its /healthz, yield it, always stop it."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command,
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise BenchError(f"{name} exited with {process.returncode}; see {log}")
            with contextlib.suppress(OSError):
                if http_get(f"http://{HOST}:{port}/healthz") == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchError(f"{name} not healthy after {START_TIMEOUT:.0f} s; see {log}")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)


def http_get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return int(response.status)


def http_post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(  # noqa: S310 (loopback only)
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return bytes(response.read())


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process (all its threads), in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- databases -------------------------------------------------------------------------------


async def pg_admin(server_url: str, database: str, statement: str) -> None:
    """Run one statement (our own constants) on ``database`` of the local PostgreSQL."""
    import asyncpg

    connection = await asyncpg.connect(f"{server_url}/{database}", timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def seed(env: dict[str, str], workdir: Path) -> None:
    started = time.monotonic()
    log = workdir / "seed.log"
    with log.open("wb") as out:
        result = subprocess.run(  # noqa: S603 (our own fixed command line)
            [str(BIN / "otesaintjo"), "seed", "--scale", str(SCALE)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=SEED_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        raise BenchError(f"seed failed ({result.returncode}); see {log}")
    print(f"  seeded --scale {SCALE} in {time.monotonic() - started:.1f} s")


# --- self-check ------------------------------------------------------------------------------


def graphql_body(arguments: str, selection: str = f"edges {{ node {{ {NODE} }} }}") -> bytes:
    return json.dumps({"query": f"{{ products({arguments}) {{ {selection} }} }}"}).encode()


def check_pages() -> dict[str, tuple[bytes, str]]:
    """name -> (body posted to ours, floor path): the benchmark pages plus promotion pages."""
    pages = {name: (path.read_bytes(), FLOOR_PATHS[name]) for name, path in BODIES.items()}
    for word in CHECK_SEARCHES:
        body = graphql_body(f'first: 100, search: "{word}"')
        pages[f"search {word!r}, first 100"] = (body, f"/search?q={word}&first=100")
    pages["storefront, first 100"] = (graphql_body("first: 100"), "/storefront?first=100")
    return pages


def fetch_ours(port: int) -> tuple[dict[str, bytes], set[str], int]:
    """Our answers to the check pages, the ids on sale, and the search's total count."""
    url = f"http://{HOST}:{port}/graphql"
    answers = {name: http_post(url, body) for name, (body, _path) in check_pages().items()}
    on_sale = json.loads(
        http_post(url, graphql_body("first: 100, onSale: true", "edges { node { id } }"))
    )
    total = json.loads(http_post(url, graphql_body(f'search: "{SEARCH_WORD}"', "totalCount")))
    ids = {edge["node"]["id"] for edge in on_sale["data"]["products"]["edges"]}
    return answers, ids, int(total["data"]["products"]["totalCount"])


def fetch_floor(port: int) -> dict[str, bytes]:
    return {
        name: http_post(f"http://{HOST}:{port}{path}", body)
        for name, (body, path) in check_pages().items()
    }


def compare(ours: dict[str, bytes], floor: dict[str, bytes], on_sale: set[str]) -> None:
    """Raise unless every page has the same ``data`` (and the same bytes) on both servers."""
    covered: set[str] = set()
    for name, our_body in ours.items():
        our_json, floor_json = json.loads(our_body), json.loads(floor.get(name, b"{}"))
        if "errors" in our_json or not our_json.get("data"):
            raise BenchError(f"ours answered {name} with errors: {our_body[:500]!r}")
        if our_json["data"] != floor_json.get("data"):
            diff = difflib.unified_diff(
                json.dumps(our_json["data"], indent=1, ensure_ascii=False).splitlines(),
                json.dumps(floor_json.get("data"), indent=1, ensure_ascii=False).splitlines(),
                "ours",
                "floor",
                lineterm="",
            )
            print("\n".join(list(diff)[:200]))
            raise BenchError(f"ours and the floor disagree on {name}")
        if our_body != floor[name]:
            raise BenchError(f"same data but different bytes on {name}")
        ids = {edge["node"]["id"] for edge in our_json["data"]["products"]["edges"]}
        covered |= ids & on_sale
        print(f"  check {name}: {len(ids)} products ({len(ids & on_sale)} on promotion), identical")
    if not covered:
        raise BenchError("the self-check pages hold no product on promotion")


# --- load ------------------------------------------------------------------------------------


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, p50/p99 (ms) and the error counts from ``wrk --latency`` output."""

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
            raise BenchError(f"no p{percent} in wrk output:\n{output}")
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
        "bad_responses": int(number(r"bench_bad_responses (\d+)")),
    }


def run_wrk(
    url: str, body: Path, seconds: int, connections: int, threads: int, cpu: int | None
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    assert wrk is not None
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(BENCH / "post.lua"),
        url,
    ]
    result = subprocess.run(  # noqa: S603 (our own fixed command line)
        pinned(command, cpu),
        env={**os.environ, "BENCH_BODY": str(body)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stderr}")
    return parse_wrk(result.stdout)


async def python_load(url: str, body: bytes, seconds: int, connections: int) -> dict[str, Any]:
    """Fallback when wrk is missing: ``connections`` httpx clients in a loop (much slower)."""
    import httpx

    latencies: list[float] = []
    counts = {"non_2xx": 0, "socket_errors": 0, "bad_responses": 0}
    headers = {"Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    counts["socket_errors"] += 1
                    continue
                latencies.append(time.perf_counter() - started)
                text = response.text
                if not 200 <= response.status_code < 400:
                    counts["non_2xx"] += 1
                if response.status_code != 200 or '"edges"' not in text or '"errors"' in text:
                    counts["bad_responses"] += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0
        )

    return {
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "requests": len(latencies),
        **counts,
    }


@dataclass(frozen=True)
class LoadOptions:
    duration: int
    warmup: int
    connections: int
    threads: int
    wrk_cpu: int | None

    @property
    def tool(self) -> str:
        return "wrk" if shutil.which("wrk") else "python-httpx"

    def run(self, url: str, body: Path, seconds: int) -> dict[str, Any]:
        if self.tool == "wrk":
            return run_wrk(url, body, seconds, self.connections, self.threads, self.wrk_cpu)
        return asyncio.run(python_load(url, body.read_bytes(), seconds, self.connections))


def measure(
    process: subprocess.Popen[bytes],
    database: str,
    server_name: str,
    urls: dict[str, str],
    load: LoadOptions,
) -> list[Measure]:
    """Warm up then measure each query against a running server."""
    for query, url in urls.items():
        load.run(url, BODIES[query], load.warmup)
    measures = []
    tick = os.sysconf("SC_CLK_TCK")
    for query, url in urls.items():
        server_before, (busy_before, total_before) = cpu_ticks(process.pid), machine_ticks()
        started = time.monotonic()
        figures = load.run(url, BODIES[query], load.duration)
        elapsed = time.monotonic() - started
        server_cpu = (cpu_ticks(process.pid) - server_before) / tick / elapsed * 100
        busy_after, total_after = machine_ticks()
        machine_cpu = (busy_after - busy_before) / max(total_after - total_before, 1) * 100
        result = Measure(
            database=database,
            query=query,
            server=server_name,
            server_cpu_pct=round(server_cpu, 1),
            machine_cpu_pct=round(machine_cpu, 1),
            tool=load.tool,
            **figures,
        )
        print(
            f"  {server_name:<12} {query:<10} {result.requests_per_s:8.1f} req/s"
            f"  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms"
            f"  server CPU {result.server_cpu_pct:5.1f} %  non-2xx {result.non_2xx}"
            f"  bad {result.bad_responses}  socket errors {result.socket_errors}"
        )
        measures.append(result)
    return measures


# --- one database ----------------------------------------------------------------------------


def bench_database(database: str, load: LoadOptions, server_cpu: int | None) -> list[Measure]:
    """Fresh database, seed, self-check, then measure ours and the floor, one at a time."""
    print(f"== {database}")
    workdir = Path(tempfile.mkdtemp(prefix=f"otesaintjo-bench-{database}-"))
    print(f"  work directory {workdir} (logs; removed on success)")
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'otesaintjo.db'}"
    else:
        asyncio.run(
            pg_admin(PG_SERVER, "postgres", f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        )
        asyncio.run(pg_admin(PG_SERVER, "postgres", f'CREATE DATABASE "{PG_DATABASE}"'))
        url = f"postgresql+asyncpg://{PG_SERVER.removeprefix('postgresql://')}/{PG_DATABASE}"
    ours_port, floor_port = free_port(), free_port()
    env = bench_env(url, workdir / "media", f"http://{HOST}:{ours_port}")
    seed(env, workdir)
    if database == "postgres":
        # What autovacuum would do a minute after the bulk insert, done now rather than mid-run.
        asyncio.run(pg_admin(PG_SERVER, PG_DATABASE, "VACUUM ANALYZE"))
    ours_command = [str(BIN / "otesaintjo"), "serve", "--host", HOST, "--port", str(ours_port)]
    floor_command = [str(BIN / "uvicorn"), "--app-dir", str(BENCH), "floor:app"]
    floor_command += ["--host", HOST, "--port", str(floor_port), "--log-level", "info"]
    ours = ("ours", pinned(ours_command, server_cpu), env, ours_port, workdir / "ours.log")
    floor = ("floor", pinned(floor_command, server_cpu), env, floor_port, workdir / "floor.log")

    with server(*floor):
        floor_pages = fetch_floor(floor_port)
    measures: list[Measure] = []
    with server(*ours) as process:
        our_pages, on_sale, total = fetch_ours(ours_port)
        print(f"  search {SEARCH_WORD!r}: {total} products match")
        if total < 20:
            raise BenchError(f"the search word {SEARCH_WORD!r} matches fewer than 20 products")
        compare(our_pages, floor_pages, on_sale)
        urls = {query: f"http://{HOST}:{ours_port}/graphql" for query in BODIES}
        measures += measure(process, database, "ours", urls, load)
    # The same server with its response cache off: what every first view of a page costs.
    uncached_env = {**env, "OTESAINTJO_RESPONSE_CACHE": "false"}
    uncached = ("ours", ours[1], uncached_env, ours_port, workdir / "ours-nocache.log")
    with server(*uncached) as process:
        urls = {query: f"http://{HOST}:{ours_port}/graphql" for query in BODIES}
        measures += measure(process, database, UNCACHED, urls, load)
    with server(*floor) as process:
        urls = {query: f"http://{HOST}:{floor_port}{FLOOR_PATHS[query]}" for query in BODIES}
        measures += measure(process, database, "floor", urls, load)

    if database == "postgres":
        asyncio.run(pg_admin(PG_SERVER, "postgres", f'DROP DATABASE "{PG_DATABASE}" WITH (FORCE)'))
    shutil.rmtree(workdir)
    return measures


# --- report ----------------------------------------------------------------------------------


def ratios(measures: list[Measure]) -> dict[tuple[str, str, str], float]:
    """(database, query, server) -> requests/s of our server divided by the floor's."""
    by_key = {(m.database, m.query, m.server): m for m in measures}
    return {
        (m.database, m.query, m.server): m.requests_per_s
        / by_key[(m.database, m.query, "floor")].requests_per_s
        for m in measures
        if m.server != "floor" and (m.database, m.query, "floor") in by_key
    }


def table(measures: list[Measure]) -> str:
    """A Markdown table (pasted as is in README.md)."""
    ratio = ratios(measures)
    lines = [
        "| database | query | server | requests/s | p50 ms | p99 ms | server CPU | all CPUs"
        " | ours/floor |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    databases = {db: i for i, db in enumerate(dict.fromkeys(m.database for m in measures))}
    queries = {query: i for i, query in enumerate(BODIES)}
    servers = {"ours": 0, UNCACHED: 1, "floor": 2}
    for m in sorted(
        measures, key=lambda m: (databases[m.database], queries[m.query], servers[m.server])
    ):
        shown = f"{ratio[(m.database, m.query, m.server)]:.2f}" if m.server != "floor" else ""
        lines.append(
            f"| {m.database} | {m.query} | {m.server} | {m.requests_per_s:.0f} | {m.p50_ms:.1f}"
            f" | {m.p99_ms:.1f} | {m.server_cpu_pct:.0f} % | {m.machine_cpu_pct:.0f} % | {shown} |"
        )
    return "\n".join(lines)


def save(
    measures: list[Measure], options: argparse.Namespace, started: datetime, pinning: str
) -> Path:
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    path = results / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    document = {
        "started": started.isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "options": vars(options),
        "pinning": pinning,
        "scale": SCALE,
        "search": SEARCH_WORD,
        "results": [asdict(m) for m in measures],
        "ratios": [
            {"database": db, "query": query, "server": name, "over_floor": round(value, 3)}
            for (db, query, name), value in ratios(measures).items()
        ],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds per query before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-pin", action="store_true", help="do not bind server/wrk to CPUs")
    options = parser.parse_args()
    if not 1 <= options.duration <= 600 or not 0 <= options.warmup <= 60:
        parser.error("--duration must be within 1–600 s and --warmup within 0–60 s")
    if not 1 <= options.connections <= 1000 or not 1 <= options.threads <= options.connections:
        parser.error("--connections must be within 1–1000, --threads within 1–connections")
    if f'search: "{SEARCH_WORD}"' not in json.loads(BODIES["search"].read_text())["query"]:
        parser.error(f"{BODIES['search']} must search {SEARCH_WORD!r} (the floor's word)")
    pin = not options.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    load = LoadOptions(
        options.duration, options.warmup, options.connections, options.threads, 1 if pin else None
    )
    pinning = "servers on CPU 0, wrk on CPU 1" if pin else "none"
    print(f"load generator: {load.tool}, CPU pinning: {pinning}")
    if load.tool != "wrk":
        print("wrk not found: falling back to the Python load generator (figures not comparable)")
    started = datetime.now(UTC)
    measures: list[Measure] = []
    try:
        for database in ("sqlite", "postgres") if options.db == "both" else (options.db,):
            measures += bench_database(database, load, 0 if pin else None)
    except (BenchError, subprocess.TimeoutExpired, OSError, urllib.error.URLError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if measures:
            print()
            print(table(measures))
            path = save(measures, options, started, pinning)
            print(f"\nresults written to {path.relative_to(BENCH.parent)}")
    unclean = [m for m in measures if not m.clean]
    for m in unclean:
        print(
            f"WARNING {m.database} {m.query} {m.server}: non-2xx {m.non_2xx},"
            f" bad responses {m.bad_responses}, socket errors {m.socket_errors}",
            file=sys.stderr,
        )
    return 1 if unclean else 0


if __name__ == "__main__":
    sys.exit(main())
