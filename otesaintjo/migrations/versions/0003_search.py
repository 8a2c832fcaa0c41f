"""full-text search on products and shops (French, accents ignored)

SQLite: FTS5 external-content tables kept in sync by triggers (``remove_diacritics 2``).
PostgreSQL: a ``fr_unaccent`` configuration (french stemming after unaccent) and a generated
``search_vector`` column with a GIN index. Autogenerate cannot see either: see
``migrations.include_object``. Beware: a later SQLite *batch* migration of ``product`` or
``shop`` recreates the table and drops these triggers; re-create them in that migration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from otesaintjo.migrations.sqlite_triggers import SEARCH_COLUMNS, create_search_triggers

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = SEARCH_COLUMNS
WEIGHTS = ("A", "B", "C")


def _sqlite_upgrade(table: str, columns: tuple[str, ...]) -> None:
    cols = ", ".join(columns)
    fts = f"{table}_fts"
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id',"
        " tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(f"INSERT INTO {fts}(rowid, {cols}) SELECT id, {cols} FROM {table}")
    create_search_triggers(table)


def _postgres_vector(columns: tuple[str, ...]) -> str:
    return " || ".join(
        f"setweight(to_tsvector('fr_unaccent'::regconfig, coalesce({c}, '')), '{w}')"
        for c, w in zip(columns, WEIGHTS, strict=True)
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, columns in INDEXED.items():
            _sqlite_upgrade(table, columns)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION fr_unaccent"
        " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
    )
    for table, columns in INDEXED.items():
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector"
            f" GENERATED ALWAYS AS ({_postgres_vector(columns)}) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in INDEXED:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        return
    for table in INDEXED:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent")
