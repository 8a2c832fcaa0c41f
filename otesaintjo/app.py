"""Starlette app factory: /graphql (HTTP + WebSocket), /healthz, and the lifespan that
opens the database, migrates the embedded default, and runs the outbox worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from otesaintjo.admission import Admission
from otesaintjo.db import warm_pool
from otesaintjo.export_files import data_export_file
from otesaintjo.gc_policy import settle_after_start
from otesaintjo.graphql_app import GraphQLApp
from otesaintjo.http_guards import (
    CORS_EXPOSED_HEADERS,
    CORS_MAX_AGE_SECONDS,
    CORS_REQUEST_HEADERS,
    RequestGuards,
)
from otesaintjo.invoice_files import invoice_pdf
from otesaintjo.log_config import configure_logging
from otesaintjo.merchant_pages import merchant_routes
from otesaintjo.metrics import metrics_endpoint, observe
from otesaintjo.migrations import upgrade
from otesaintjo.readiness import readiness_endpoint
from otesaintjo.runtime import Runtime
from otesaintjo.settings import Settings, get_settings
from otesaintjo.web_assets import VENDOR_DIR, VENDOR_URL
from otesaintjo.webhooks import stripe_webhook

log = structlog.get_logger(__name__)

# Probes and scrapes answer at once, however busy the process: a load balancer must not take
# a busy process for a dead one.
NEVER_WAIT = ("/healthz", "/readyz", "/metrics")


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    configure_logging(settings)
    runtime = Runtime.build(settings)
    graphql = GraphQLApp(runtime)
    observe(runtime)  # what /metrics reads at scrape time; the worker's heartbeat

    async def healthz(_request: Request) -> JSONResponse:
        try:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check failed", error=str(exc))
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if settings.is_sqlite and not settings.is_production:
            await upgrade(runtime.engine)  # the embedded default migrates by itself
        if settings.db_pool_warm and not settings.is_sqlite:
            opened = await warm_pool(runtime.engine, settings.db_pool_size)
            if opened < settings.db_pool_size:
                log.warning(
                    "database pool: some connections could not be opened at start-up",
                    opened=opened,
                    wanted=settings.db_pool_size,
                )
        if runtime.bus is not None:
            await runtime.bus.start()
        if runtime.worker is not None and settings.jobs_enabled:
            runtime.worker.start()
        if not settings.smtp_url:
            log.warning("no OTESAINTJO_SMTP_URL: emails are printed to the log, not sent")
        if runtime.payments is None:
            log.warning("no OTESAINTJO_STRIPE_API_KEY: checkout and payouts are unavailable")
        elif settings.stripe_offline:
            log.warning(
                "paiements hors ligne — aucun argent réel (localstripe + Connect double)",
                api=settings.stripe_api_base,
                connect=settings.stripe_connect_api_base,
            )
        if settings.gc_freeze_after_start:
            settle_after_start()
        try:
            yield
        finally:
            if runtime.worker is not None:
                await runtime.worker.stop()
            if runtime.sign_in_checks is not None:
                await runtime.sign_in_checks.stop()
            if runtime.payments is not None:
                await runtime.payments.gateway.close()
            if runtime.bus is not None:
                await runtime.bus.stop()
            if runtime.sms is not None:
                await runtime.sms.close()
            await runtime.engine.dispose()

    media = Path(settings.media_dir)
    media.mkdir(parents=True, exist_ok=True)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readiness_endpoint(runtime), methods=["GET"]),
            Route("/metrics", metrics_endpoint(runtime), methods=["GET"]),
            Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
            Route("/invoices/{invoice_id:int}.pdf", invoice_pdf, methods=["GET"]),
            Route("/exports/{export_id:int}.json", data_export_file, methods=["GET"]),
            Mount("/media", app=StaticFiles(directory=media), name="media"),
            Mount(VENDOR_URL, app=StaticFiles(directory=VENDOR_DIR), name="vendor"),
            *merchant_routes(),
        ],
        middleware=[
            # Outermost: a preflight is answered before any route or guard sees it. No
            # credentials (cookies) are ever allowed: the API reads bearer tokens only.
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST"],
                allow_headers=list(CORS_REQUEST_HEADERS),
                expose_headers=list(CORS_EXPOSED_HEADERS),
                allow_credentials=False,
                max_age=CORS_MAX_AGE_SECONDS,
            ),
            Middleware(
                RequestGuards,
                json_limit=settings.max_body_bytes,
                upload_limit=settings.max_upload_bytes,
            ),
            # Innermost: what waits its turn is a request already found well-formed.
            *(
                [Middleware(Admission, gate=runtime.admission, exempt=NEVER_WAIT)]
                if runtime.admission is not None
                else []
            ),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
