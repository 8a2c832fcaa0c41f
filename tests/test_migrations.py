"""The Alembic history produces exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from otesaintjo.db import create_engine
from otesaintjo.migrations import include_object
from otesaintjo.migrations.sqlite_triggers import SEARCH_COLUMNS, VERSIONED_TABLES
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


async def test_every_table_keeps_its_triggers(database_url: str) -> None:
    """A later migration that copies a table (an Alembic *batch* on SQLite) silently drops its
    triggers: shop search would find nothing and the response cache would miss shop edits."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                rows = await connection.execute(
                    text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
                )
                expected = {
                    (table, f"{table}_fts_{event}")
                    for table in SEARCH_COLUMNS
                    for event in ("ai", "ad", "au")
                } | {
                    (table, f"{table}_version_{event}")
                    for table in VERSIONED_TABLES
                    for event in ("ai", "ad", "au")
                }
            else:
                rows = await connection.execute(
                    text(
                        "SELECT c.relname, t.tgname FROM pg_trigger t"
                        " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
                    )
                )
                expected = {(table, f"{table}_catalogue_note") for table in VERSIONED_TABLES}
            present = {(table, name) for table, name in rows.all()}
    finally:
        await engine.dispose()
    assert expected <= present, sorted(expected - present)
