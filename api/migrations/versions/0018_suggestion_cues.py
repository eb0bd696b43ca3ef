"""suggestions carry the risk and health cues found in their text (cues) and the strongest risk cue's score
(risk), which the queue weighs

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('suggestions') as batch:
        batch.add_column(sa.Column('cues', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column('risk', sa.Float(), nullable=False, server_default=sa.text('0')))


def downgrade() -> None:
    with op.batch_alter_table('suggestions') as batch:
        batch.drop_column('risk')
        batch.drop_column('cues')
