"""context with a pulse update: tags and the lifecycle stage on the decision, to-dos on the account

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 21:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('tags', sa.JSON(), server_default='[]', nullable=False))
        batch.add_column(sa.Column('lifecycle_stage', sa.String(length=50), nullable=True))
    op.create_table('todos',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('decision_id', sa.Integer(), nullable=True),
                    sa.Column('title', sa.String(length=300), nullable=False),
                    sa.Column('owner_id', sa.Integer(), nullable=False),
                    sa.Column('due_on', sa.Date(), nullable=False),
                    sa.Column('created_by', sa.Integer(), nullable=False),
                    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('done_at', api.db.UTCDateTime(timezone=True), nullable=True),
                    sa.Column('done_by', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['account_id'], ['accounts.id']),
                    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id']),
                    sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
                    sa.ForeignKeyConstraint(['created_by'], ['users.id']),
                    sa.ForeignKeyConstraint(['done_by'], ['users.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_todos_account_id', 'todos', ['account_id'])
    op.create_index('ix_todos_owner_id', 'todos', ['owner_id'])


def downgrade() -> None:
    op.drop_index('ix_todos_owner_id', table_name='todos')
    op.drop_index('ix_todos_account_id', table_name='todos')
    op.drop_table('todos')
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('lifecycle_stage')
        batch.drop_column('tags')
