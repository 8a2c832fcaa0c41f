"""``otesaintjo worker``: the outbox in a process of its own.

It holds what the jobs need (``Runtime.build(worker_process=True)``: the same handlers as an
API process — emails, SMS, transfers, refunds, expiry, alerts), runs
``OTESAINTJO_WORKER_CONCURRENCY`` jobs at once, listens on the event bus's jobs channel
(API processes with ``OTESAINTJO_JOBS=external`` announce their commits there) and polls every
``OTESAINTJO_JOBS_POLL_SECONDS`` besides. SIGTERM or SIGINT: it claims no more, lets the
running jobs finish (``STOP_GRACE_SECONDS``), then exits; SIGKILL loses nothing (the jobs it
held run again elsewhere once their lease expires: ``worker.py``).

PostgreSQL only: on SQLite the API runs the jobs itself (one writer at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

import structlog

from otesaintjo.log_config import configure_logging
from otesaintjo.runtime import Runtime
from otesaintjo.settings import Settings
from otesaintjo.worker import JobWorker

log = structlog.get_logger(__name__)
STOP_GRACE_SECONDS = 30.0  # under systemd's TimeoutStopSec (deploy/systemd)

SQLITE_REFUSAL = (
    "otesaintjo worker demande PostgreSQL : sur SQLite, l'API exécute elle-même les tâches"
    " (un seul processus écrit à la fois). Laissez OTESAINTJO_JOBS=in-process."
)


def refusal(settings: Settings) -> str | None:
    """Why this configuration cannot run a worker process, if it cannot."""
    if settings.is_sqlite:
        return SQLITE_REFUSAL
    return None


async def run_worker(settings: Settings, on_ready: Callable[[str], None] | None = None) -> None:
    """Run the outbox until SIGTERM or SIGINT."""
    configure_logging(settings)
    runtime = Runtime.build(settings, worker_process=True)
    worker = runtime.worker
    assert isinstance(worker, JobWorker)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        if runtime.bus is not None:
            await runtime.bus.start()
        worker.start()
        if settings.jobs != "external":
            log.warning(
                "OTESAINTJO_JOBS is not 'external': API processes still run jobs too"
                " (correct, but they keep polling)"
            )
        if runtime.payments is None:
            log.warning(
                "no OTESAINTJO_STRIPE_API_KEY: payment jobs (transfers, refunds, expiry) fail"
                " here until it is set"
            )
        if settings.event_bus == "memory":
            log.warning(
                "OTESAINTJO_EVENT_BUS=memory: no wake-up reaches this process, it polls only",
                poll_seconds=settings.jobs_poll_seconds,
            )
        log.info(
            "worker ready",
            identity=worker.identity,
            concurrency=worker.concurrency,
            kinds=sorted(runtime.job_handlers),
            bus=settings.event_bus,
        )
        if on_ready is not None:
            on_ready(
                f"Worker prêt : {worker.concurrency} tâches à la fois, {worker.identity},"
                f" bus {settings.event_bus}, relève toutes les {settings.jobs_poll_seconds} s."
            )
        await stop.wait()
        log.info("worker stopping", running=worker.running)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await worker.stop(STOP_GRACE_SECONDS)
        if runtime.bus is not None:
            await runtime.bus.stop()
        if runtime.payments is not None:
            await runtime.payments.gateway.close()
        if runtime.sms is not None:
            await runtime.sms.close()
        with contextlib.suppress(Exception):
            await runtime.engine.dispose()
