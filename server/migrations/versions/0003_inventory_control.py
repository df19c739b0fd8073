"""inventory control

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Count sessions (with per-location snapshots, entries and lines), ABC count plans and tasks,
inter-warehouse transfers, reason-coded adjustments, alert states; product cost, maximum
stock and ABC class; location zones; and each warehouse's in-transit virtual location.
Quantities and money are BIGINT thousandths (server/kit/quantity.py).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('count_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('abc_class', sa.String(length=1), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('warehouse_id', 'abc_class', name='uq_count_plan')
    )
    op.create_table('adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=512), nullable=False),
    sa.Column('lot_number', sa.String(length=64), nullable=True),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=8), nullable=False),
    sa.Column('note', sa.String(length=150), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_adjustment_warehouse_id'), 'adjustment', ['warehouse_id'], unique=False)
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=128), nullable=True),
    sa.Column('open_key', sa.String(length=200), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=True),
    sa.Column('threshold', sa.BigInteger(), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key')
    )
    op.create_index(op.f('ix_alert_kind'), 'alert', ['kind'], unique=False)
    op.create_index(op.f('ix_alert_warehouse_id'), 'alert', ['warehouse_id'], unique=False)
    op.create_table('count_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('scope', sa.String(length=500), nullable=False),
    sa.Column('product_ids', sa.String(length=4000), nullable=False),
    sa.Column('threshold_qty', sa.BigInteger(), nullable=False),
    sa.Column('threshold_value', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_count_session_warehouse_id'), 'count_session', ['warehouse_id'], unique=False)
    op.create_table('transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('from_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('to_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['from_warehouse_id'], ['warehouse.id'], ),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_transfer_from_warehouse_id'), 'transfer', ['from_warehouse_id'], unique=False)
    op.create_index(op.f('ix_transfer_to_warehouse_id'), 'transfer', ['to_warehouse_id'], unique=False)
    op.create_table('count_location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('snapshot_seq', sa.BigInteger(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_seq', sa.BigInteger(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['counter_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['count_session.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'location_id', name='uq_count_location')
    )
    op.create_index(op.f('ix_count_location_session_id'), 'count_location', ['session_id'], unique=False)
    op.create_table('count_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('abc_class', sa.String(length=1), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('open_key', sa.String(length=64), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['count_session.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key')
    )
    op.create_index(op.f('ix_count_task_warehouse_id'), 'count_task', ['warehouse_id'], unique=False)
    op.create_table('transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.String(length=64), nullable=True),
    sa.Column('planned_qty', sa.BigInteger(), nullable=True),
    sa.Column('shipped_qty', sa.BigInteger(), nullable=False),
    sa.Column('received_qty', sa.BigInteger(), nullable=False),
    sa.Column('short_qty', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_transfer_line_transfer_id'), 'transfer_line', ['transfer_id'], unique=False)
    op.create_table('count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('count_location_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('lot_number', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('book_qty', sa.BigInteger(), nullable=False),
    sa.Column('counted_qty', sa.BigInteger(), nullable=False),
    sa.Column('scanned', sa.Boolean(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=True),
    sa.Column('counted_seq', sa.BigInteger(), nullable=True),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expected_qty', sa.BigInteger(), nullable=True),
    sa.Column('variance', sa.BigInteger(), nullable=True),
    sa.Column('variance_value', sa.BigInteger(), nullable=True),
    sa.Column('moved_during_count', sa.Boolean(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['count_location_id'], ['count_location.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['count_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_count_line_count_location_id'), 'count_line', ['count_location_id'], unique=False)
    op.create_index(op.f('ix_count_line_session_id'), 'count_line', ['session_id'], unique=False)
    op.create_table('count_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('replace', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['count_line.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    op.create_index(op.f('ix_count_entry_line_id'), 'count_entry', ['line_id'], unique=False)
    with op.batch_alter_table('location') as batch:
        batch.add_column(sa.Column('zone', sa.String(length=32), nullable=True))
        batch.create_index('ix_location_zone', ['zone'], unique=False)
    with op.batch_alter_table('product') as batch:
        batch.add_column(sa.Column('max_stock', sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column('unit_cost', sa.BigInteger(), nullable=False, server_default='0')
        )
        batch.add_column(sa.Column('abc_class', sa.String(length=1), nullable=True))

    # Every warehouse gets an in-transit location, as new ones do (catalog service).
    conn = op.get_bind()
    warehouse = sa.table('warehouse', sa.column('id', sa.Integer()), sa.column('code', sa.String()))
    location = sa.table(
        'location',
        sa.column('warehouse_id', sa.Integer()),
        sa.column('code', sa.String()),
        sa.column('kind', sa.String()),
        sa.column('active', sa.Boolean()),
        sa.column('created_at', sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    rows = [
        {'warehouse_id': w.id, 'code': f'{w.code}:TRANSIT', 'kind': 'in-transit',
         'active': True, 'created_at': now}
        for w in conn.execute(sa.select(warehouse.c.id, warehouse.c.code))
    ]
    if rows:
        op.bulk_insert(location, rows)

def downgrade() -> None:
    op.execute("DELETE FROM location WHERE kind = 'in-transit'")
    with op.batch_alter_table('product') as batch:
        for name in ('abc_class', 'unit_cost', 'max_stock'):
            batch.drop_column(name)
    with op.batch_alter_table('location') as batch:
        batch.drop_index('ix_location_zone')
        batch.drop_column('zone')
    op.drop_index(op.f('ix_count_entry_line_id'), table_name='count_entry')
    op.drop_table('count_entry')
    op.drop_index(op.f('ix_count_line_session_id'), table_name='count_line')
    op.drop_index(op.f('ix_count_line_count_location_id'), table_name='count_line')
    op.drop_table('count_line')
    op.drop_index(op.f('ix_transfer_line_transfer_id'), table_name='transfer_line')
    op.drop_table('transfer_line')
    op.drop_index(op.f('ix_count_task_warehouse_id'), table_name='count_task')
    op.drop_table('count_task')
    op.drop_index(op.f('ix_count_location_session_id'), table_name='count_location')
    op.drop_table('count_location')
    op.drop_index(op.f('ix_transfer_to_warehouse_id'), table_name='transfer')
    op.drop_index(op.f('ix_transfer_from_warehouse_id'), table_name='transfer')
    op.drop_table('transfer')
    op.drop_index(op.f('ix_count_session_warehouse_id'), table_name='count_session')
    op.drop_table('count_session')
    op.drop_index(op.f('ix_alert_warehouse_id'), table_name='alert')
    op.drop_index(op.f('ix_alert_kind'), table_name='alert')
    op.drop_table('alert')
    op.drop_index(op.f('ix_adjustment_warehouse_id'), table_name='adjustment')
    op.drop_table('adjustment')
    op.drop_table('count_plan')
