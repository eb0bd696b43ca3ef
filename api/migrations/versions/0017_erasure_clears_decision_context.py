"""decisions on PostgreSQL: erasure may also clear the free text a pulse update carries (tags, lifecycle stage)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:00:00
"""

import re
from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Still no DELETE, and every other column exactly as it was; each free-text column may only stay as it was or
# become empty (pulse erase): `note` and `lifecycle_stage` NULL, `tags` an empty list. The function is 0007's,
# with this wider condition.
PREVIOUS = import_module("api.migrations.versions.0007_decisions_append_only").FUNCTION
CONDITION = """IF TG_OP = 'UPDATE'
       AND (NEW.note IS NULL OR NEW.note IS NOT DISTINCT FROM OLD.note)
       AND (NEW.lifecycle_stage IS NULL OR NEW.lifecycle_stage IS NOT DISTINCT FROM OLD.lifecycle_stage)
       AND (to_jsonb(NEW) -> 'tags' = '[]'::jsonb OR to_jsonb(NEW) -> 'tags' = to_jsonb(OLD) -> 'tags')
       AND (to_jsonb(NEW) - 'note' - 'lifecycle_stage' - 'tags') = (to_jsonb(OLD) - 'note' - 'lifecycle_stage' - 'tags')
       THEN"""
FUNCTION = re.sub(r"IF TG_OP = 'UPDATE'.*?THEN", lambda _: CONDITION, PREVIOUS, count=1, flags=re.DOTALL)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite has no trigger: one user, the application
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PREVIOUS)
