"""beheer: rights per membership, people's and organisations' details, proposals, support

Revision ID: 8e2f4a6c1b93
Revises: f7d4bf02ff47
Create Date: 2026-12-02 09:00:00

Issue 17. Memberships (and the invitations that offer one) get the rights to see dossiers,
upload and send messages, fill in questionnaires, and to approve only some kinds of document;
existing memberships keep what they could do (every new right on). The notification
preferences move from the user to each membership, per module: a user's three choices are
copied to every membership they have, the new modules (approvals, uploads) start on. People
get a phone number, an address, a pending mobile number and their last login; organisations an
address, KvK, VAT, IBAN and a relationship manager; offices the review setting and the support
desk. Document kinds, change proposals, and the notification kinds "proposal" and
"proposal_reviewed" (the CHECK by hand, batch mode for SQLite, as in 44701a52beee).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "8e2f4a6c1b93"
down_revision: str | None = "f7d4bf02ff47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "'document', 'message', 'questionnaire', 'upload', 'client_message', 'request', "
    "'questionnaire_done', 'approval', 'approval_done'"
)
OLD = f"kind IN ({KINDS})"
NEW = f"kind IN ({KINDS}, 'proposal', 'proposal_reviewed')"
ADDRESS = (
    ("address_street", 200),
    ("address_postcode", 12),
    ("address_city", 100),
    ("address_country", 2),
)
#: The user's preferences that become each membership's.
MOVED_PREFERENCES = ("notify_documents", "notify_questionnaires", "notify_messages")


def _replace_kind_check(condition: str) -> None:
    # Named "kind"; the naming convention makes it ck_notifications_kind.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", condition)


def _rights(batch_op) -> None:
    for name in ("can_view", "can_upload", "can_fill"):
        batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true()))
    batch_op.add_column(sa.Column("approve_kind_ids", sa.JSON(), nullable=True))


def _address(batch_op) -> None:
    for name, length in ADDRESS:
        batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def upgrade() -> None:
    op.create_table(
        "document_kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("name_nl", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_document_kinds_office_id_offices"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_kinds")),
        sa.UniqueConstraint("office_id", "name_nl", name=op.f("uq_document_kinds_office_id")),
    )
    op.create_table(
        "change_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remark", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'accepted', 'rejected', 'withdrawn', 'replaced')",
            name=op.f("ck_change_proposals_state"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_change_proposals_office_id_offices"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_change_proposals_organisation_id_organisations"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"],
            name=op.f("fk_change_proposals_proposed_by_id_users"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"],
            name=op.f("fk_change_proposals_reviewed_by_id_users"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_change_proposals_user_id_users"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_proposals")),
    )
    with op.batch_alter_table("change_proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_change_proposals_office_state", ["office_id", "state", "proposed_at"]
        )
        batch_op.create_index(
            batch_op.f("ix_change_proposals_organisation_id"), ["organisation_id"]
        )
        batch_op.create_index(batch_op.f("ix_change_proposals_user_id"), ["user_id"])

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_documents_kind_id_document_kinds"), "document_kinds", ["kind_id"], ["id"]
        )

    with op.batch_alter_table("membership_invitations", schema=None) as batch_op:
        _rights(batch_op)

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        _rights(batch_op)
        for name in (*MOVED_PREFERENCES, "notify_approvals", "notify_uploads"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true())
            )
    for name in MOVED_PREFERENCES:
        op.execute(
            f"UPDATE memberships SET {name} = "
            f"(SELECT users.{name} FROM users WHERE users.id = memberships.user_id)"
        )

    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("changes_need_review", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("support_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("support_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("support_email", sa.String(length=254), nullable=True))

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relationship_manager_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("kvk_number", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("vat_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        _address(batch_op)
        batch_op.create_foreign_key(
            batch_op.f("fk_organisations_relationship_manager_id_users"), "users",
            ["relationship_manager_id"], ["id"], ondelete="SET NULL", use_alter=True,
        )  # fmt: skip

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_mobile_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("phone_number", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("last_login_at", casemodel.db.UTCDateTime(timezone=True), nullable=True)
        )
        _address(batch_op)
        for name in MOVED_PREFERENCES:
            batch_op.drop_column(name)

    _replace_kind_check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind IN ('proposal', 'proposal_reviewed')")
    _replace_kind_check(OLD)

    with op.batch_alter_table("users", schema=None) as batch_op:
        for name in MOVED_PREFERENCES:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true())
            )
        for name, _length in reversed(ADDRESS):
            batch_op.drop_column(name)
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("phone_number")
        batch_op.drop_column("pending_mobile_number")
    # A user's preference was one for all their organisations: off if off for any of them.
    for name in MOVED_PREFERENCES:
        op.execute(
            f"UPDATE users SET {name} = NOT EXISTS (SELECT 1 FROM memberships WHERE "
            f"memberships.user_id = users.id AND NOT memberships.{name})"
        )

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_organisations_relationship_manager_id_users"), type_="foreignkey"
        )
        for name, _length in reversed(ADDRESS):
            batch_op.drop_column(name)
        batch_op.drop_column("revision")
        batch_op.drop_column("iban")
        batch_op.drop_column("vat_number")
        batch_op.drop_column("kvk_number")
        batch_op.drop_column("relationship_manager_id")

    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.drop_column("support_email")
        batch_op.drop_column("support_phone")
        batch_op.drop_column("support_name")
        batch_op.drop_column("changes_need_review")

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        for name in ("notify_uploads", "notify_approvals", *reversed(MOVED_PREFERENCES)):
            batch_op.drop_column(name)
        for name in ("approve_kind_ids", "can_fill", "can_upload", "can_view"):
            batch_op.drop_column(name)

    with op.batch_alter_table("membership_invitations", schema=None) as batch_op:
        for name in ("approve_kind_ids", "can_fill", "can_upload", "can_view"):
            batch_op.drop_column(name)

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_documents_kind_id_document_kinds"), type_="foreignkey"
        )
        batch_op.drop_column("kind_id")

    with op.batch_alter_table("change_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_proposals_user_id"))
        batch_op.drop_index(batch_op.f("ix_change_proposals_organisation_id"))
        batch_op.drop_index("ix_change_proposals_office_state")
    op.drop_table("change_proposals")
    op.drop_table("document_kinds")
