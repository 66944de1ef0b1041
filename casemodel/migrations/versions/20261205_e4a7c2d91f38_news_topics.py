"""news_topics: news by interest (accountancy manual, "Actueel")

Revision ID: e4a7c2d91f38
Revises: d7e3b9f1a260
Create Date: 2026-12-05 00:00:00

A news item may be about one topic (casemodel.news_topics; none: general news for everyone),
and a person chooses the topics they want (users.news_topics, a JSON list of keys; empty, the
default for everyone already there, means all news, so nothing changes until they choose).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a7c2d91f38"
down_revision: str | None = "d7e3b9f1a260"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("news_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=20), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("news_topics", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("news_topics")
    with op.batch_alter_table("news_items", schema=None) as batch_op:
        batch_op.drop_column("topic")
