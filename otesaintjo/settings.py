"""Typed settings read from the environment (prefix ``OTESAINTJO_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-secret-change-me-dev-secret-change-me"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./otesaintjo.db"
# Where front-end developers usually serve a storefront while they work on it: Vite (dev and
# preview), Create React App / Next.js, Angular, webpack-dev-server, Nuxt… on both host names.
DEVELOPMENT_ORIGINS = tuple(
    f"http://{host}:{port}"
    for host in ("localhost", "127.0.0.1")
    for port in (3000, 4173, 4200, 5173, 8080)
)
STRIPE_JS_URL = "https://js.stripe.com/v3/"


class Settings(BaseSettings):
    """Every knob of the service. Production refuses unsafe defaults at start."""

    model_config = SettingsConfigDict(env_prefix="OTESAINTJO_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEFAULT_SECRET_KEY
    public_url: str = "http://127.0.0.1:8000"
    frontend_url: str | None = Field(
        default=None,
        description="The storefront's address: customer links in emails point there"
        " (reset, newsletter, orders). Unset: the development storefront, localhost:5173.",
    )
    cors_origins: list[str] | None = Field(
        default=None,
        description="Browser origins allowed to call the API (CORS on HTTP, origin check on"
        " WebSocket). Unset: the usual local dev-server origins in development, none (same"
        " origin only) in production.",
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:pass@host:port (plain or STARTTLS when offered), smtps:// for TLS."
        " Unset in development: emails are printed to the log.",
    )
    mail_from: str = "Otesaintjo <ne-pas-repondre@otesaintjo.re>"
    support_email: str = "support@otesaintjo.re"

    access_token_minutes: int = 10
    refresh_token_days: int = 30
    password_reset_minutes: int = 60

    # Login throttling: failures allowed before a growing wait (2 s, 4 s … 15 min): per account
    # and client address, per client address, and per account from every address together.
    login_free_failures_per_account: int = 5
    login_free_failures_per_ip: int = 20
    login_free_failures_account_wide: int = 100
    login_max_lock_seconds: int = 15 * 60

    # Outbox worker.
    jobs_poll_seconds: float = 2.0
    jobs_max_attempts: int = 50  # with backoff capped at 1 h: about two days of retries
    jobs_enabled: bool = True
    # Database connections each process keeps open (PostgreSQL), plus 10 for bursts. Mind
    # PostgreSQL's max_connections: API processes × (this + 10) + workers.
    db_pool_size: int = Field(default=30, ge=2, le=200)
    # Open those connections at start-up (PostgreSQL): the first burst of customers after a
    # deploy finds them ready, instead of each of its requests forking a session.
    db_pool_warm: bool = True
    # Who runs the jobs: "in-process" (each API process, one job at a time: the embedded
    # default) or "external" (`otesaintjo worker` processes; API processes never run a job and
    # wake them through the event bus after a commit that wrote jobs). PostgreSQL only.
    jobs: Literal["in-process", "external"] = "in-process"
    worker_concurrency: int = Field(default=8, ge=1, le=200)  # jobs at once per worker process
    # A claimed job is leased this long, renewed every third of it while its handler runs:
    # a worker killed mid-job holds it until then, and another worker takes it over after.
    jobs_lock_seconds: float = Field(default=300.0, gt=0)
    # After start-up: freeze what lives as long as the process and raise the collector's
    # thresholds (gc_policy.py). Off in the test suite, which builds hundreds of apps.
    gc_freeze_after_start: bool = True

    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 11 * 1024 * 1024  # multipart bodies: one photo ≤ 10 MB plus the form
    media_dir: str = "./media"
    # Files for one person's eyes only (the data exports of requestMyDataExport): never under
    # media_dir, never served as static files; read only through signed links (/exports/…).
    private_dir: str = "./private"
    # Platform carriers: the postcodes each serves and its fee (JSON in the environment).
    carrier_zones: dict[str, dict[str, Any]] = {
        "LA_POSTE": {"postcode_prefixes": ["974"], "fee_cents": 590},
        "STUART": {"postcode_prefixes": ["97480", "97410", "97430"], "fee_cents": 790},
    }
    # Payments (Stripe). Without a key, development runs on the offline doubles (localstripe +
    # our Connect double, started by `otesaintjo serve`): no real money.
    stripe_api_key: str | None = None
    stripe_publishable_key: str | None = None  # pk_… given to front ends (platformInfo.payments)
    stripe_js_url: str = STRIPE_JS_URL  # the offline runner points it at its own Stripe.js
    stripe_api_base: str | None = None  # None: api.stripe.com
    stripe_connect_api_base: str | None = None  # accounts, files, transfers; None: the API base
    stripe_webhook_secrets: list[str] = []  # whsec_… of each endpoint sending to /webhooks/stripe
    stripe_offline: bool = False  # set by the offline runner: log loudly, never real money
    payment_method_types: list[str] = ["card"]  # add "paypal" once Stripe approved it
    commission_bp: int = Field(default=1000, ge=0, le=10_000)  # platform share of each order
    checkout_expiry_minutes: int = 30
    # How many days ahead (today included) a cart offers a merchant's delivery slots.
    delivery_slot_days: int = Field(default=14, ge=1, le=60)
    # Cache-Control of anonymous catalogue reads sent as GET with a persisted query hash:
    # 0 = "public, no-cache" (an HTTP cache keeps the answer and revalidates it with its
    # ETag each time: never stale); N > 0 = "public, max-age=N" (up to N s stale, no trip).
    http_cache_max_age_seconds: int = Field(default=0, ge=0, le=3600)
    response_cache: bool = True  # catalogue reads, exact invalidation (response_cache.py)
    # Apollo's automatic persisted queries: where registered documents live ("redis" to share
    # them between API processes, at redis_url), and the front end's trusted documents.
    persisted_queries: Literal["memory", "redis"] = "memory"
    trusted_documents: str | None = None  # a JSON manifest produced by the front end's build
    trusted_documents_only: bool = False  # run nothing but those (and the API's own pages)
    # Where clients' cost budgets and the throttles are counted: "redis" to share them between
    # API processes (at redis_url), "memory" for one process.
    rate_limits: Literal["memory", "redis"] = "memory"
    # A client's GraphQL budget (schema/cost.py): a bucket of nodes refilled every second.
    cost_budget: int = 60_000
    cost_refill_per_second: int = 2_000
    # The actions anyone can repeat to flood inboxes or probe accounts: at most N at once, then
    # N an hour, per client address ("ip") and per target (the address, the account, the shop).
    throttles_per_hour: dict[str, dict[str, int]] = {
        "register": {"ip": 10},
        "password_reset": {"ip": 10, "email": 3},
        "newsletter": {"ip": 10, "email": 3},
        "support": {"ip": 30, "user": 10},
        "kyc": {"ip": 30, "shop": 20},
        # requestMyDataExport: a burst guard; the real limit is 3 per account per 24 hours,
        # counted in the database (services/personal_data.py, EXPORTS_PER_DAY).
        "data_export": {"ip": 10, "user": 3},
    }
    workers: int = 1
    # HTTP requests computed at once per process; the others wait their turn in arrival order
    # (admission.py: the tail latency then stays near the median under load). 0: no limit.
    max_concurrent_requests: int = Field(default=8, ge=0, le=10_000)
    # The reverse proxies in front (IPs or CIDRs, as uvicorn's forwarded_allow_ips): only their
    # X-Forwarded-For is believed for the client's address (login throttles, rate limits).
    trusted_proxies: list[str] = []
    # GET /metrics: with a token, for `Authorization: Bearer <token>` only; without, loopback
    # clients in development, nobody in production (metrics.py).
    metrics_token: str | None = None
    event_bus: Literal["memory", "postgres", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # WebSockets: how often a live subscription re-checks its sign-in (logout, expiry).
    ws_session_check_seconds: float = 15.0
    ws_legacy_protocol: bool = False  # the old "graphql-ws" subprotocol (Apollo's, deprecated)
    # permessage-deflate on WebSockets: off, since each socket would keep ~41 KiB of zlib
    # contexts (40 % of an idle socket's memory) to compress pushes of a few hundred bytes.
    ws_per_message_deflate: bool = False
    # Keepalive pings on every WebSocket (uvicorn's): one per socket every so many seconds, and
    # a socket whose pong has not come back as long after is closed; 0 sends none. Keep it
    # below the idle timeout of the proxies in front (nginx: 60 s).
    ws_ping_seconds: float = 20.0

    # SMS to merchants: an HTTP gateway (JSON {"to", "text", "sender"} with a bearer token);
    # unset: the text is printed to the log.
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    sms_sender: str = "Otesaintjo"
    sms_disabled: bool = False  # production without a gateway must say so: no SMS at all

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def media_url(self) -> str:
        """Where the public files of ``media_dir`` are served (photos; never KYC documents)."""
        return f"{self.public_url.rstrip('/')}/media"

    @property
    def allowed_origins(self) -> list[str]:
        """The browser origins that may call the API, besides its own."""
        if self.cors_origins is not None:
            return self.cors_origins
        return [] if self.is_production else list(DEVELOPMENT_ORIGINS)

    @property
    def storefront_url(self) -> str:
        """Base of the customer links in messages (no trailing slash)."""
        return (self.frontend_url or "http://localhost:5173").rstrip("/")

    @property
    def database_dialect(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @field_validator("cors_origins")
    @classmethod
    def _origins_only(cls, origins: list[str] | None) -> list[str] | None:
        """``scheme://host[:port]`` each, never ``*``: tokens are bearer headers, and an
        allowed origin is a page we trust to hold them."""
        if origins is None:
            return None
        cleaned = []
        for origin in origins:
            parts = urlsplit(origin.strip())
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.path not in ("", "/")
                or parts.query
                or "*" in origin
            ):
                raise ValueError(
                    f"OTESAINTJO_CORS_ORIGINS: {origin!r} is not an origin like"
                    " https://boutique.example (no '*', no path)"
                )
            cleaned.append(f"{parts.scheme}://{parts.netloc}".lower())
        return cleaned

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.is_production and (
            self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "OTESAINTJO_SECRET_KEY must be set to a random value of at least 32 characters"
                " in production (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if self.is_production and not (
            self.stripe_api_key
            and self.stripe_webhook_secrets
            and (self.stripe_publishable_key or "").startswith("pk_")
        ):
            raise ValueError(
                "OTESAINTJO_STRIPE_API_KEY, OTESAINTJO_STRIPE_PUBLISHABLE_KEY (pk_…) and"
                " OTESAINTJO_STRIPE_WEBHOOK_SECRETS are required in production"
            )
        if self.is_production and not self.smtp_url:
            raise ValueError(
                "OTESAINTJO_SMTP_URL is required in production (emails carry sign-in links:"
                " they are never written to the log)"
            )
        if self.is_production and not (self.sms_gateway_url or self.sms_disabled):
            raise ValueError(
                "OTESAINTJO_SMS_GATEWAY_URL is required in production, or OTESAINTJO_SMS_DISABLED"
                "=true to send no SMS to merchants"
            )
        if self.is_production and not self.frontend_url:
            raise ValueError(
                "OTESAINTJO_FRONTEND_URL (the storefront's address, for the links in emails)"
                " is required in production"
            )
        if self.trusted_documents_only and not self.trusted_documents:
            raise ValueError("OTESAINTJO_TRUSTED_DOCUMENTS_ONLY needs OTESAINTJO_TRUSTED_DOCUMENTS")
        if self.event_bus == "postgres" and self.is_sqlite:
            raise ValueError("OTESAINTJO_EVENT_BUS=postgres needs a PostgreSQL database")
        if self.workers > 1 and self.event_bus == "memory":
            raise ValueError("the in-memory event bus needs a single worker (OTESAINTJO_WORKERS=1)")
        if self.workers > 1 and self.is_sqlite:
            raise ValueError("SQLite serves a single worker; use PostgreSQL for several")
        if self.jobs == "external" and self.is_sqlite:
            raise ValueError(
                "OTESAINTJO_JOBS=external needs PostgreSQL: on SQLite the API runs the jobs itself"
                " (one writer at a time)"
            )
        if self.jobs == "external" and self.event_bus == "memory":
            raise ValueError(
                "OTESAINTJO_JOBS=external needs OTESAINTJO_EVENT_BUS=postgres or redis: the API"
                " wakes the worker processes through it"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
