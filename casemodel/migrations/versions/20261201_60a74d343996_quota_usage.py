"""quota usage: what one account and one organisation created in the last hour, per limit

Revision ID: 60a74d343996
Revises: 5d2e8c41b7f0
Create Date: 2026-12-01 16:44:53

Limits on what a client can send (messages, uploads, invitations, ...) are counted here, in the
portal database that every portal process shares (services.quotas).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "60a74d343996"
down_revision: str | None = "5d2e8c41b7f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quota_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("window_start", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("previous_count", sa.Integer(), nullable=False),
        sa.Column("previous_bytes", sa.BigInteger(), nullable=False),
        sa.Column("refused_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_quota_usage_organisation_id_organisations"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_quota_usage_user_id_users"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_usage")),
        sa.UniqueConstraint("name", "subject", name=op.f("uq_quota_usage_name")),
    )


def downgrade() -> None:
    op.drop_table("quota_usage")
