"""keyed code hashes: SMS and recovery codes hashed with HMAC and the server's code key

Revision ID: 7c3e9a51d2b4
Revises: 60a74d343996
Create Date: 2026-12-01 19:00:00

Stored recovery codes were a plain SHA-256 of the code (50 bits: within reach of a GPU with the
database alone) and SMS codes a SHA-256 of salt and code (a million tries: a second). Now both
are keyed with DOSSIERFLOW_CODE_KEY (casemodel.config.code_key; set it before this migration
runs, as the portal will have it). A recovery code's new hash is the HMAC of its SHA-256, so the
stored ones are wrapped in place and keep working. An SMS code lives ten minutes: those still
open are ended (a person halfway through a login asks for a new code).
"""

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from casemodel.config import code_key

revision: str = "7c3e9a51d2b4"
down_revision: str | None = "60a74d343996"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

recovery_codes = sa.table(
    "recovery_codes", sa.column("id", sa.Integer), sa.column("code_hash", sa.String)
)
one_time_codes = sa.table("one_time_codes", sa.column("used_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    connection = op.get_bind()
    key = code_key()
    for row_id, unkeyed in connection.execute(
        sa.select(recovery_codes.c.id, recovery_codes.c.code_hash)
    ).all():
        keyed = hmac.new(key, f"recovery:{unkeyed}".encode(), hashlib.sha256).hexdigest()
        connection.execute(
            recovery_codes.update().where(recovery_codes.c.id == row_id).values(code_hash=keyed)
        )
    connection.execute(
        one_time_codes.update()
        .where(one_time_codes.c.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )


def downgrade() -> None:
    # An HMAC cannot be undone: the codes made since cannot go back to unkeyed hashes.
    raise NotImplementedError("keyed code hashes cannot be turned back into unkeyed ones")
