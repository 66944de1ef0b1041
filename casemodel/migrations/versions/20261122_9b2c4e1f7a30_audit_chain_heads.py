"""audit chain heads: appends to one chain take turns, and a cut-off end shows

Revision ID: 9b2c4e1f7a30
Revises: 6abbf5d8a373
Create Date: 2026-11-22 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b2c4e1f7a30"
down_revision: str | None = "6abbf5d8a373"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_heads")),
    )
    # The heads of the chains recorded so far: the newest event of each, and how many.
    op.execute(
        """
        INSERT INTO audit_chain_heads (chain, last_hash, events)
        SELECT COALESCE(e.dossier_id, 0), e.hash, counted.events
        FROM audit_events e
        JOIN (SELECT COALESCE(dossier_id, 0) AS chain, MAX(id) AS newest, COUNT(*) AS events
              FROM audit_events GROUP BY COALESCE(dossier_id, 0)) counted
          ON e.id = counted.newest
        """
    )


def downgrade() -> None:
    op.drop_table("audit_chain_heads")
