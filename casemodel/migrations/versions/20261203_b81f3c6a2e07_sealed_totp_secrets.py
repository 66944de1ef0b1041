"""sealed TOTP secrets: the authenticators' secrets encrypted at rest

Revision ID: b81f3c6a2e07
Revises: a4c1e7d90b52
Create Date: 2026-12-03 10:00:00

Issue 16's rest: `users.totp_secret` held each authenticator's secret in the clear, so a copy of
the database alone let anyone make a person's login and approval codes. It becomes
`users.totp_secret_sealed`, the secret sealed with Fernet under DOSSIERFLOW_TOTP_KEY
(casemodel.sealing, config.totp_keys; set it before this migration runs, as the portal will
have it). Every existing secret is sealed here; the downgrade opens them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from casemodel import sealing

revision: str = "b81f3c6a2e07"
down_revision: str | None = "a4c1e7d90b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("totp_secret", sa.String()),
    sa.column("totp_secret_sealed", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret_sealed", sa.String(length=255), nullable=True))
    _convert(users.c.totp_secret, users.c.totp_secret_sealed, sealing.seal)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_secret")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
    _convert(users.c.totp_secret_sealed, users.c.totp_secret, sealing.unseal)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_secret_sealed")


def _convert(source, target, change) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, source).where(source.is_not(None))).all()
    for user_id, value in rows:
        connection.execute(
            users.update().where(users.c.id == user_id).values({target.name: change(value)})
        )
