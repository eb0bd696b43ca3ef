"""an event may concern no account (model.challenger_ready: a challenger adapted from confirmed labels is ready)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Events about no account (model events) cannot stay in the older shape; their delivery jobs go with them.
    jobs = sa.table('jobs', sa.column('event_id'))
    events = sa.table('events', sa.column('id'), sa.column('account_id'))
    op.execute(jobs.delete().where(jobs.c.event_id.in_(sa.select(events.c.id).where(events.c.account_id.is_(None)))))
    op.execute(events.delete().where(events.c.account_id.is_(None)))
    with op.batch_alter_table('events') as batch:
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
