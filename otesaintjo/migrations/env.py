"""Alembic environment: runs on a connection handed over by ``migrations.upgrade``, or builds
an async engine from ``sqlalchemy.url`` / ``OTESAINTJO_DATABASE_URL`` (alembic CLI use)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from otesaintjo import models  # noqa: F401 - registers every table
from otesaintjo.db import create_engine
from otesaintjo.migrations import include_object
from otesaintjo.models.base import metadata
from otesaintjo.settings import Settings

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    asyncio.run(_run_with_own_engine())
