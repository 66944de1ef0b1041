"""Single-use links for activating an account and resetting a password."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.users import User

TOKEN_PURPOSES = ("activation", "reset")


class AccountToken(Base):
    """The secret behind an e-mailed link. Only its SHA-256 is stored; the link itself lives in
    the mail. A token is single use, short-lived, for one purpose, and dies when the password or
    the e-mail address changes (the user's stamp at issue no longer matches)."""

    __tablename__ = "account_tokens"
    __table_args__ = (CheckConstraint(f"purpose IN {TOKEN_PURPOSES}", name="purpose"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the random token, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: A digest of the user's e-mail address and password hash when the token was made.
    user_stamp: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[utc_timestamp]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
