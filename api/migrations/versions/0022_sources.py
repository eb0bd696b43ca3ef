"""sources: mailboxes (and help desks) a worker keeps up with, each with its checkpoint, health and lease

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = api.db.UTCDateTime(timezone=True)
    op.create_table(
        'sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=600), nullable=False),
        sa.Column('team', sa.String(length=100), nullable=False),
        sa.Column('config', sa.JSON(), nullable=False),
        sa.Column('credential_env', sa.String(length=200), nullable=True),
        sa.Column('checkpoint', sa.JSON(), nullable=False),
        sa.Column('created_at', when, nullable=False),
        sa.Column('next_poll_at', when, nullable=False),
        sa.Column('last_sync_at', when, nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('failing_since', when, nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('failing_reported', sa.Boolean(), nullable=False),
        sa.Column('last_report', sa.JSON(), nullable=False),
        sa.Column('stored', sa.Integer(), nullable=False),
        sa.Column('unmatched', sa.Integer(), nullable=False),
        sa.Column('errors', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('locked_by', sa.String(length=200), nullable=True),
        sa.Column('locked_until', when, nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sources_team', 'sources', ['team'])
    op.create_index('ix_sources_due', 'sources', ['next_poll_at'])


def downgrade() -> None:
    # The older schema knows no source.failing events: they and their delivery jobs go with the table.
    jobs = sa.table('jobs', sa.column('event_id'))
    events = sa.table('events', sa.column('id'), sa.column('type'))
    failing = sa.select(events.c.id).where(events.c.type == 'source.failing')
    op.execute(jobs.delete().where(jobs.c.event_id.in_(failing)))
    op.execute(events.delete().where(events.c.type == 'source.failing'))
    op.drop_index('ix_sources_due', table_name='sources')
    op.drop_index('ix_sources_team', table_name='sources')
    op.drop_table('sources')
