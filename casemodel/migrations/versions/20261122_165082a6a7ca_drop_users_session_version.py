"""drop users.session_version

Revision ID: 165082a6a7ca
Revises: d617b2eaafcf
Create Date: 2026-11-22 02:00:06.803684
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "165082a6a7ca"
down_revision: str | None = "d617b2eaafcf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.INTEGER(), nullable=False, server_default="1")
        )
