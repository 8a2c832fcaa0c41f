"""outbox claims: who holds a job (the fence of its outcome), and the dead letters' index

``claimed_by`` takes a token per claim (``host:pid:random``): a worker writes a job's outcome
only while the token is still its own, so a worker that lost its lease (killed, frozen, cut
from the database) can never overwrite what the next one did. ``ix_job_failed`` keeps the
dead letters (``failed_at`` set) findable among millions of done jobs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'job', sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
    )
    # Building it blocks writes to ``job`` for as long as it reads the table. Where that table
    # is large, create it beforehand without blocking, and this step finds it there:
    #   CREATE INDEX CONCURRENTLY ix_job_failed ON job (id) WHERE failed_at IS NOT NULL;
    op.create_index(
        'ix_job_failed',
        'job',
        ['id'],
        postgresql_where=sa.text('failed_at IS NOT NULL'),
        sqlite_where=sa.text('failed_at IS NOT NULL'),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index('ix_job_failed', table_name='job')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
