"""inbound; posting caps

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

``posting_cap``: what documents' postings have moved per cap key (a document line), counted
by the ledger writer in the transaction of the moves (``server.ledger.service.Cap``).
The purchasing and receiving tables come with issue 5.
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


def downgrade() -> None:
    op.drop_table('posting_cap')
