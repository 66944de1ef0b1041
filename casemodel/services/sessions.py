"""Server-side sessions: the cookie carries a random token; the row says whether it still counts.

Logging out, a password change or "end this session" end the row, so a copied or replayed cookie
is refused from then on. Sessions also end after IDLE_TIMEOUT without a request and after
ABSOLUTE_TIMEOUT in any case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from casemodel.db import utcnow
from casemodel.models import User, UserSession

IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
#: A session between the password and the second factor lives only this long.
PASSWORD_STAGE_TIMEOUT = dt.timedelta(minutes=10)
#: last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


def start_session(
    session: Session,
    *,
    user: User,
    stage: str,
    ip: str | None,
    user_agent: str | None,
    second_factor: str | None = None,
) -> str:
    """Open a session for the user and return its token (for the cookie; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(token),
            stage=stage,
            second_factor=second_factor,
            created_at=now,
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:300],
        )
    )
    session.flush()
    return token


def find_session(session: Session, token: str, *, touch: bool = True) -> UserSession | None:
    """The live session for this token, or None (unknown, ended, idle or too old; the last
    two are ended on the way). Its user comes in the same query: every signed-in request asks.

    `touch`: the request is something the person did, and renews the idle timer. A background
    call of a page's script (a progress poll, a strength hint) reads the session without
    renewing it (touch=False), so a page left open does not keep its session alive."""
    row = session.scalar(
        select(UserSession)
        .options(joinedload(UserSession.user))
        .where(UserSession.token_hash == _digest(token))
    )
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    lifetime = PASSWORD_STAGE_TIMEOUT if row.stage == "password" else ABSOLUTE_TIMEOUT
    if now - row.created_at > lifetime:
        end(row, "expired")
        return None
    if now - row.last_seen_at > IDLE_TIMEOUT:
        end(row, "idle")
        return None
    if touch and now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


def end(row: UserSession, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at = utcnow()
        row.ended_reason = reason
        row.pending_totp_sealed = None  # an authenticator half set up goes with its session


def end_session(session: Session, token: str, reason: str = "logout") -> None:
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if row is not None:
        end(row, reason)
        session.flush()


def end_other_sessions(session: Session, *, user: User, keep_token: str | None, reason: str) -> int:
    """End every live session of the user but the one with keep_token. Returns how many."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep_token:
        query = query.where(UserSession.token_hash != _digest(keep_token))
    result = session.execute(
        query.values(ended_at=utcnow(), ended_reason=reason, pending_totp_sealed=None)
    )
    return result.rowcount or 0


def end_pending_logins(session: Session, *, user: User, reason: str) -> int:
    """End every login of the user that has passed the password but not the second factor.
    Returns how many."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.stage == "password",
               UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason, pending_totp_sealed=None)
    )  # fmt: skip
    return result.rowcount or 0


def live_sessions(session: Session, user: User) -> list[UserSession]:
    """The user's signed-in browsers, most recently active first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.stage == "full",
                UserSession.last_seen_at > utcnow() - IDLE_TIMEOUT,
            )
            .order_by(UserSession.last_seen_at.desc())
        )
    )


def is_token_of(row: UserSession, token: str | None) -> bool:
    return token is not None and row.token_hash == _digest(token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
