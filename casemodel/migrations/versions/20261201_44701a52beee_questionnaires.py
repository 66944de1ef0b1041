"""questionnaires

Revision ID: 44701a52beee
Revises: 53b337b6d325
Create Date: 2026-12-01 16:38:17.866179

Questionnaires with their pages and files, a step's `when:` (steps.condition), and the
notification kind "questionnaire_done". Autogenerate does not compare CHECK constraints: the
notifications' kind check is widened by hand (batch mode for SQLite), as in 6abbf5d8a373.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "44701a52beee"
down_revision: str | None = "53b337b6d325"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


KINDS = "'document', 'message', 'questionnaire', 'upload', 'client_message', 'request'"
OLD = f"kind IN ({KINDS})"
NEW = f"kind IN ({KINDS}, 'questionnaire_done')"


def _replace_kind_check(condition: str) -> None:
    # Named "kind"; the naming convention makes it ck_notifications_kind.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", condition)


def upgrade() -> None:
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("definition_key", sa.String(length=60), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("current_page", sa.String(length=60), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("rework_remark", sa.Text(), nullable=True),
        sa.Column("rework_requested_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rework_requested_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'completed', 'cancelled')", name=op.f("ck_questionnaires_state")
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"],
            ["users.id"],
            name=op.f("fk_questionnaires_completed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_questionnaires_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_questionnaires_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_questionnaires_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rework_requested_by_id"],
            ["users.id"],
            name=op.f("fk_questionnaires_rework_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["users.id"],
            name=op.f("fk_questionnaires_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["steps.id"],
            name=op.f("fk_questionnaires_step_id_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["human_tasks.id"],
            name=op.f("fk_questionnaires_task_id_human_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaires")),
        sa.UniqueConstraint("step_id", name=op.f("uq_questionnaires_step_id")),
    )
    with op.batch_alter_table("questionnaires", schema=None) as batch_op:
        batch_op.create_index("ix_questionnaires_dossier_id", ["dossier_id"], unique=False)
        batch_op.create_index(
            "ix_questionnaires_organisation_state", ["organisation_id", "state"], unique=False
        )

    op.create_table(
        "questionnaire_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=160), nullable=False),
        sa.Column("created_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_questionnaire_files_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaires.id"],
            name=op.f("fk_questionnaire_files_questionnaire_id_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_files")),
        sa.UniqueConstraint(
            "questionnaire_id", "sha256", name=op.f("uq_questionnaire_files_questionnaire_id")
        ),
    )
    op.create_table(
        "questionnaire_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("page_key", sa.String(length=60), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=True),
        sa.Column("saved_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaires.id"],
            name=op.f("fk_questionnaire_pages_questionnaire_id_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["users.id"],
            name=op.f("fk_questionnaire_pages_saved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_pages")),
        sa.UniqueConstraint(
            "questionnaire_id", "page_key", name=op.f("uq_questionnaire_pages_questionnaire_id")
        ),
    )
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("condition", sa.JSON(), nullable=True))
    _replace_kind_check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'questionnaire_done'")
    _replace_kind_check(OLD)
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_column("condition")

    op.drop_table("questionnaire_pages")
    op.drop_table("questionnaire_files")
    with op.batch_alter_table("questionnaires", schema=None) as batch_op:
        batch_op.drop_index("ix_questionnaires_organisation_state")
        batch_op.drop_index("ix_questionnaires_dossier_id")

    op.drop_table("questionnaires")
