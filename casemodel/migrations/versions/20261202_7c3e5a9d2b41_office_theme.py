"""office theme, last organisation, authenticator offer

Revision ID: 7c3e5a9d2b41
Revises: 8e2f4a6c1b93
Create Date: 2026-12-02 09:00:00

An office's theme (primary colour, logo, contact line) and whether it offers the authenticator
after an SMS login (on, as before, for existing offices); a user's last organisation (where a
person with several lands at login) and when the authenticator was last offered to them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "7c3e5a9d2b41"
down_revision: str | None = "8e2f4a6c1b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("primary_colour", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("logo_content_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("contact_line", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("offer_authenticator", sa.Boolean(), server_default=sa.true(),
                      nullable=False)
        )  # fmt: skip
        batch_op.create_check_constraint(
            op.f("ck_offices_primary_colour"), "length(primary_colour) = 7"
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("authenticator_offered_at", casemodel.db.UTCDateTime(timezone=True),
                      nullable=True)
        )  # fmt: skip
        batch_op.create_foreign_key(
            batch_op.f("fk_users_last_organisation_id_organisations"),
            "organisations", ["last_organisation_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_last_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_column("authenticator_offered_at")
        batch_op.drop_column("last_organisation_id")
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_offices_primary_colour"), type_="check")
        batch_op.drop_column("offer_authenticator")
        batch_op.drop_column("contact_line")
        batch_op.drop_column("logo_content_type")
        batch_op.drop_column("logo_sha256")
        batch_op.drop_column("primary_colour")
