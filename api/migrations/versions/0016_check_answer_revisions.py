"""check answers count revisions as decisions do (check_answers.revision, unique per copy), keep the request's
hash for replays (check_answers.request_hash), and take their ids
from the decisions' id space, so an answer on a check copy cannot be told from a decision by its id or by
how two answers at once resolve

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('check_answers') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
    # Earlier answers: numbered in the order they were made, per copy.
    op.execute("UPDATE check_answers SET revision = (SELECT count(*) FROM check_answers AS earlier "
               "WHERE earlier.suggestion_id = check_answers.suggestion_id AND earlier.id <= check_answers.id)")
    # Earlier answers move above every decision id, keeping their order (nothing refers to an answer's id).
    op.execute("UPDATE check_answers SET id = id + (SELECT coalesce(max(id), 0) FROM decisions)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('decisions', 'id'), greatest(top, 1), top > 0) FROM "
                   "(SELECT greatest((SELECT coalesce(max(id), 0) FROM decisions), "
                   "(SELECT coalesce(max(id), 0) FROM check_answers)) AS top) AS highest")
    with op.batch_alter_table('check_answers') as batch:
        batch.create_unique_constraint('uq_check_answers_suggestion_revision', ['suggestion_id', 'revision'])


def downgrade() -> None:
    with op.batch_alter_table('check_answers') as batch:
        batch.drop_constraint('uq_check_answers_suggestion_revision', type_='unique')
        batch.drop_column('request_hash')
        batch.drop_column('revision')
