"""Prometheus metrics: one registry per app (``Runtime.metrics``), served at ``GET /metrics``.

What is measured, and where:

- GraphQL: latency per operation name and type, errors per ``extensions.code``, live
  subscriptions (``GraphQLMetrics``, the schema's first extension, so it sees every error
  with its final code). Names are bounded: the trusted documents' names, then the first
  ``MAX_OPERATION_NAMES`` other names seen in a parsed document; any further name is
  ``other``, no name ``anonymous``. Anonymous catalogue reads answered by the response cache
  never reach the schema: they are counted as cache hits, not in the latency histogram.
- WebSocket connections accepted and still open (``serve_websocket``, around strawberry's).
- The database: statements (round trips) from SQLAlchemy's ``before_cursor_execute``, pool
  checkouts and new connections, the time to get a connection from the pool, and the pool's
  checked-out, idle and overflow connections read at scrape time.
- Read at scrape time from the running app (``observe``): the response cache's hit and miss
  counters, the outbox (pending and due jobs, age of the oldest due one: one small query on a
  connection of its own, bounded by ``READING_TIMEOUT_SECONDS``), the worker's heartbeat.
- The process: prometheus_client's process, platform and GC collectors, plus GC pauses per
  generation (``gc.callbacks``: installed once per process, read by every registry).

Who may read ``/metrics`` (``metrics_endpoint``): with ``OTESAINTJO_METRICS_TOKEN`` set, a
client sending ``Authorization: Bearer <that token>``, from any address; without it, in
development only, a client on the loopback address; anyone else gets a 404 (401 for a wrong
or missing token when one is set). Production without a token never serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import ipaddress
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

import structlog
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import case, event, func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from otesaintjo.clock import utcnow
from otesaintjo.models import Job

log = structlog.get_logger(__name__)

MAX_OPERATION_NAMES = 200  # distinct unregistered names labelled as such; the rest: "other"
MAX_ERROR_CODES = 50
READING_TIMEOUT_SECONDS = 2.0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_WAIT_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0)
GC_PAUSE_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0)
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_CODE = re.compile(r"[A-Za-z_]{1,40}")
# strawberry's refusals before execution, answered with HTTP 400 (no GraphQL error code).
_BAD_REQUESTS = ("MissingQueryError", "CannotGetOperationTypeError", "InvalidOperationTypeError")


class Metrics:
    """The instruments of one app, in a registry of their own (tests build many apps)."""

    def __init__(self, *, known_documents: Iterable[str] = ()) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        registry.register(_GC_PAUSES.collector())
        self.graphql_duration = Histogram(
            "otesaintjo_graphql_request_duration_seconds",
            "GraphQL operations (queries and mutations) from parsing to result.",
            ["operation", "operation_type"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )
        self.graphql_errors = Counter(
            "otesaintjo_graphql_errors",
            "GraphQL errors returned, by extensions.code.",
            ["code"],
            registry=registry,
        )
        self.subscriptions_active = Gauge(
            "otesaintjo_graphql_subscriptions_active",
            "GraphQL subscriptions running now.",
            registry=registry,
        )
        self.subscriptions_started = Counter(
            "otesaintjo_graphql_subscriptions_started",
            "GraphQL subscriptions started.",
            registry=registry,
        )
        self.websockets_open = Gauge(
            "otesaintjo_websocket_connections_open",
            "WebSocket connections accepted and not yet closed.",
            registry=registry,
        )
        self.websockets_accepted = Counter(
            "otesaintjo_websocket_connections_accepted",
            "WebSocket connections accepted.",
            registry=registry,
        )
        self.db_statements = Counter(
            "otesaintjo_db_statements",
            "SQL statements sent to the database (round trips; executemany counts one).",
            registry=registry,
        )
        self.db_checkouts = Counter(
            "otesaintjo_db_pool_checkouts",
            "Connections taken from the pool.",
            registry=registry,
        )
        self.db_connects = Counter(
            "otesaintjo_db_connections_opened",
            "New connections opened to the database.",
            registry=registry,
        )
        self.db_pool_wait = Histogram(
            "otesaintjo_db_pool_wait_seconds",
            "Time to get a connection from the pool: waiting for a free one, or opening one.",
            registry=registry,
            buckets=DB_WAIT_BUCKETS,
        )
        self.db_pool_timeouts = Counter(
            "otesaintjo_db_pool_timeouts",
            "Requests for a connection that gave up (pool exhausted).",
            registry=registry,
        )
        self.outbox_reading_errors = Counter(
            "otesaintjo_outbox_reading_errors",
            "Scrapes whose outbox query failed (the outbox gauges are then left out).",
            registry=registry,
        )
        self.worker_polls = Counter(
            "otesaintjo_outbox_worker_polls",
            "Outbox worker rounds (claim due jobs, run them).",
            registry=registry,
        )
        self.worker_jobs = Counter(
            "otesaintjo_outbox_worker_jobs_attempted",
            "Outbox jobs the worker of this process attempted.",
            registry=registry,
        )
        self.worker_heartbeat = Heartbeat()
        self._known = frozenset(_operation_names(known_documents))
        self._seen: set[str] = set()
        self._codes: set[str] = set()
        self._timers: dict[tuple[str, str], Any] = {}
        self._errors: dict[str, Any] = {}
        self._outbox: tuple[int, int, float] | None = None
        self._watched_pool: Any = None

    # -- GraphQL ---------------------------------------------------------------------------

    def operation_label(self, name: str | None, document: Any) -> str:
        if name is None:
            return "anonymous"
        if name in self._known or name in self._seen:
            return name
        if (
            len(self._seen) < MAX_OPERATION_NAMES
            and _NAME.fullmatch(name)
            and document is not None
            and any(
                isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
                for d in document.definitions
            )
        ):
            self._seen.add(name)
            return name
        return "other"

    def observe_operation(self, operation: str, operation_type: str, seconds: float) -> None:
        timer = self._timers.get((operation, operation_type))
        if timer is None:
            timer = self._timers[operation, operation_type] = self.graphql_duration.labels(
                operation, operation_type
            )
        timer.observe(seconds)

    def count_error(self, code: str | None) -> None:
        code = code or "INTERNAL"
        if code not in self._codes:
            if not _CODE.fullmatch(code) or len(self._codes) >= MAX_ERROR_CODES:
                code = "OTHER"
            self._codes.add(code)
        counter = self._errors.get(code)
        if counter is None:
            counter = self._errors[code] = self.graphql_errors.labels(code)
        counter.inc()

    # -- WebSocket -------------------------------------------------------------------------

    async def serve_websocket(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """Run strawberry's WebSocket handler, counting the connection while it is open."""
        accepted = False

        async def watching(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                self.websockets_open.inc()
                self.websockets_accepted.inc()
            await send(message)

        try:
            await app(scope, receive, watching)
        finally:
            if accepted:
                self.websockets_open.dec()

    # -- Database --------------------------------------------------------------------------

    def instrument_engine(self, engine: AsyncEngine) -> None:
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "before_cursor_execute")
        def _statement(*_args: Any) -> None:
            self.db_statements.inc()

        @event.listens_for(sync_engine, "checkout")
        def _checkout(*_args: Any) -> None:
            self.db_checkouts.inc()

        @event.listens_for(sync_engine, "connect")
        def _connect(*_args: Any) -> None:
            self.db_connects.inc()

        self._time_pool(sync_engine.pool)

    def _time_pool(self, pool: Any) -> None:
        """Time ``Pool._do_get`` (no public event fires before a checkout). A pool replaced
        by ``engine.dispose()`` is timed again at the next scrape."""
        if pool is self._watched_pool or not hasattr(pool, "_do_get"):
            return
        self._watched_pool = pool
        get = pool._do_get
        wait, timeouts = self.db_pool_wait, self.db_pool_timeouts

        def timed_get() -> Any:
            started = time.perf_counter()
            try:
                return get()
            except PoolTimeout:
                timeouts.inc()
                raise
            finally:
                wait.observe(time.perf_counter() - started)

        pool._do_get = timed_get

    # -- The outbox worker -----------------------------------------------------------------

    def watch_worker(self, worker: Any) -> None:
        """Stamp the worker's heartbeat at each round (wraps its ``run_round``: claim due
        jobs into the free slots and start them)."""
        if getattr(worker, "_otesaintjo_watched", False) or not hasattr(worker, "run_round"):
            return  # an API process with external jobs runs no worker here
        run_round = worker.run_round
        beat, polls, jobs = self.worker_heartbeat, self.worker_polls, self.worker_jobs

        async def watched_run_round() -> int:
            beat.beat()
            ran = 0
            try:
                ran = await run_round()
                return ran
            finally:
                beat.beat()
                polls.inc()
                jobs.inc(ran)

        worker.run_round = watched_run_round
        worker._otesaintjo_watched = True


