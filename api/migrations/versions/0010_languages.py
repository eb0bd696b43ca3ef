"""the language of each interaction and suggestion, and whether the model reads it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interactions') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('suggestions') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('unsupported_language', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('suggestions') as batch:
        batch.drop_column('unsupported_language')
        batch.drop_column('language')
    with op.batch_alter_table('interactions') as batch:
        batch.drop_column('language')
