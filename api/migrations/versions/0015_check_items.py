"""check items re-served to CSMs (checks, check_answers, suggestions.check_id/served_to), the server's own
serving times (servings) and decision timing by the server's clock (decisions.server_ms)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 23:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checks',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('interaction_id', sa.Integer(), nullable=False),
                    sa.Column('suggestion_id', sa.Integer(), nullable=False),
                    sa.Column('account_id', sa.Integer(), nullable=False),
                    sa.Column('team', sa.String(length=100), nullable=False),
                    sa.Column('label', sa.String(length=8), nullable=False),
                    sa.Column('note', sa.Text(), nullable=True),
                    sa.Column('created_by', sa.Integer(), nullable=False),
                    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('retired_at', api.db.UTCDateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['account_id'], ['accounts.id']),
                    sa.ForeignKeyConstraint(['created_by'], ['users.id']),
                    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('interaction_id'))
    op.create_index('ix_checks_account_id', 'checks', ['account_id'])
    op.create_index('ix_checks_team', 'checks', ['team'])
    with op.batch_alter_table('suggestions') as batch:
        batch.add_column(sa.Column('check_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('served_to', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_suggestions_check_id_checks', 'checks', ['check_id'], ['id'])
        batch.create_foreign_key('fk_suggestions_served_to_users', 'users', ['served_to'], ['id'])
        batch.create_index('ix_suggestions_check_id', ['check_id'])
    op.create_table('check_answers',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('check_id', sa.Integer(), nullable=False),
                    sa.Column('suggestion_id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('label', sa.String(length=8), nullable=False),
                    sa.Column('point', sa.String(length=60), nullable=True),
                    sa.Column('sentiment_reason', sa.String(length=100), nullable=True),
                    sa.Column('override_reason', sa.String(length=100), nullable=True),
                    sa.Column('note', sa.Text(), nullable=True),
                    sa.Column('agreed_label', sa.String(length=8), nullable=False),
                    sa.Column('shown_label', sa.String(length=8), nullable=False),
                    sa.Column('decoy', sa.Boolean(), nullable=False),
                    sa.Column('blind', sa.Boolean(), nullable=False),
                    sa.Column('viewed_ms', sa.Integer(), nullable=True),
                    sa.Column('server_ms', sa.Integer(), nullable=True),
                    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
                    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['check_id'], ['checks.id']),
                    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestions.id']),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('user_id', 'idempotency_key', name='uq_check_answers_user_idempotency_key'))
    op.create_index('ix_check_answers_check_id', 'check_answers', ['check_id'])
    op.create_index('ix_check_answers_suggestion_id', 'check_answers', ['suggestion_id'])
    op.create_index('ix_check_answers_user_id', 'check_answers', ['user_id'])
    op.create_table('servings',
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('suggestion_id', sa.Integer(), nullable=False),
                    sa.Column('served_at', api.db.UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestions.id']),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
                    sa.PrimaryKeyConstraint('user_id', 'suggestion_id'))
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('server_ms', sa.Integer(), nullable=True))
    op.create_index('ix_decisions_user_id_created_at', 'decisions', ['user_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_decisions_user_id_created_at', table_name='decisions')
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('server_ms')
    op.drop_table('servings')
    op.drop_index('ix_check_answers_user_id', table_name='check_answers')
    op.drop_index('ix_check_answers_suggestion_id', table_name='check_answers')
    op.drop_index('ix_check_answers_check_id', table_name='check_answers')
    op.drop_table('check_answers')
    with op.batch_alter_table('suggestions') as batch:
        batch.drop_index('ix_suggestions_check_id')
        batch.drop_constraint('fk_suggestions_served_to_users', type_='foreignkey')
        batch.drop_constraint('fk_suggestions_check_id_checks', type_='foreignkey')
        batch.drop_column('served_to')
        batch.drop_column('check_id')
    op.drop_index('ix_checks_team', table_name='checks')
    op.drop_index('ix_checks_account_id', table_name='checks')
    op.drop_table('checks')
