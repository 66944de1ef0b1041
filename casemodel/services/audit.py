"""Recording audit events in a hash chain per dossier (and one chain for the rest)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.db import utcnow
from casemodel.models import AuditEvent, User

GENESIS = "0" * 64


def record_event(
    session: Session,
    *,
    action: str,
    actor: User | None,
    dossier_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the dossier's chain (or the global chain when dossier_id is None).

    Args:
        action: what happened, e.g. "dossier.opened", "step.done".
        actor: who did it; None when the system did (a flow task, the relay).
        detail: small JSON-safe facts worth keeping (never secrets or file contents).
    Returns:
        The new event, flushed.
    """
    previous = session.scalar(
        select(AuditEvent.hash)
        .where(
            AuditEvent.dossier_id == dossier_id
            if dossier_id is not None
            else AuditEvent.dossier_id.is_(None)
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    event = AuditEvent(
        dossier_id=dossier_id,
        actor_id=actor.id if actor else None,
        action=action,
        detail=detail or {},
        created_at=utcnow(),
        prev_hash=previous or GENESIS,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def event_hash(event: AuditEvent) -> str:
    content = json.dumps(
        [
            event.prev_hash,
            event.dossier_id,
            event.actor_id,
            event.action,
            event.detail,
            event.created_at.isoformat(),
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def verify_chain(session: Session, dossier_id: int | None) -> bool:
    """True when every event of the chain still hashes to what was recorded and links to the
    one before it."""
    where = (
        AuditEvent.dossier_id == dossier_id
        if dossier_id is not None
        else AuditEvent.dossier_id.is_(None)
    )
    previous = GENESIS
    for event in session.scalars(select(AuditEvent).where(where).order_by(AuditEvent.id)):
        if event.prev_hash != previous or event_hash(event) != event.hash:
            return False
        previous = event.hash
    return True
