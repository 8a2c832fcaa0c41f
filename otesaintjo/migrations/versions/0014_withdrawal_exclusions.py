"""goods excluded from withdrawal (Code de la consommation L221-28), on products and order lines

``product.withdrawal_exclusion``: null (returnable) or the reason of L221-28 the customer is
told before buying; existing products get the default of their category, then of their shop's
categories (the lists below are those of ``services/withdrawal_exclusions.py`` today, frozen
here). ``order_line.withdrawal_exclusion``: copied at checkout; the lines sold before stay null
(returnable): nobody was told otherwise when they were bought.

On SQLite, ``product_version_au_listing`` names every product column but ``stock`` (migration
0012): it is re-created once the column exists, and dropped before the column goes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:00:00
"""

# The category lists below are our own constants, never input: S608 does not apply.
# ruff: noqa: S608
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from otesaintjo.migrations.sqlite_triggers import create_version_triggers, drop_version_triggers

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERISHABLE = (
    "boulangerie",
    "patisserie",
    "patisseries",
    "boulangerie-patisserie",
    "viennoiserie",
    "viennoiseries",
    "boucherie",
    "charcuterie",
    "boucherie-charcuterie",
    "volaille",
    "volailles",
    "poissonnerie",
    "maree",
    "primeur",
    "fruits-et-legumes",
    "fruits-legumes",
    "fleuriste",
    "fleurs",
    "traiteur",
    "fromagerie",
    "cremerie",
)
PRESS = (
    "presse",
    "journaux",
    "magazines",
    "librairie-presse",
    "maison-de-la-presse",
    "tabac-presse",
)


def _in(categories: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{c}'" for c in categories) + ")"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # add_column needs no batch on SQLite: the product's other triggers stay.
    op.add_column(
        "product",
        sa.Column(
            "withdrawal_exclusion", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
        ),
    )
    op.add_column(
        "order_line",
        sa.Column(
            "withdrawal_exclusion", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
        ),
    )
    if sqlite:
        drop_version_triggers("product")
        create_version_triggers("product")
    # The product's own category first, then its shop's (perishable before press).
    for exclusion, condition in (
        ("PERISHABLE", f"category IN {_in(PERISHABLE)}"),
        ("PRESS", f"category IN {_in(PRESS)}"),
        (
            "PERISHABLE",
            f"shop_id IN (SELECT shop_id FROM shop_category WHERE category IN {_in(PERISHABLE)})",
        ),
        (
            "PRESS",
            f"shop_id IN (SELECT shop_id FROM shop_category WHERE category IN {_in(PRESS)})",
        ),
    ):
        op.execute(
            f"UPDATE product SET withdrawal_exclusion = '{exclusion}'"
            f" WHERE withdrawal_exclusion IS NULL AND {condition}"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # SQLite refuses to drop a column a trigger names
        drop_version_triggers("product")
    # SQLite 3.35+ drops a column in place: no batch copy, the search triggers stay.
    op.drop_column("product", "withdrawal_exclusion")
    op.drop_column("order_line", "withdrawal_exclusion")
    if sqlite:
        create_version_triggers("product")
