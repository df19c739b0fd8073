"""inbound; posting caps

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

``posting_cap``: what documents' postings have moved per cap key (a document line), counted
by the ledger writer in the transaction of the moves (``server.ledger.service.Cap``).

Inbound (issue 5): suppliers with contacts, qualification documents and price breaks;
purchase orders with lines and ASN pallets (SSCC); monthly purchasing budgets; receipts,
their scan records and quality checks. Products gain a fixed putaway bin, a purchasing
category and a minimum remaining shelf life. Quantities and money are BIGINT thousandths
(server/kit/quantity.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('posting_cap',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('used', sa.BigInteger(), nullable=False),
    sa.Column('updated_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('supplier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_terms', sa.String(length=100), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('supplier_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_supplier_contact_supplier_id'), 'supplier_contact', ['supplier_id'], unique=False)
    op.create_table('supplier_qualification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_supplier_qualification_supplier_id'), 'supplier_qualification', ['supplier_id'], unique=False)
    op.create_table('purchase_budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('warehouse_id', 'month', 'category', name='uq_purchase_budget')
    )
    op.create_index(op.f('ix_purchase_budget_warehouse_id'), 'purchase_budget', ['warehouse_id'], unique=False)
    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('budget_warning', sa.String(length=500), nullable=True),
    sa.Column('override_by', sa.Integer(), nullable=True),
    sa.Column('override_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('override_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['override_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_purchase_order_supplier_id'), 'purchase_order', ['supplier_id'], unique=False)
    op.create_index(op.f('ix_purchase_order_warehouse_id'), 'purchase_order', ['warehouse_id'], unique=False)
    op.create_table('purchase_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_order.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('po_id', 'product_id', name='uq_po_line_product')
    )
    op.create_index(op.f('ix_purchase_order_line_po_id'), 'purchase_order_line', ['po_id'], unique=False)
    op.create_table('purchase_order_sscc',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('sscc', sa.String(length=18), nullable=False),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sscc')
    )
    op.create_index(op.f('ix_purchase_order_sscc_po_id'), 'purchase_order_sscc', ['po_id'], unique=False)
    op.create_table('receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('dock_id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('opened_with', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['dock_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['opened_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_order.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_receipt_po_id'), 'receipt', ['po_id'], unique=False)
    op.create_index(op.f('ix_receipt_supplier_id'), 'receipt', ['supplier_id'], unique=False)
    op.create_index(op.f('ix_receipt_warehouse_id'), 'receipt', ['warehouse_id'], unique=False)
    op.create_table('supplier_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('min_qty', sa.BigInteger(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=True),
    sa.Column('supplier_sku', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supplier_id', 'product_id', 'min_qty', name='uq_supplier_price')
    )
    op.create_index(op.f('ix_supplier_price_product_id'), 'supplier_price', ['product_id'], unique=False)
    op.create_index(op.f('ix_supplier_price_supplier_id'), 'supplier_price', ['supplier_id'], unique=False)
    op.create_table('receipt_qc',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.String(length=64), nullable=True),
    sa.Column('lot_key', sa.String(length=64), nullable=False),
    sa.Column('accepted_qty', sa.BigInteger(), nullable=False),
    sa.Column('rejected_qty', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('checked_by', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('receipt_id', 'product_id', 'lot_key', name='uq_receipt_qc_line')
    )
    op.create_index(op.f('ix_receipt_qc_receipt_id'), 'receipt_qc', ['receipt_id'], unique=False)
    op.create_table('receipt_scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.String(length=64), nullable=True),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('flags', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    op.create_index(op.f('ix_receipt_scan_receipt_id'), 'receipt_scan', ['receipt_id'], unique=False)
    with op.batch_alter_table('product') as batch:
        batch.add_column(sa.Column('default_location_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('category', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('min_shelf_life_days', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            'fk_product_default_location_id', 'location', ['default_location_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('product') as batch:
        batch.drop_constraint('fk_product_default_location_id', type_='foreignkey')
        for name in ('min_shelf_life_days', 'category', 'default_location_id'):
            batch.drop_column(name)
    op.drop_index(op.f('ix_receipt_scan_receipt_id'), table_name='receipt_scan')
    op.drop_table('receipt_scan')
    op.drop_index(op.f('ix_receipt_qc_receipt_id'), table_name='receipt_qc')
    op.drop_table('receipt_qc')
    op.drop_index(op.f('ix_supplier_price_supplier_id'), table_name='supplier_price')
    op.drop_index(op.f('ix_supplier_price_product_id'), table_name='supplier_price')
    op.drop_table('supplier_price')
    op.drop_index(op.f('ix_receipt_warehouse_id'), table_name='receipt')
    op.drop_index(op.f('ix_receipt_supplier_id'), table_name='receipt')
    op.drop_index(op.f('ix_receipt_po_id'), table_name='receipt')
    op.drop_table('receipt')
    op.drop_index(op.f('ix_purchase_order_sscc_po_id'), table_name='purchase_order_sscc')
    op.drop_table('purchase_order_sscc')
    op.drop_index(op.f('ix_purchase_order_line_po_id'), table_name='purchase_order_line')
    op.drop_table('purchase_order_line')
    op.drop_index(op.f('ix_purchase_order_warehouse_id'), table_name='purchase_order')
    op.drop_index(op.f('ix_purchase_order_supplier_id'), table_name='purchase_order')
    op.drop_table('purchase_order')
    op.drop_index(op.f('ix_purchase_budget_warehouse_id'), table_name='purchase_budget')
    op.drop_table('purchase_budget')
    op.drop_index(op.f('ix_supplier_qualification_supplier_id'), table_name='supplier_qualification')
    op.drop_table('supplier_qualification')
    op.drop_index(op.f('ix_supplier_contact_supplier_id'), table_name='supplier_contact')
    op.drop_table('supplier_contact')
    op.drop_table('supplier')
    op.drop_table('posting_cap')
