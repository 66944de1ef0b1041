"""Queueing effects outside the database in the same transaction as their cause."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.db import insert_for, utcnow
from casemodel.models import OutboxMessage


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
    added = session.execute(
        insert_for(session, OutboxMessage)
        .values(kind=kind, dedupe_key=dedupe_key, payload=payload, due_at=due_at or utcnow())
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    message = session.scalar(query)
    if added.rowcount == 1:
        # Lets the caller deliver exactly what its unit of work queued, right after its commit.
        session.info.setdefault(QUEUED_KEY, []).append(message.id)
    return message


QUEUED_KEY = "outbox_queued_ids"


def take_queued_ids(session: Session) -> list[int]:
    """The ids of the messages this session queued since the last call."""
    return session.info.pop(QUEUED_KEY, [])


def due_messages(
    session: Session, *, limit: int = 50, ids: list[int] | None = None
) -> list[OutboxMessage]:
    """Messages whose time has come (of these ids, if given), oldest first, locked against a
    second relay where the database can (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.done_at.is_(None), OutboxMessage.due_at <= utcnow())
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def mark_done(message: OutboxMessage) -> None:
    message.done_at = utcnow()
    message.last_error = None


def mark_failed(message: OutboxMessage, error: str) -> None:
    """Keep the message for a later attempt, backing off up to five minutes."""
    message.attempts += 1
    message.last_error = error[:2000]
    delay = min(300, 2 ** min(message.attempts, 8))
    message.due_at = utcnow() + dt.timedelta(seconds=delay)
