"""What the app holds while it runs: settings, schema, database, job worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry import Schema

from otesaintjo.admission import AdmissionGate
from otesaintjo.clock import utcnow
from otesaintjo.db import create_engine, create_session_factory
from otesaintjo.events import EventBus, build_bus
from otesaintjo.graphql_schema import build_schema
from otesaintjo.metrics import Metrics
from otesaintjo.notifications.email import LogMailer, Mailer, SmtpMailer
from otesaintjo.notifications.sms import (
    SMS_JOB,
    DisabledSmsSender,
    HttpSmsSender,
    LogSmsSender,
)
from otesaintjo.payments.stripe_gateway import StripeGateway
from otesaintjo.persisted_queries import (
    MemoryDocumentStore,
    PersistedQueries,
    RedisDocumentStore,
    load_trusted_documents,
)
from otesaintjo.rate_limits import Bucket, MemoryBuckets, RedisBuckets
from otesaintjo.response_cache import ResponseCache
from otesaintjo.services import pickup_promises, stock_alerts
from otesaintjo.services.accounts import PASSWORD_RESET_JOB, send_password_reset
from otesaintjo.services.live_orders import PushReads, SignInChecks
from otesaintjo.services.money import PaymentFlow, job_handlers
from otesaintjo.services.outbox import EMAIL_JOB, email_sender
from otesaintjo.services.personal_data import (
    EXPORT_EXPIRY_JOB,
    EXPORT_JOB,
    build_export,
    delete_export_files,
)
from otesaintjo.services.retention import RETENTION_JOB, run_daily
from otesaintjo.settings import Settings
from otesaintjo.storage import BlobStore, LocalDirStore
from otesaintjo.worker import ExternalWorker, Handler, JobWorker, build_worker


@dataclass
class Runtime:
    settings: Settings
    schema: Schema
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    mailer: Mailer
    store: BlobStore
    private_store: BlobStore
    """Files for one person only (data exports), under ``private_dir``: never served as is."""
    worker: JobWorker | ExternalWorker | None = field(default=None)
    job_handlers: dict[str, Handler] = field(default_factory=dict)  # every job kind run here
    response_cache: ResponseCache | None = field(default=None)
    payments: PaymentFlow | None = field(default=None)
    bus: EventBus | None = field(default=None)
    sms: HttpSmsSender | LogSmsSender | DisabledSmsSender | None = field(default=None)
    sign_in_checks: SignInChecks | None = field(default=None)
    push_reads: PushReads | None = field(default=None)
    buckets: MemoryBuckets | RedisBuckets | None = field(default=None)
    persisted_queries: PersistedQueries = field(
        default_factory=lambda: PersistedQueries(MemoryDocumentStore())
    )
    metrics: Metrics = field(default_factory=Metrics)  # its own registry (GET /metrics)
    admission: AdmissionGate | None = field(default=None)  # None: requests never wait

    @classmethod
    def build(cls, settings: Settings, *, worker_process: bool = False) -> Runtime:
        """What an API process holds; with ``worker_process``, what ``otesaintjo worker``
        holds (its worker runs ``OTESAINTJO_WORKER_CONCURRENCY`` jobs at once)."""
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        session_factory = create_session_factory(engine)
        mailer: Mailer = (
            SmtpMailer(settings.smtp_url, settings.mail_from)
            if settings.smtp_url
            else LogMailer(settings.mail_from)
        )
        bus = build_bus(settings)
        sms: HttpSmsSender | LogSmsSender | DisabledSmsSender
        if settings.sms_gateway_url:
            sms = HttpSmsSender(
                settings.sms_gateway_url, settings.sms_gateway_token, settings.sms_sender
            )
        else:
            sms = DisabledSmsSender() if settings.sms_disabled else LogSmsSender()
        payments = (
            PaymentFlow(
                session_factory,
                StripeGateway(
                    settings.stripe_api_key,
                    api_base=settings.stripe_api_base,
                    connect_api_base=settings.stripe_connect_api_base,
                    webhook_secrets=settings.stripe_webhook_secrets,
                    payment_method_types=settings.payment_method_types,
                    offline=settings.stripe_offline,
                ),
                settings,
                bus,
            )
            if settings.stripe_api_key
            else None
        )
        private_store = LocalDirStore(Path(settings.private_dir), settings.public_url)
        handlers: dict[str, Handler] = {
            EMAIL_JOB: email_sender(mailer, session_factory),
            EXPORT_JOB: lambda p: build_export(
                session_factory, private_store, settings, p["export_id"], utcnow()
            ),
            EXPORT_EXPIRY_JOB: lambda p: delete_export_files(
                session_factory, private_store, p["keys"]
            ),
            RETENTION_JOB: lambda p: run_daily(session_factory, private_store, utcnow()),
            PASSWORD_RESET_JOB: lambda p: send_password_reset(
                session_factory, settings, p["email"], utcnow()
            ),
            SMS_JOB: sms.send,
            **pickup_promises.handlers(session_factory, settings, sms),
            **stock_alerts.handlers(session_factory, settings, mailer),
            **(job_handlers(payments) if payments else {}),
        }
        worker = build_worker(
            settings, session_factory, handlers, bus, worker_process=worker_process
        )
        trusted = (
            load_trusted_documents(settings.trusted_documents) if settings.trusted_documents else {}
        )
        persisted = PersistedQueries(
            RedisDocumentStore(settings.redis_url)
            if settings.persisted_queries == "redis"
            else MemoryDocumentStore(),
            trusted,
            trusted_only=settings.trusted_documents_only,
        )
        buckets = (
            RedisBuckets(settings.redis_url) if settings.rate_limits == "redis" else MemoryBuckets()
        )
        metrics = Metrics(known_documents=trusted.values())
        metrics.instrument_engine(engine)
        return cls(
            settings=settings,
            metrics=metrics,
            schema=build_schema(
                metrics=metrics,
                production=settings.is_production,
                trusted_documents=frozenset(trusted) if settings.trusted_documents_only else None,
                buckets=buckets,
                budget=Bucket(settings.cost_budget, settings.cost_refill_per_second),
            ),
            engine=engine,
            session_factory=session_factory,
            mailer=mailer,
            store=LocalDirStore(Path(settings.media_dir), settings.media_url),
            private_store=private_store,
            worker=worker,
            job_handlers=handlers,
            response_cache=ResponseCache(engine) if settings.response_cache else None,
            payments=payments,
            bus=bus,
            sms=sms,
            persisted_queries=persisted,
            buckets=buckets,
            sign_in_checks=SignInChecks(
                session_factory, settings.secret_key, settings.ws_session_check_seconds
            ),
            push_reads=PushReads(session_factory),
            admission=(
                AdmissionGate(settings.max_concurrent_requests)
                if settings.max_concurrent_requests
                else None
            ),
        )
