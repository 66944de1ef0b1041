"""notification kind request

Revision ID: 6abbf5d8a373
Revises: 3f967d291462
Create Date: 2026-11-22 02:28:07.474883

Autogenerate does not compare CHECK constraints, so this one is written by hand: the
notifications' kind may now be "request" (the office asks the client for files).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6abbf5d8a373"
down_revision: str | None = "3f967d291462"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "kind IN ('document', 'message', 'questionnaire', 'upload', 'client_message')"
NEW = "kind IN ('document', 'message', 'questionnaire', 'upload', 'client_message', 'request')"


def _replace_kind_check(condition: str) -> None:
    # Named "kind"; the naming convention makes it ck_notifications_kind.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", condition)


def upgrade() -> None:
    _replace_kind_check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'request'")
    _replace_kind_check(OLD)
