"""audit events: deleting a dossier or user they name is refused instead of nulling the key

Revision ID: c41d7e2a9b15
Revises: 9b2c4e1f7a30
Create Date: 2026-11-22 08:10:00

dossier_id and actor_id are part of each event's hash; ON DELETE SET NULL would have rewritten
them and broken the chains (and moved a dossier's events into the global chain).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c41d7e2a9b15"
down_revision: str | None = "9b2c4e1f7a30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = [("dossier_id", "dossiers"), ("actor_id", "users")]


def _recreate(ondelete: str) -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        for column, table in KEYS:
            name = op.f(f"fk_audit_events_{column}_{table}")
            batch_op.drop_constraint(name, type_="foreignkey")
            batch_op.create_foreign_key(name, table, [column], ["id"], ondelete=ondelete)


def upgrade() -> None:
    _recreate("RESTRICT")


def downgrade() -> None:
    _recreate("SET NULL")
