"""The Alembic history produces exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from otesaintjo.db import create_engine
from otesaintjo.migrations import include_object
from otesaintjo.models.base import metadata


async def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_object": include_object}
                    ),
                    metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diff == [], "models changed without a migration: add one with alembic revision"
