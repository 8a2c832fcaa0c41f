"""shop names: the skeleton of each name, unique (no look-alike shop names)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 21:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from otesaintjo.services.shop_names import skeleton

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # add_column and create_index need no batch on SQLite: the shop's triggers stay.
    op.add_column('shop', sa.Column('name_skeleton', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
    connection = op.get_bind()
    seen: set[str] = set()
    for shop_id, name in connection.execute(sa.text('SELECT id, name FROM shop ORDER BY id')).all():
        value = skeleton(name)
        if value in seen:  # two existing shops already look alike: both keep their names
            value = f'{value}#{shop_id}'
        seen.add(value)
        connection.execute(
            sa.text('UPDATE shop SET name_skeleton = :value WHERE id = :id'), {'value': value, 'id': shop_id}
        )
    op.create_index('ix_shop_name_skeleton', 'shop', ['name_skeleton'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_shop_name_skeleton', table_name='shop')
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('name_skeleton')
