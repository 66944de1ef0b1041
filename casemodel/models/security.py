"""Sessions, one-time codes and recovery codes: the state behind login and two-step
verification (SECURITY.md, "Identity")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel import sealing
from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.users import User

SESSION_STAGES = ("password", "full")
#: "approval": a code bound to one approval challenge (services.approvals), never a login.
CODE_PURPOSES = ("login", "enrol", "reauth", "approval")


class UserSession(Base):
    """A signed-in browser, kept on the server so that logging out, changing the password or
    "end this session" really ends it: the cookie only names it. A session that has passed the
    password but not yet the second factor is stage "password" and opens no page."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        CheckConstraint(f"stage IN {SESSION_STAGES}", name="stage"),
        Index("ix_user_sessions_user_open", "user_id", "ended_at"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: SHA-256 of the random token in the cookie, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stage: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[utc_timestamp]
    last_seen_at: Mapped[utc_timestamp]
    #: How the second factor was passed ("sms", "totp", "recovery"), None before it.
    second_factor: Mapped[str | None] = mapped_column(String(10))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ended_at: Mapped[dt.datetime | None]
    #: "logout", "idle", "expired", "ended_by_user", "password_changed", "second_factor",
    #: "too_many_codes", "account_locked".
    ended_reason: Mapped[str | None] = mapped_column(String(30))
    #: The authenticator secret this session is setting up (services.second_factor
    #: .totp_secret_being_set_up), sealed as the user's own is: until its first code confirms
    #: it, or the session ends. Kept here and not in the browser's cookie, which is signed but
    #: readable.
    pending_totp_sealed: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()

    @property
    def pending_totp_secret(self) -> str | None:
        sealed = self.pending_totp_sealed
        return None if sealed is None else sealing.unseal(sealed)

    @pending_totp_secret.setter
    def pending_totp_secret(self, secret: str | None) -> None:
        self.pending_totp_sealed = None if secret is None else sealing.seal(secret)


class OneTimeCode(Base):
    """A code sent by SMS, stored hashed, for one purpose and a short time, with its wrong
    attempts counted. A login code never serves another purpose and the reverse."""

    __tablename__ = "one_time_codes"
    __table_args__ = (
        CheckConstraint(f"purpose IN {CODE_PURPOSES}", name="purpose"),
        Index("ix_one_time_codes_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))
    #: HMAC-SHA256 of the salt and the code, keyed with the server's code key
    #: (config.code_key), so a database dump alone gives nothing to try the million codes on.
    #: Argon2-free on purpose: it only has to outlive its 10 minutes and its 5 attempts.
    code_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    #: The mobile number the code went to (enrolment proves the number).
    sent_to: Mapped[str] = mapped_column(String(20))
    #: Facts the code is bound to (e.g. the login session it belongs to).
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[utc_timestamp]
    expires_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None]


class RecoveryCode(Base):
    """One of the codes shown once at enrolment, for when the phone is gone. Single use."""

    __tablename__ = "recovery_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: HMAC-SHA256, keyed with the server's code key, of the code's SHA-256.
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[utc_timestamp]
    used_at: Mapped[dt.datetime | None]