class Heartbeat:
    """When the outbox worker last began or ended a round (monotonic seconds)."""

    def __init__(self) -> None:
        self.since = time.monotonic()
        self.last: float | None = None

    def beat(self) -> None:
        self.last = time.monotonic()

    def age(self) -> float:
        """Seconds since the last round (since watching began, before the first one)."""
        return time.monotonic() - (self.last if self.last is not None else self.since)


def _operation_names(documents: Iterable[str]) -> Iterator[str]:
    for document in documents:
        try:
            parsed = parse(document)
        except GraphQLError:
            continue
        for definition in parsed.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                yield definition.name.value


def _code_of(error: BaseException) -> str:
    """The code a client sees: what the steps set, else as ``ensure_codes`` names it."""
    if isinstance(error, GraphQLError):
        code = (error.extensions or {}).get("code")
        if isinstance(code, str):
            return code
        return "GRAPHQL_VALIDATION_FAILED" if isinstance(error, GraphQLSyntaxError) else "INTERNAL"
    if type(error).__name__ in _BAD_REQUESTS:
        return "BAD_REQUEST"
    return "INTERNAL"


class GraphQLMetrics(SchemaExtension):
    """Times each operation and counts its errors (register it first: it then sees the codes
    every other extension set, masking included); keeps the live subscriptions' gauge."""

    def __init__(self, *, metrics: Metrics) -> None:
        self.metrics = metrics
        self._subscription = False
        self._streamed = False
        self._type: str | None = None

    def on_execute(self) -> Iterator[None]:
        if self._operation_type() == OperationType.SUBSCRIPTION.value:
            self._subscription = True
            self.metrics.subscriptions_active.inc()
            self.metrics.subscriptions_started.inc()
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._streamed = True
        try:
            yield
        finally:  # after the other extensions' hooks: errors coded and masked
            for error in getattr(result, "errors", None) or []:
                self.metrics.count_error(_code_of(error))

    def _operation_type(self) -> str:
        if self._type is None:
            try:
                self._type = self.execution_context.operation_type.value
            except Exception:
                return "unknown"  # no document (yet), or no operation of the name given
        return self._type

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            yield
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:
            failure = exc
            raise
        finally:
            self._record(time.perf_counter() - started, failure)

    def _record(self, seconds: float, failure: BaseException | None) -> None:
        metrics, context = self.metrics, self.execution_context
        if self._subscription:
            metrics.subscriptions_active.dec()  # its operation lasts as long as the stream
        else:
            try:
                name = context.operation_name
            except Exception:
                name = None
            label = metrics.operation_label(name, context.graphql_document)
            metrics.observe_operation(label, self._operation_type(), seconds)
        if failure is not None:
            metrics.count_error(_code_of(failure))
        elif not self._streamed:
            for error in getattr(context.result, "errors", None) or []:
                metrics.count_error(_code_of(error))


