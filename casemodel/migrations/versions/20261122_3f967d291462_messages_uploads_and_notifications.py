"""messages, uploads and notifications

Revision ID: 3f967d291462
Revises: 165082a6a7ca
Create Date: 2026-11-22 02:19:46.658960
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "3f967d291462"
down_revision: str | None = "165082a6a7ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archived_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=160), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_archived_files_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_archived_files_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_files")),
    )
    with op.batch_alter_table("archived_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_archived_files_organisation", ["organisation_id", "created_at"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("from_office", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_messages_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_messages_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["messages.id"],
            name=op.f("fk_messages_reply_to_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(
            "ix_messages_dossier_created", ["dossier_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_messages_inbox", ["from_office", "created_at"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('document', 'message', 'questionnaire', 'upload', 'client_message')",
            name=op.f("ck_notifications_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_notifications_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_notifications_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_pending", ["user_id", "sent_at"], unique=False)

    op.create_table(
        "staged_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=160), nullable=False),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_staged_files_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staged_files_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_files")),
    )
    with op.batch_alter_table("staged_files", schema=None) as batch_op:
        batch_op.create_index("ix_staged_files_owner", ["user_id", "dossier_id"], unique=False)

    op.create_table(
        "message_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_message_attachments_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attachments")),
        sa.UniqueConstraint(
            "message_id", "document_id", name=op.f("uq_message_attachments_message_id")
        ),
    )
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_attachments_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "message_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("read_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_reads_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_reads")),
        sa.UniqueConstraint("user_id", "message_id", name=op.f("uq_message_reads_user_id")),
    )
    with op.batch_alter_table("message_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_reads_message_id"), ["message_id"], unique=False
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_at", casemodel.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("step_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("request_item", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("approved_version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("approved_at", casemodel.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Every document published before drafts existed was published when it was made.
    op.execute("UPDATE documents SET published_at = created_at")

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_organisations_contact_person_id_users"),
            "users",
            ["contact_person_id"],
            ["id"],
            ondelete="SET NULL",
            use_alter=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_organisations_contact_person_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("contact_person_id")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_version")
        batch_op.drop_column("request_item")
        batch_op.drop_column("step_key")
        batch_op.drop_column("published_at")

    with op.batch_alter_table("message_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_reads_message_id"))

    op.drop_table("message_reads")
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_attachments_document_id"))

    op.drop_table("message_attachments")
    with op.batch_alter_table("staged_files", schema=None) as batch_op:
        batch_op.drop_index("ix_staged_files_owner")

    op.drop_table("staged_files")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_pending")

    op.drop_table("notifications")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_inbox")
        batch_op.drop_index("ix_messages_dossier_created")
        batch_op.drop_index(batch_op.f("ix_messages_assignee_id"))

    op.drop_table("messages")
    with op.batch_alter_table("archived_files", schema=None) as batch_op:
        batch_op.drop_index("ix_archived_files_organisation")

    op.drop_table("archived_files")
