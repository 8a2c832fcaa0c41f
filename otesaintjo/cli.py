"""``otesaintjo serve | worker | migrate | seed | export-schema | retention | grant-staff``."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from types import FrameType

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import update

from otesaintjo.clock import utcnow
from otesaintjo.db import create_engine, create_session_factory, unit_of_work
from otesaintjo.migrations import upgrade
from otesaintjo.models import User
from otesaintjo.payments.offline.processes import OfflineStripe
from otesaintjo.settings import Settings, get_settings
from otesaintjo.storage import LocalDirStore
from otesaintjo.ws_keepalive import UVICORN_WS

app = typer.Typer(
    help="Otesaintjo — l'API GraphQL des commerces de Saint-Joseph.", no_args_is_help=True
)
SCHEMA_FILE = Path("schema.graphql")


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        # The messages only: pydantic's own text repeats the values given (secrets included).
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        typer.secho(f"Configuration refusée : {reasons}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


async def _migrate_and_seed(settings: Settings, *, seed_demo: bool, scale: int = 0) -> None:
    from otesaintjo.seed import seed, seed_scale
    from otesaintjo.services import retention

    engine = create_engine(settings.database_url)
    store = LocalDirStore(Path(settings.media_dir), settings.media_url)
    try:
        await upgrade(engine)
        # The daily purge of what is no longer needed (services/retention.py), if not pending.
        await retention.ensure_scheduled(create_session_factory(engine), utcnow())
        if not seed_demo:
            return
        accounts = await seed(create_session_factory(engine), store)
        if scale:
            with typer.progressbar(length=scale, label="Catalogue de test") as bar:
                added = await seed_scale(
                    create_session_factory(engine), store, scale, progress=bar.update
                )
            typer.echo(f"{added} produits ajoutés dans {scale} boutiques.")
        typer.echo("Comptes de démonstration :")
        for account in accounts:
            typer.echo(f"  {account.role:<11} {account.email}  /  {account.password}")
    finally:
        await engine.dispose()


WORKER_HEALTHCHECK_SECONDS = 60


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Adresse d'écoute."),
    port: int = typer.Option(8000, help="Port d'écoute."),
    workers: int = typer.Option(1, help="Processus uvicorn (plusieurs : PostgreSQL requis)."),
) -> None:
    """Start the API. On the embedded default (SQLite, development) it migrates and seeds first."""
    settings = _settings(workers=workers)
    if settings.is_sqlite and not settings.is_production:
        asyncio.run(_migrate_and_seed(settings, seed_demo=True))
    offline = _start_offline_payments(settings, host, port)
    typer.echo(f"GraphQL : http://{host}:{port}/graphql")
    # uvicorn catches SIGTERM, shuts down, then raises it again with this handler restored:
    # exiting through SystemExit runs the ``finally`` below, as Ctrl+C (SIGINT) already does.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(
            "otesaintjo.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # X-Forwarded-For is believed only from the proxies named in the settings.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=settings.trusted_proxies or None,
            server_header=False,
            ws=UVICORN_WS,  # keepalive pings by one sweep per process (ws_keepalive)
            ws_per_message_deflate=settings.ws_per_message_deflate,
            ws_ping_interval=settings.ws_ping_seconds or None,
            ws_ping_timeout=settings.ws_ping_seconds or None,
            log_level="info",
            # A worker must answer the supervisor's ping within this: its start-up (imports,
            # the schema) took over uvicorn's 5 s on a busy machine, and the worker was killed
            # and restarted in a loop, never serving.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        if offline is not None:
            offline.stop()


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _start_offline_payments(settings: Settings, host: str, port: int) -> OfflineStripe | None:
    """Development without a Stripe key: localstripe + the Connect double, no real money.

    Their addresses reach the app (and its workers) through the environment."""
    if settings.stripe_api_key or settings.is_production:
        return None
    try:
        offline = OfflineStripe.start()
    except RuntimeError as exc:
        typer.secho(f"Paiements indisponibles : {exc}", fg=typer.colors.YELLOW, err=True)
        return None
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    offline.register_webhook(f"http://{local_host}:{port}/webhooks/stripe")
    os.environ.update(offline.environment())
    get_settings.cache_clear()
    typer.secho(
        "Paiements HORS LIGNE (localstripe + double Connect) : aucun argent réel."
        f" Stripe simulé sur {offline.api_base}",
        fg=typer.colors.YELLOW,
    )
    return offline


@app.command()
def worker(
    concurrency: int | None = typer.Option(
        None,
        min=1,
        help="Tâches exécutées à la fois (défaut : OTESAINTJO_WORKER_CONCURRENCY, 8).",
    ),
) -> None:
    """Run the outbox (emails, SMS, transfers, refunds, expiry, alerts) in its own process,
    several jobs at once, until SIGTERM or Ctrl+C. PostgreSQL only; give the API processes
    OTESAINTJO_JOBS=external so that they stop running jobs and wake this one instead."""
    from otesaintjo.worker_process import refusal, run_worker

    settings = _settings(**({"worker_concurrency": concurrency} if concurrency else {}))
    refused = refusal(settings)
    if refused:
        typer.secho(refused, fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    asyncio.run(run_worker(settings, on_ready=lambda line: typer.echo(line)))


@app.command()
def migrate() -> None:
    """Apply the database migrations (Alembic) up to the latest."""
    asyncio.run(_migrate_and_seed(_settings(), seed_demo=False))
    typer.echo("Base de données à jour.")


@app.command("seed")
def seed_command(
    scale: int = typer.Option(
        0,
        help="Ajouter N boutiques × 100 produits (bancs d'essai) ; avec --towns, N boutiques"
        " × 50 produits sur toute l'île.",
    ),
    towns: bool = typer.Option(
        False,
        "--towns",
        help="Toute l'île : les 24 communes de La Réunion, N boutiques réparties selon la"
        " population, 50 produits en moyenne chacune, photos partagées, promotions, avis"
        " (COPY sur PostgreSQL). Une fois par base : refusé si l'île y est déjà.",
    ),
) -> None:
    """Migrate, then create the demo town (idempotent); --scale adds a large catalogue,
    --scale N --towns the whole island (--scale 20000 --towns: 20,000 shops, 1,000,000
    products)."""
    settings = _settings()
    if towns and scale < 1:
        typer.secho(
            "--towns demande --scale N (ex. --scale 20000 : 20 000 boutiques, 1 000 000 de"
            " produits).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    asyncio.run(_migrate_and_seed(settings, seed_demo=True, scale=0 if towns else scale))
    if not towns:
        return
    import time

    from otesaintjo.seeding import IslandAlreadySeeded, IslandSummary, seed_island
    from otesaintjo.seeding.console import console_progress

    async def island() -> IslandSummary:
        engine = create_engine(settings.database_url)
        store = LocalDirStore(Path(settings.media_dir), settings.media_url)
        try:
            with console_progress() as progress:
                return await seed_island(engine, store, scale, progress=progress)
        finally:
            await engine.dispose()

    started = time.monotonic()
    try:
        summary = asyncio.run(island())
    except IslandAlreadySeeded as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"L'île : {summary.shops} boutiques dans {summary.communes} communes,"
        f" {summary.products} produits, en {time.monotonic() - started:.0f} s."
    )
    for table, count in summary.rows.items():
        typer.echo(f"  {table:<18} {count:>9}")


@app.command("export-schema")
def export_schema(output: Path = typer.Option(SCHEMA_FILE, help="Fichier SDL à écrire.")) -> None:
    """Write the GraphQL SDL (checked in as schema.graphql; a test compares it with the code)."""
    from otesaintjo.graphql_schema import build_schema

    output.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    typer.echo(f"Schéma écrit dans {output}")


@app.command("retention")
def retention_command() -> None:
    """Purge now what the retention rules say is no longer needed (old carts, sessions,
    tokens, throttle rows, done jobs, closed tickets, expired exports: services/retention.py),
    and schedule the daily job if it is not. The daily job does the same each night."""
    from otesaintjo.services import retention

    async def run() -> dict[str, int]:
        settings = _settings()
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        try:
            now = utcnow()
            await retention.ensure_scheduled(factory, now)
            private = LocalDirStore(Path(settings.private_dir), settings.public_url)
            return await retention.purge(factory, private, now)
        finally:
            await engine.dispose()

    for rule, count in asyncio.run(run()).items():
        typer.echo(f"  {rule:<24} {count:>8}")


@app.command("grant-staff")
def grant_staff(email: str, revoke: bool = typer.Option(False, help="Retirer le rôle.")) -> None:
    """Give (or take back) the platform staff role. Never possible through the API."""

    async def run() -> int:
        settings = _settings()
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                result = await session.execute(
                    update(User)
                    .where(User.email == email.strip().lower())
                    .values(is_staff=not revoke)
                )
                return int(result.rowcount)  # type: ignore[attr-defined]
        finally:
            await engine.dispose()

    if asyncio.run(run()) != 1:
        typer.secho(f"Aucun compte pour {email}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo(f"{email} : personnel = {not revoke}")


if __name__ == "__main__":
    app()
