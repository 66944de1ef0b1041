"""news: the office's news for its clients, and the news notification module

Revision ID: c5d2a8e41f96
Revises: b81f3c6a2e07
Create Date: 2026-12-03 11:00:00

Issue 17 lists news among the notification modules. News items of an office (for all its
clients, or chosen organisations: news_audience), memberships' notify_news (on, as the other
modules start), and the notification kind "news" (the CHECK by hand, batch mode for SQLite, as
in 8e2f4a6c1b93).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import casemodel.db

revision: str = "c5d2a8e41f96"
down_revision: str | None = "b81f3c6a2e07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "'document', 'message', 'questionnaire', 'upload', 'client_message', 'request', "
    "'questionnaire_done', 'approval', 'approval_done', 'proposal', 'proposal_reviewed'"
)
OLD = f"kind IN ({KINDS})"
NEW = f"kind IN ({KINDS}, 'news')"


def _replace_kind_check(condition: str) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", condition)


def upgrade() -> None:
    op.create_table(
        "news_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("for_all_clients", sa.Boolean(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("published_at", casemodel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", casemodel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_news_items_office_id_offices"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_news_items_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_items")),
    )
    op.create_index("ix_news_items_office_published", "news_items",
                    ["office_id", "published_at"], unique=False)  # fmt: skip
    op.create_table(
        "news_audience",
        sa.Column("news_item_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["news_item_id"], ["news_items.id"],
            name=op.f("fk_news_audience_news_item_id_news_items"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_news_audience_organisation_id_organisations"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("news_item_id", "organisation_id", name=op.f("pk_news_audience")),
    )
    op.create_index(op.f("ix_news_audience_organisation_id"), "news_audience",
                    ["organisation_id"], unique=False)  # fmt: skip
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify_news", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    _replace_kind_check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'news'")
    _replace_kind_check(OLD)
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("notify_news")
    op.drop_index(op.f("ix_news_audience_organisation_id"), table_name="news_audience")
    op.drop_table("news_audience")
    op.drop_index("ix_news_items_office_published", table_name="news_items")
    op.drop_table("news_items")
