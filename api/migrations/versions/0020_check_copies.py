"""a check item's copy keeps its check and person in a table of its own (check_copies), so that suggestions
point at nothing of checks and no reader of suggestions filters on check columns

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _suggestions() -> sa.TableClause:
    return sa.table('suggestions', sa.column('id'), sa.column('check_id'), sa.column('served_to'))


def _copies() -> sa.TableClause:
    return sa.table('check_copies', sa.column('suggestion_id'), sa.column('check_id'), sa.column('served_to'))


def upgrade() -> None:
    op.create_table(
        'check_copies',
        sa.Column('suggestion_id', sa.Integer(), nullable=False),
        sa.Column('check_id', sa.Integer(), nullable=False),
        sa.Column('served_to', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['check_id'], ['checks.id']),
        sa.ForeignKeyConstraint(['served_to'], ['users.id']),
        sa.ForeignKeyConstraint(['suggestion_id'], ['suggestions.id']),
        sa.PrimaryKeyConstraint('suggestion_id'),
    )
    op.create_index('ix_check_copies_check_id', 'check_copies', ['check_id'])
    op.create_index('ix_check_copies_served_to', 'check_copies', ['served_to'])
    suggestions, copies = _suggestions(), _copies()
    # Every copy was made with both columns set (api.checks.service.copy).
    op.execute(copies.insert().from_select(
        ['suggestion_id', 'check_id', 'served_to'],
        sa.select(suggestions.c.id, suggestions.c.check_id, suggestions.c.served_to)
        .where(suggestions.c.check_id.is_not(None), suggestions.c.served_to.is_not(None))
        .order_by(suggestions.c.id)))
    with op.batch_alter_table('suggestions') as batch:
        batch.drop_index('ix_suggestions_check_id')
        batch.drop_constraint('fk_suggestions_served_to_users', type_='foreignkey')
        batch.drop_constraint('fk_suggestions_check_id_checks', type_='foreignkey')
        batch.drop_column('served_to')
        batch.drop_column('check_id')


def downgrade() -> None:
    with op.batch_alter_table('suggestions') as batch:
        batch.add_column(sa.Column('check_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('served_to', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_suggestions_check_id_checks', 'checks', ['check_id'], ['id'])
        batch.create_foreign_key('fk_suggestions_served_to_users', 'users', ['served_to'], ['id'])
        batch.create_index('ix_suggestions_check_id', ['check_id'])
    suggestions, copies = _suggestions(), _copies()
    for column in ('check_id', 'served_to'):
        op.execute(suggestions.update().values({column: sa.select(copies.c[column])
                                                .where(copies.c.suggestion_id == suggestions.c.id)
                                                .scalar_subquery()}))
    op.drop_index('ix_check_copies_served_to', table_name='check_copies')
    op.drop_index('ix_check_copies_check_id', table_name='check_copies')
    op.drop_table('check_copies')
