"""device health, as the dock agent reports it

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('device') as batch:
        batch.add_column(sa.Column('health_state', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('health_error', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('last_read_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column('outbox_depth', sa.Integer(), nullable=False, server_default='0')
        )
        batch.add_column(
            sa.Column('dead_letters', sa.Integer(), nullable=False, server_default='0')
        )
        batch.add_column(sa.Column('health_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('device') as batch:
        for name in ('health_at', 'dead_letters', 'outbox_depth', 'last_read_at',
                     'health_error', 'health_state'):
            batch.drop_column(name)
