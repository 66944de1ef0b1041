"""Queueing effects outside the database in the same transaction as their cause."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casemodel import config
from casemodel.db import claim_row, insert_for, utcnow
from casemodel.models import OutboxMessage, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed, NotFound


def enqueue(
    session: Session,
    *,
    kind: str,
    dedupe_key: str,
    payload: dict[str, Any],
    due_at: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue an effect once: a second call with the same dedupe_key returns the first message.

    Args:
        kind: the handler's name, e.g. "start_flow_run".
        dedupe_key: what makes this effect unique, e.g. "resume:42:signing".
        payload: the handler's arguments (ids, never ORM objects).
        due_at: not before this moment; default now.
    """
    query = select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    existing = session.scalar(query)
    if existing is not None:
        return existing
    # Another transaction may be queueing the same effect at this moment (two actions that
    # notify the same person): its row wins, and this one goes on with it instead of failing.
    # RETURNING tells whether this INSERT added the row (psycopg reports no rowcount for an
    # INSERT ... ON CONFLICT: the after-commit delivery never saw what it queued on PostgreSQL).
    added = session.execute(
        insert_for(session, OutboxMessage)
        .values(kind=kind, dedupe_key=dedupe_key, payload=payload, due_at=due_at or utcnow())
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    ).scalar()
    message = session.scalar(query)
    if added is not None:
        # Lets the caller deliver exactly what its unit of work queued, right after its commit.
        session.info.setdefault(QUEUED_KEY, []).append(message.id)
    return message


QUEUED_KEY = "outbox_queued_ids"


def take_queued_ids(session: Session) -> list[int]:
    """The ids of the messages this session queued since the last call."""
    return session.info.pop(QUEUED_KEY, [])


def due_messages(
    session: Session, *, limit: int = 50, ids: list[int] | None = None,
    kinds: Collection[str] | None = None,
) -> list[OutboxMessage]:  # fmt: skip
    """Messages whose time has come and that no relay holds (of these ids, of these kinds, if
    given), oldest first. Only claim_message() makes one this process's to deliver."""
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.done_at.is_(None),
            OutboxMessage.dead_at.is_(None),
            OutboxMessage.due_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(sorted(kinds)))
    return list(session.scalars(query))


def claim_message(session: Session, *, message: OutboxMessage) -> str | None:
    """Take the message for delivery, in one conditional UPDATE (a lease for
    casemodel.config.outbox_lease_seconds()): two relays, or a relay and a portal process
    delivering right after its commit, never both send it. Returns the claim's token, or None
    when another holds it or it is no longer due. Commit before delivering, so that the others
    see the claim."""
    now = utcnow()
    token = secrets.token_hex(16)
    claimed = claim_row(
        session, message,
        OutboxMessage.done_at.is_(None), OutboxMessage.dead_at.is_(None),
        OutboxMessage.due_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        claimed_until=now + dt.timedelta(seconds=config.outbox_lease_seconds()),
        claim_token=token,
    )  # fmt: skip
    return token if claimed else None


def held_message(session: Session, *, message_id: int, token: str) -> OutboxMessage | None:
    """The message if the claim with this token still holds it (None once it expired and another
    took it, or it was delivered)."""
    return session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.id == message_id,
            OutboxMessage.claim_token == token,
            OutboxMessage.done_at.is_(None),
        )
    )


def _release(message: OutboxMessage) -> None:
    message.claimed_until = None
    message.claim_token = None


def mark_done(message: OutboxMessage) -> None:
    message.done_at = utcnow()
    message.last_error = None
    _release(message)


def mark_failed(message: OutboxMessage, error: str) -> bool:
    """Keep the message for a later attempt, backing off up to five minutes; at the limit
    (casemodel.config.outbox_max_attempts) it is dead instead, for staff to see and retry.
    Returns whether it died."""
    message.attempts += 1
    message.last_error = error[:2000]
    _release(message)
    if message.attempts >= config.outbox_max_attempts():
        message.dead_at = utcnow()
        return True
    delay = min(300, 2 ** min(message.attempts, 9))
    message.due_at = utcnow() + dt.timedelta(seconds=delay)
    return False


def postpone(message: OutboxMessage, reason: str, *, seconds: float) -> None:
    """Not deliverable yet, through no fault of its own (a flow run that has not reached its
    suspension): try again later without counting an attempt."""
    message.last_error = reason[:2000]
    message.due_at = utcnow() + dt.timedelta(seconds=seconds)
    _release(message)


def retry_message(session: Session, *, message_id: int, actor: User) -> OutboxMessage:
    """Staff give a dead message another round of attempts, due at once.

    Raises:
        NotAllowed: not staff. NotFound: no such message. InvalidState: it is not dead.
    """
    if not actor.is_staff:
        raise NotAllowed("only office staff retry outbox messages")
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"outbox message {message_id}")
    if not claim_row(session, message, OutboxMessage.dead_at.is_not(None),
                     dead_at=None, attempts=0, due_at=utcnow()):  # fmt: skip
        raise InvalidState("the message is not given up")
    record_event(
        session, action="outbox.retried", actor=actor, dossier_id=message.payload.get("dossier_id"),
        detail={"message_id": message.id, "kind": message.kind, "error": message.last_error},
    )  # fmt: skip
    session.info.setdefault(QUEUED_KEY, []).append(message.id)
    return message
