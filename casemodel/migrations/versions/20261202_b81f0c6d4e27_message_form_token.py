"""message form token

Revision ID: b81f0c6d4e27
Revises: 7c3e5a9d2b41
Create Date: 2026-12-02 10:00:00

A message remembers the token of the form it was sent from, unique per author, so that the
same form posted twice (a double click on "Versturen") sends one message. Messages sent before
have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b81f0c6d4e27"
down_revision: str | None = "7c3e5a9d2b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_messages_author_id"), ["author_id", "form_token"]
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_messages_author_id"), type_="unique")
        batch_op.drop_column("form_token")
