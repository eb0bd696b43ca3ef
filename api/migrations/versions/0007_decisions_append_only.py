"""decisions are append-only on PostgreSQL: no DELETE, and no UPDATE except erasing a note

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 08:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column but `note` must stay as it was; `note` may only become NULL (pulse erase).
FUNCTION = """
CREATE OR REPLACE FUNCTION pulse_decisions_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.note IS NULL
       AND (to_jsonb(NEW) - 'note') = (to_jsonb(OLD) - 'note') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'decisions are append-only: % of decision % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has one user, the application; the rule is enforced where roles exist
    op.execute(FUNCTION)
    op.execute("CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions "
               "FOR EACH ROW EXECUTE FUNCTION pulse_decisions_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS decisions_append_only ON decisions")
    op.execute("DROP FUNCTION IF EXISTS pulse_decisions_append_only()")
