"""rate limit counters (unlogged on PostgreSQL)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rate_limits',
                    sa.Column('key', sa.String(length=64), nullable=False),
                    sa.Column('window_start', sa.BigInteger(), nullable=False),
                    sa.Column('hits', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('key', 'window_start'))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_limits SET UNLOGGED")


def downgrade() -> None:
    op.drop_table('rate_limits')
