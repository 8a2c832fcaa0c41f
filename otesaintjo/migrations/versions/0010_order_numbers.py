"""order numbers: a code per shop, a human number per order, a per-shop counter

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 20:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from otesaintjo.migrations.sqlite_triggers import create_bump_triggers, create_search_triggers
from otesaintjo.services.order_numbers import code_candidates, format_number

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.create_table('shop_order_counter',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_shop_order_counter_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_shop_order_counter'))
    )

    # Existing shops get their code, existing orders their number (in id order per shop).
    connection = op.get_bind()
    taken: set[str] = set()
    for shop_id, name in connection.execute(sa.text('SELECT id, name FROM shop ORDER BY id')).all():
        code = next(c for c in code_candidates(name) if c not in taken)
        taken.add(code)
        connection.execute(sa.text('UPDATE shop SET order_code = :code WHERE id = :id'), {'code': code, 'id': shop_id})
        order_ids = connection.execute(
            sa.text('SELECT id FROM shop_order WHERE shop_id = :id ORDER BY id'), {'id': shop_id}
        ).scalars().all()
        for count, order_id in enumerate(order_ids, start=1):
            connection.execute(
                sa.text('UPDATE shop_order SET number = :number WHERE id = :id'),
                {'number': format_number(code, count), 'id': order_id},
            )
        if order_ids:
            connection.execute(
                sa.text('INSERT INTO shop_order_counter (shop_id, last_number) VALUES (:id, :n)'),
                {'id': shop_id, 'n': len(order_ids)},
            )

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.alter_column('order_code', existing_type=sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_shop_order_code'), ['order_code'])
    if connection.dialect.name == 'sqlite':  # the batch recreated ``shop``: its triggers too
        create_search_triggers('shop')
        create_bump_triggers('shop')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_shop_order_number'), ['number'])


def downgrade() -> None:
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shop_order_number'), type_='unique')
        batch_op.drop_column('number')
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shop_order_code'), type_='unique')
        batch_op.drop_column('order_code')
    op.drop_table('shop_order_counter')
