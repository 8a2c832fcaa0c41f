"""Migrations run on a database of their own: an empty one beside the test database, and the
way down to a revision (a test of a data migration goes up, checks, comes down, goes up)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from otesaintjo.db import create_engine
from otesaintjo.migrations import alembic_config


@asynccontextmanager
async def empty_database(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An empty database beside the test database (SQLite file, or PostgreSQL database)."""
    if database_url.startswith("sqlite"):
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'migration.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    name = f"otesaintjo_migration_{uuid.uuid4().hex[:12]}"
    base, _, _ = database_url.rpartition("/")
    server = base.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        engine = create_engine(f"{base}/{name}")
        try:
            yield engine
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
