"""The SQLite triggers of migrations 0003 (search) and 0004 (catalogue version).

A SQLite *batch* migration recreates its table and drops that table's triggers: a later
migration altering ``shop`` or ``product`` calls these again after its batch block.
"""

# Table and column names below are our own constants, never input: S608 does not apply.
# ruff: noqa: S608
from __future__ import annotations

from alembic import op

SEARCH_COLUMNS = {
    "product": ("name", "description", "category"),
    "shop": ("name", "description", "town"),
}
BUMP = "UPDATE catalogue_state SET version = version + 1 WHERE id = 1"


def create_search_triggers(table: str) -> None:
    """Keep ``<table>_fts`` (FTS5, external content) in step with the table."""
    columns = SEARCH_COLUMNS[table]
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    fts = f"{table}_fts"
    op.execute(
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
        f" INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )


def create_bump_triggers(table: str) -> None:
    """Every write to ``table`` bumps the catalogue version (the response cache's key)."""
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_bump_{event.lower()} AFTER {event} ON {table}"
            f" BEGIN {BUMP}; END"
        )
