"""shadow predictions move out of suggestions into a table of their own (shadow_predictions), so that no
reader of suggestions has to filter them out

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns both tables hold, copied as they are.
SHARED = ('account_id', 'interaction_id', 'label', 'p_red', 'p_yellow', 'p_green', 'confidence', 'margin',
          'model_version', 'explanation', 'cues', 'risk', 'created_at', 'language', 'unsupported_language')


def _suggestions() -> sa.TableClause:
    columns = ('id', 'scope', 'blind', 'superseded_by_id', *SHARED)
    return sa.table('suggestions', *(sa.column(name) for name in columns), sa.column('shadow', sa.Boolean()))


def _shadows() -> sa.TableClause:
    return sa.table('shadow_predictions', *(sa.column(name) for name in SHARED))


def upgrade() -> None:
    op.create_table(
        'shadow_predictions',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('interaction_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=8), nullable=False),
        sa.Column('p_red', sa.Float(), nullable=False),
        sa.Column('p_yellow', sa.Float(), nullable=False),
        sa.Column('p_green', sa.Float(), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('margin', sa.Float(), nullable=False),
        sa.Column('model_version', sa.String(length=100), nullable=False),
        sa.Column('explanation', sa.JSON(), nullable=False),
        sa.Column('cues', sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column('risk', sa.Float(), nullable=False, server_default=sa.text('0')),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('unsupported_language', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id']),
        sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id']),
        sa.ForeignKeyConstraint(['model_version'], ['model_versions.version']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('interaction_id', 'model_version', name='uq_shadow_predictions_interaction_model_version'),
    )
    for column in ('account_id', 'interaction_id', 'model_version', 'created_at'):
        op.create_index(f'ix_shadow_predictions_{column}', 'shadow_predictions', [column])
    suggestions, shadows = _suggestions(), _shadows()
    shadow = suggestions.c.shadow == sa.true()
    # Shadow versions only ever scored messages (backfill jobs), so every shadow row has an interaction.
    op.execute(shadows.insert().from_select(list(SHARED), sa.select(*(suggestions.c[n] for n in SHARED))
                                            .where(shadow, suggestions.c.interaction_id.is_not(None))
                                            .order_by(suggestions.c.id)))
    # Nothing served, decided or superseded by a shadow row (it was never shown); clear any stray pointer anyway.
    ids = sa.select(suggestions.c.id).where(shadow).scalar_subquery()
    op.execute(suggestions.update().where(suggestions.c.superseded_by_id.in_(ids)).values(superseded_by_id=None))
    servings = sa.table('servings', sa.column('suggestion_id'))
    op.execute(servings.delete().where(servings.c.suggestion_id.in_(ids)))
    op.execute(suggestions.delete().where(shadow))
    with op.batch_alter_table('suggestions') as batch:
        batch.drop_column('shadow')


def downgrade() -> None:
    with op.batch_alter_table('suggestions') as batch:
        batch.add_column(sa.Column('shadow', sa.Boolean(), server_default=sa.false(), nullable=False))
    suggestions, shadows = _suggestions(), _shadows()
    op.execute(suggestions.insert().from_select(
        ['scope', 'blind', 'shadow', *SHARED],
        sa.select(sa.literal('interaction'), sa.false(), sa.true(), *(shadows.c[n] for n in SHARED))))
    for column in ('account_id', 'interaction_id', 'model_version', 'created_at'):
        op.drop_index(f'ix_shadow_predictions_{column}', table_name='shadow_predictions')
    op.drop_table('shadow_predictions')
