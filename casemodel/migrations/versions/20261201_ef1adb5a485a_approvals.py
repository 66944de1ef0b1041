"""approvals

Revision ID: ef1adb5a485a
Revises: 44701a52beee
Create Date: 2026-12-01 17:48:27.391613

Approval requests, their challenges, views and deliveries; the attempt of a step and of its
task (a rejected approval can send a dossier back over earlier steps); the code purpose
"approval" and the notification kinds "approval" and "approval_done". Autogenerate does not
compare CHECK constraints: those two are widened by hand (batch mode for SQLite), as in
44701a52beee.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "ef1adb5a485a"
down_revision: str | None = "44701a52beee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


KINDS = (
    "'document', 'message', 'questionnaire', 'upload', 'client_message', 'request', "
    "'questionnaire_done'"
)
OLD_KINDS = f"kind IN ({KINDS})"
NEW_KINDS = f"kind IN ({KINDS}, 'approval', 'approval_done')"
OLD_PURPOSES = "purpose IN ('login', 'enrol', 'reauth')"
NEW_PURPOSES = "purpose IN ('login', 'enrol', 'reauth', 'approval')"


def _replace_checks(kinds: str, purposes: str) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", kinds)
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_one_time_codes_purpose"), type_="check")
        batch_op.create_check_constraint("purpose", purposes)


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("step_attempt", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=60), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=20), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=True),
        sa.Column("certificate_size", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_approval_requests_state"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_approval_requests_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_approval_requests_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_approval_requests_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_approval_requests_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_approval_requests_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["steps.id"],
            name=op.f("fk_approval_requests_step_id_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
    )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.create_index("ix_approval_requests_dossier_id", ["dossier_id"], unique=False)
        batch_op.create_index(
            "ix_approval_requests_organisation_state", ["organisation_id", "state"], unique=False
        )
        batch_op.create_index(
            "uq_approval_requests_open_document",
            ["document_id"],
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )
        batch_op.create_index(
            "uq_approval_requests_open_step",
            ["step_id"],
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )

    op.create_table(
        "approval_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bound", sa.JSON(), nullable=False),
        sa.Column("binding_hash", sa.String(length=64), nullable=False),
        sa.Column("confirmation_text", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=30), nullable=True),
        sa.CheckConstraint("method IN ('sms', 'totp')", name=op.f("ck_approval_challenges_method")),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["one_time_codes.id"],
            name=op.f("fk_approval_challenges_code_id_one_time_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_challenges_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_approval_challenges_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_challenges")),
    )
    with op.batch_alter_table("approval_challenges", schema=None) as batch_op:
        batch_op.create_index("ix_approval_challenges_request_id", ["request_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_approval_challenges_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "approval_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=60), nullable=False),
        sa.Column("connector", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("receipt_id", sa.String(length=200), nullable=True),
        sa.Column("sent_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'sent')", name=op.f("ck_approval_deliveries_state")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox.id"],
            name=op.f("fk_approval_deliveries_outbox_message_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_deliveries_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_approval_deliveries_idempotency_key")),
        sa.UniqueConstraint("request_id", name=op.f("uq_approval_deliveries_request_id")),
    )
    op.create_table(
        "approval_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_views_request_id_approval_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_approval_views_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_views")),
        sa.UniqueConstraint("request_id", "user_id", name=op.f("uq_approval_views_request_id")),
    )
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))

    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
    _replace_checks(NEW_KINDS, NEW_PURPOSES)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind IN ('approval', 'approval_done')")
    op.execute("DELETE FROM one_time_codes WHERE purpose = 'approval'")
    _replace_checks(OLD_KINDS, OLD_PURPOSES)
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_column("attempt")

    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_column("attempt")

    op.drop_table("approval_views")
    op.drop_table("approval_deliveries")
    with op.batch_alter_table("approval_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_challenges_user_id"))
        batch_op.drop_index("ix_approval_challenges_request_id")

    op.drop_table("approval_challenges")
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_approval_requests_open_step",
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )
        batch_op.drop_index(
            "uq_approval_requests_open_document",
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )
        batch_op.drop_index("ix_approval_requests_organisation_state")
        batch_op.drop_index("ix_approval_requests_dossier_id")

    op.drop_table("approval_requests")
