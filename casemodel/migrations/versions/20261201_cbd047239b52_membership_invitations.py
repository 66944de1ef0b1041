"""membership invitations: access to another organisation is offered, and accepted by the person

Revision ID: cbd047239b52
Revises: 7c3e9a51d2b4
Create Date: 2026-12-01 17:04:09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "cbd047239b52"
down_revision: str | None = "7c3e9a51d2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "membership_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("can_approve", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("declined_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_membership_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_membership_invitations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_membership_invitations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_invitations")),
    )
    with op.batch_alter_table("membership_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_invitations_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("membership_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_invitations_user_id"))

    op.drop_table("membership_invitations")
