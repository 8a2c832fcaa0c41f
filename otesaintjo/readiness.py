"""``GET /readyz``: may this process take traffic? (``/healthz`` stays the cheap liveness check.)

Ready when all of these answer, each within ``CHECK_TIMEOUT_SECONDS`` (checked together):

- the database: ``SELECT 1``;
- the event bus: memory always; PostgreSQL its LISTEN connection up; Redis a PING answered
  and its subscription up;
- the outbox worker: its task running, and a round begun or ended within ``STALE_AFTER``
  (the loop turns at every poll, even with all its slots busy; ``LOCK_FOR`` is the default
  lease, after which another process would take a job). Started with
  ``OTESAINTJO_JOBS_ENABLED=false``: "disabled"; with ``OTESAINTJO_JOBS=external``: "external"
  (``otesaintjo worker`` processes run the jobs; watch the outbox lag in ``/metrics``). Neither
  is a failure.

200 ``{"status": "ok", "database": "ok", "event_bus": "ok", "worker": "ok"}``, else 503 with
``"status": "error"``, each part's state and the failing parts under ``"failing"``. Causes
go to the log, never to the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from otesaintjo.events.postgres import PostgresBus
from otesaintjo.events.redis import RedisBus
from otesaintjo.worker import LOCK_FOR, ExternalWorker

if TYPE_CHECKING:
    from otesaintjo.runtime import Runtime

log = structlog.get_logger(__name__)
CHECK_TIMEOUT_SECONDS = 2.0
OK, DISABLED, EXTERNAL = "ok", "disabled", "external"


def stale_after(poll_seconds: float) -> float:
    return LOCK_FOR.total_seconds() + 2 * poll_seconds


async def check_database(runtime: Runtime) -> str:
    async with runtime.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return OK


async def check_bus(runtime: Runtime) -> str:
    bus = runtime.bus
    if bus is None:
        return DISABLED
    if isinstance(bus, PostgresBus):
        connection = bus._connection
        alive = bus.listening.is_set() and connection is not None and not connection.is_closed()
        return OK if alive else "not listening"
    if isinstance(bus, RedisBus):
        try:
            await bus._client.ping()
        except Exception as exc:
            log.warning("readiness: Redis does not answer", error=str(exc)[:200])
            return "unreachable"
        return OK if bus.listening.is_set() else "not listening"
    return OK  # in memory


async def check_worker(runtime: Runtime) -> str:
    worker = runtime.worker
    if worker is None or not runtime.settings.jobs_enabled:
        return DISABLED
    if isinstance(worker, ExternalWorker):
        return EXTERNAL
    task = getattr(worker, "_task", None)
    if task is None or task.done():
        return "stopped"
    if runtime.metrics.worker_heartbeat.age() > stale_after(worker.poll_seconds):
        return "stale"
    return OK


async def _within(name: str, check: Awaitable[str]) -> str:
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        log.warning("readiness: check timed out", part=name)
        return "timeout"
    except Exception as exc:
        log.warning("readiness: check failed", part=name, error=str(exc)[:200])
        return "unreachable" if name == "database" else "error"


async def readiness(runtime: Runtime) -> dict[str, Any]:
    checks = {"database": check_database, "event_bus": check_bus, "worker": check_worker}
    states = await asyncio.gather(*(_within(n, c(runtime)) for n, c in checks.items()))
    parts = dict(zip(checks, states, strict=True))
    failing = [name for name, state in parts.items() if state not in (OK, DISABLED, EXTERNAL)]
    if failing:
        return {"status": "error", **parts, "failing": failing}
    return {"status": "ok", **parts}


def readiness_endpoint(runtime: Runtime) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def readyz(_request: Request) -> JSONResponse:
        body = await readiness(runtime)
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    return readyz