# -- GC pauses (process-wide, read by every registry) -------------------------------------


class _GcPauses:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._installed = False
        self._started = 0.0
        self._buckets = {g: [0] * (len(GC_PAUSE_BUCKETS) + 1) for g in range(3)}
        self._sums = dict.fromkeys(range(3), 0.0)

    def install(self) -> None:
        with self._lock:
            if not self._installed:
                gc.callbacks.append(self._callback)
                self._installed = True

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
            return
        pause = now - self._started
        generation = info.get("generation", 0)
        if generation not in self._sums:
            return
        position = next(
            (i for i, bound in enumerate(GC_PAUSE_BUCKETS) if pause <= bound),
            len(GC_PAUSE_BUCKETS),
        )
        self._buckets[generation][position] += 1
        self._sums[generation] += pause

    def collector(self) -> Collector:
        self.install()
        pauses = self

        class GcPauseCollector(Collector):
            def collect(self) -> Iterator[HistogramMetricFamily]:
                family = HistogramMetricFamily(
                    "otesaintjo_gc_pause_seconds",
                    "Garbage collector pauses per generation (count: collections).",
                    labels=["generation"],
                )
                bounds = [*(str(b) for b in GC_PAUSE_BUCKETS), "+Inf"]
                for generation, counts in pauses._buckets.items():
                    cumulative, total = [], 0
                    for bound, count in zip(bounds, list(counts), strict=True):
                        total += count
                        cumulative.append((bound, total))
                    family.add_metric([str(generation)], cumulative, pauses._sums[generation])
                yield family

        return GcPauseCollector()


_GC_PAUSES = _GcPauses()


# -- Read at scrape time from the running app ----------------------------------------------


class Observed(Protocol):
    """What ``observe`` reads from the app's runtime (``otesaintjo.runtime.Runtime``)."""

    metrics: Metrics
    engine: AsyncEngine
    response_cache: Any
    worker: Any
    settings: Any
    admission: Any


def observe(runtime: Observed) -> None:
    """Register the readings taken at scrape time from ``runtime``, and the worker's
    heartbeat. Call once, when the app is built."""
    metrics = runtime.metrics
    if runtime.worker is not None:
        metrics.watch_worker(runtime.worker)
    metrics.registry.register(_RuntimeCollector(runtime))


