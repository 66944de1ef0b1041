"""pending_totp_on_the_session: an authenticator being set up is kept on the server

Revision ID: d7e3b9f1a260
Revises: c5d2a8e41f96
Create Date: 2026-12-04 00:00:00

The secret of an authenticator being set up lived in the browser's session cookie until its
first code confirmed it: Flask's cookie is signed, not encrypted, so anyone who read the cookie
read the secret. It is now kept on the login session's row on the server, sealed as the user's
own secret is (casemodel.sealing), and cleared when confirmed or when the session ends.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7e3b9f1a260"
down_revision: str | None = "c5d2a8e41f96"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_totp_sealed", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("pending_totp_sealed")
