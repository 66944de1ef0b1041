"""office memberships

Revision ID: 53b337b6d325
Revises: cbd047239b52
Create Date: 2026-12-01 16:13:39.468130

Staff and managers belong to offices through memberships (one person may work for several), and
users.office_id goes. A staff account with an office keeps it as its one membership; one
without an office, which used to see every office, now sees nothing until it is given one
(`flask --app webapp office add-staff`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "53b337b6d325"
down_revision: str | None = "cbd047239b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], ondelete="CASCADE",
                                name=op.f("fk_office_memberships_office_id_offices")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_office_memberships_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_memberships")),
        sa.UniqueConstraint("user_id", "office_id", name=op.f("uq_office_memberships_user_id")),
    )  # fmt: skip
    with op.batch_alter_table("office_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_office_memberships_office_id"), ["office_id"], unique=False
        )
    op.execute(
        "INSERT INTO office_memberships (user_id, office_id, created_at) "
        "SELECT id, office_id, created_at FROM users "
        "WHERE office_id IS NOT NULL AND role IN ('staff', 'manager')"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_office_id_offices"), type_="foreignkey")
        batch_op.drop_column("office_id")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.INTEGER(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_office_id_offices"), "offices", ["office_id"], ["id"]
        )
    # One office per account before this revision: the first of several is kept.
    op.execute(
        "UPDATE users SET office_id = (SELECT MIN(office_id) FROM office_memberships "
        "WHERE office_memberships.user_id = users.id)"
    )
    with op.batch_alter_table("office_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_memberships_office_id"))
    op.drop_table("office_memberships")
