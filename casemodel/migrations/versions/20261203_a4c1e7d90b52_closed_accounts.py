"""closed accounts: why an account is inactive

Revision ID: a4c1e7d90b52
Revises: b81f0c6d4e27
Create Date: 2026-12-03 09:00:00

Issue 17's gap: an account taken out of the last organisation it belonged to stayed active with
nothing to log in to. Such an account is now closed (services.memberships.remove_member), and
`users.closed_reason` says why an account is inactive: "office" (deactivated by the office,
which alone opens it again) or "no_organisation" (access given again reopens it). Accounts
inactive today were deactivated by the office. Active accounts that already belong nowhere are
left as they are: closing them is a decision for their office, not for a migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4c1e7d90b52"
down_revision: str | None = "b81f0c6d4e27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = "closed_reason IN ('office', 'no_organisation')"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint("closed_reason", REASONS)
    users = sa.table("users", sa.column("is_active", sa.Boolean()),
                     sa.column("closed_reason", sa.String()))  # fmt: skip
    op.execute(users.update().where(users.c.is_active.is_(False)).values(closed_reason="office"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_closed_reason"), type_="check")
        batch_op.drop_column("closed_reason")