class _RuntimeCollector(Collector):
    def __init__(self, runtime: Observed) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Any]:
        runtime, metrics = self.runtime, self.runtime.metrics
        cache = runtime.response_cache  # read now: the app may swap or drop it
        hits, misses = getattr(cache, "hits", None), getattr(cache, "misses", None)
        if isinstance(hits, int) and isinstance(misses, int):
            yield CounterMetricFamily(
                "otesaintjo_response_cache_hits", "Response cache hits.", value=hits
            )
            yield CounterMetricFamily(
                "otesaintjo_response_cache_misses", "Response cache misses.", value=misses
            )
        yield from _admission_readings(runtime.admission)
        pool = runtime.engine.sync_engine.pool
        metrics._time_pool(pool)
        for name, doc, reading in (
            ("size", "Connections the pool keeps open.", "size"),
            ("checked_out", "Connections in use now.", "checkedout"),
            ("idle", "Connections open and free now.", "checkedin"),
        ):
            value = getattr(pool, reading, None)
            if callable(value):
                yield GaugeMetricFamily(f"otesaintjo_db_pool_{name}", doc, value=value())
        overflow = getattr(pool, "overflow", None)
        if callable(overflow):
            yield GaugeMetricFamily(
                "otesaintjo_db_pool_overflow",
                "Connections open beyond the pool's size now.",
                value=max(0, overflow()),
            )
        if metrics._outbox is not None:
            pending, due, oldest_age = metrics._outbox
            yield GaugeMetricFamily(
                "otesaintjo_outbox_jobs_pending",
                "Outbox jobs neither done nor failed for good (due now or later).",
                value=pending,
            )
            yield GaugeMetricFamily(
                "otesaintjo_outbox_jobs_due", "Outbox jobs due now, not done.", value=due
            )
            yield GaugeMetricFamily(
                "otesaintjo_outbox_oldest_due_age_seconds",
                "Age of the oldest due, not done outbox job (0: none due): the outbox lag.",
                value=oldest_age,
            )
        worker = runtime.worker
        if worker is not None and runtime.settings.jobs_enabled and hasattr(worker, "run_round"):
            yield GaugeMetricFamily(
                "otesaintjo_outbox_worker_heartbeat_age_seconds",
                "Seconds since this process's outbox worker last began or ended a round.",
                value=metrics.worker_heartbeat.age(),
            )


def _admission_readings(gate: Any) -> Iterator[Any]:
    """The admission gate's line (admission.py): how long requests wait for their turn."""
    if gate is None:
        return
    yield GaugeMetricFamily(
        "otesaintjo_http_requests_in_service",
        "HTTP requests holding one of this process's slots now.",
        value=gate.limit - gate.free,
    )
    yield GaugeMetricFamily(
        "otesaintjo_http_requests_waiting",
        "HTTP requests waiting for a slot now.",
        value=gate.waiting,
    )
    yield CounterMetricFamily(
        "otesaintjo_http_admission_waits", "HTTP requests that had to wait.", value=gate.waited
    )
    yield CounterMetricFamily(
        "otesaintjo_http_admission_wait_seconds",
        "Time HTTP requests spent waiting for a slot, summed.",
        value=gate.wait_seconds,
    )


async def read_outbox(engine: AsyncEngine) -> tuple[int, int, float]:
    """(pending, due, age of the oldest due job in seconds), in one query."""
    now = utcnow()
    query = select(
        func.count(),
        func.coalesce(func.sum(case((Job.run_at <= now, 1), else_=0)), 0),
        func.min(Job.run_at),
    ).where(Job.done_at.is_(None), Job.failed_at.is_(None))  # type: ignore[union-attr]
    async with engine.connect() as connection:
        pending, due, oldest = (await connection.execute(query)).one()
    age = 0.0
    if isinstance(oldest, datetime) and due:
        age = max(0.0, (now - oldest).total_seconds())
    return int(pending), int(due), age


async def _refresh_outbox(runtime: Observed) -> None:
    metrics = runtime.metrics
    try:
        metrics._outbox = await asyncio.wait_for(
            read_outbox(runtime.engine), READING_TIMEOUT_SECONDS
        )
    except Exception as exc:
        metrics._outbox = None
        metrics.outbox_reading_errors.inc()
        log.warning("metrics: outbox reading failed", error=str(exc)[:200])


# -- GET /metrics --------------------------------------------------------------------------


def may_read_metrics(request: Request, token: str | None, production: bool) -> int:
    """200 when allowed, else the status to answer (see the module's docstring)."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        valid = scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
        return 200 if valid else 401
    if production:
        return 404
    host = request.client.host if request.client else ""
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return 200
    return 404


def metrics_endpoint(runtime: Observed) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        settings = runtime.settings
        status = may_read_metrics(request, settings.metrics_token, settings.is_production)
        if status == 401:
            return JSONResponse(
                {"error": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        if status != 200:
            return JSONResponse({"error": "not found"}, status_code=404)
        await _refresh_outbox(runtime)
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(runtime.metrics.registry), media_type=content_type)

    return metrics


__all__ = [
    "GraphQLMetrics",
    "Heartbeat",
    "Metrics",
    "metrics_endpoint",
    "observe",
    "read_outbox",
]
