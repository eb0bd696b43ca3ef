"""webhook endpoints may receive Slack or Microsoft Teams messages instead of the signed JSON event

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 22:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.add_column(sa.Column('format', sa.String(length=16), server_default='pulse', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.drop_column('format')
