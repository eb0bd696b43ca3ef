"""risk signals per account, kept apart from the pulse

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 21:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signals',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=50), nullable=False),
                    sa.Column('value', sa.Float(), nullable=False),
                    sa.Column('source', sa.String(length=100), nullable=False),
                    sa.Column('at_risk', sa.Boolean(), nullable=False),
                    sa.Column('observed_at', api.db.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('created_by', sa.Integer(), nullable=False),
                    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['account_id'], ['accounts.id']),
                    sa.ForeignKeyConstraint(['created_by'], ['users.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_signals_account_id', 'signals', ['account_id'])
    op.create_index('ix_signals_observed_at', 'signals', ['observed_at'])


def downgrade() -> None:
    op.drop_index('ix_signals_observed_at', table_name='signals')
    op.drop_index('ix_signals_account_id', table_name='signals')
    op.drop_table('signals')
