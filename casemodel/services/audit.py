"""Recording audit events in a hash chain per dossier (and one chain for the rest).

Appends to one chain take turns through the chain's head row (models.audit.AuditChainHead),
held from the append to the commit like any row lock. Two transactions that lock a head and
another row (a second chain, the same user) in opposite orders can deadlock on PostgreSQL, which
then rolls one of them back (an error for that request, nothing half-done). Requests append
late and commit at once, which keeps that rare; none appends to two chains today.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casemodel.db import insert_for, utcnow
from casemodel.models import AuditChainHead, AuditEvent, User

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
    chain = dossier_id or GLOBAL_CHAIN
    event = AuditEvent(
        dossier_id=dossier_id,
        actor_id=actor.id if actor else None,
        action=action,
        detail=detail or {},
        created_at=utcnow(),
        prev_hash=_take_turn(session, chain),
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    session.execute(
        update(AuditChainHead).where(AuditChainHead.chain == chain).values(last_hash=event.hash)
    )
    return event


#: The chain of the events that concern no dossier (dossier ids start at 1).
GLOBAL_CHAIN = 0


def _take_turn(session: Session, chain: int) -> str:
    """Lock the chain's head until this transaction ends and return the newest event's hash:
    read under the lock, it is the one every other append has committed on."""
    claim = (
        update(AuditChainHead)
        .where(AuditChainHead.chain == chain)
        .values(events=AuditChainHead.events + 1)
        .returning(AuditChainHead.last_hash)
    )
    newest = session.execute(claim).scalar()
    if newest is None:  # the chain's first event; another transaction may be adding it too
        session.execute(
            insert_for(session, AuditChainHead)
            .values(chain=chain, last_hash=GENESIS, events=0)
            .on_conflict_do_nothing()
        )
        newest = session.execute(claim).scalar_one()
    return newest


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
    one before it, and the newest is the one the chain's head names (none removed at the end)."""
    where = (
        AuditEvent.dossier_id == dossier_id
        if dossier_id is not None
        else AuditEvent.dossier_id.is_(None)
    )
    previous, count = GENESIS, 0
    for event in session.scalars(select(AuditEvent).where(where).order_by(AuditEvent.id)):
        if event.prev_hash != previous or event_hash(event) != event.hash:
            return False
        previous, count = event.hash, count + 1
    head = session.get(AuditChainHead, dossier_id or GLOBAL_CHAIN, populate_existing=True)
    if head is None:
        return count == 0
    return (head.last_hash, head.events) == (previous, count)


def broken_chains(session: Session) -> list[int | None]:
    """The chains that do not verify: a dossier's id, None for the global chain. Every chain
    with a head or with events is checked."""
    chains = set(session.scalars(select(AuditChainHead.chain)))
    dossier_ids = session.scalars(select(AuditEvent.dossier_id).distinct())
    chains.update(dossier_id or GLOBAL_CHAIN for dossier_id in dossier_ids)
    # GLOBAL_CHAIN is 0: `or None` names it as verify_chain does.
    return [chain or None for chain in sorted(chains) if not verify_chain(session, chain or None)]
