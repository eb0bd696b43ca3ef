"""withdrawals: a decision (or check answer) taken back soon after by the person who made it

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'withdrawals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('withdrawn_id', sa.Integer(), nullable=False),
        sa.Column('suggestion_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['suggestion_id'], ['suggestions.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('withdrawn_id'),
    )
    op.create_index(op.f('ix_withdrawals_suggestion_id'), 'withdrawals', ['suggestion_id'], unique=False)


def downgrade() -> None:
    # A withdrawn decision has no head; without the record of its withdrawal it would look like a lost head,
    # so the older schema gets its head back (the decision stands again, as it did before the withdrawal).
    heads = sa.table('decision_heads', sa.column('suggestion_id'), sa.column('decision_id'))
    decisions = sa.table('decisions', sa.column('id'), sa.column('suggestion_id'), sa.column('revision'))
    withdrawals = sa.table('withdrawals', sa.column('withdrawn_id'))
    latest = (sa.select(decisions.c.suggestion_id, sa.func.max(decisions.c.revision).label('revision'))
              .group_by(decisions.c.suggestion_id).subquery())
    restored = (sa.select(decisions.c.suggestion_id, decisions.c.id)
                .join(latest, sa.and_(latest.c.suggestion_id == decisions.c.suggestion_id,
                                      latest.c.revision == decisions.c.revision))
                .where(decisions.c.id.in_(sa.select(withdrawals.c.withdrawn_id)))
                .where(~decisions.c.suggestion_id.in_(sa.select(heads.c.suggestion_id))))
    op.execute(heads.insert().from_select(['suggestion_id', 'decision_id'], restored))
    op.drop_index(op.f('ix_withdrawals_suggestion_id'), table_name='withdrawals')
    op.drop_table('withdrawals')
