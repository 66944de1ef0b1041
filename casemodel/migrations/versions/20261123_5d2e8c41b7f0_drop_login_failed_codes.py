"""user sessions: no count of wrong codes per login; the account counts them

Revision ID: 5d2e8c41b7f0
Revises: c41d7e2a9b15
Create Date: 2026-11-23 09:00:00

Wrong second-factor codes are counted per account, before each code is compared
(services.accounts.claim_code_try); a count per login let several logins each guess.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2e8c41b7f0"
down_revision: str | None = "c41d7e2a9b15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("failed_codes")


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_codes", sa.Integer(), nullable=False, server_default="0")
        )
