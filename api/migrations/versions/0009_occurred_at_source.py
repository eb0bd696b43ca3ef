"""where an interaction's time came from (a Date header, a Received header, the file, the import)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interactions') as batch:
        batch.add_column(sa.Column('occurred_at_source', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('interactions') as batch:
        batch.drop_column('occurred_at_source')
