"""The office's view of the limits on what accounts create: who hit one lately."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.db import utcnow
from casemodel.models import AuditEvent, Organisation, User

#: How far back the office's overview looks, and how many hits it shows at most.
LOOK_BACK = dt.timedelta(days=14)
MAX_SHOWN = 100


@dataclass(frozen=True)
class LimitHit:
    """An account refused by a limit (once an hour at most per account and limit)."""

    at: dt.datetime
    user: User | None
    organisation: Organisation | None
    limit: str
    scope: str
    #: From when it could go on again; None: never for that request (too much at once).
    until: dt.datetime | None


def limit_hits(session: Session, staff: User) -> list[LimitHit]:
    """The refusals of the last LOOK_BACK that concern the staff member's office (all offices
    for staff without one), newest first: its clients' accounts and organisations, and its
    own staff (invitations)."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "quota.exceeded", AuditEvent.created_at > utcnow() - LOOK_BACK)
        .order_by(AuditEvent.id.desc())
        .limit(MAX_SHOWN * 4)
    ).all()
    user_ids = {e.detail.get("user_id") for e in events}
    organisation_ids = {e.detail.get("organisation_id") for e in events}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    organisations = {
        o.id: o
        for o in session.scalars(select(Organisation).where(Organisation.id.in_(organisation_ids)))
    }
    hits = []
    for event in events:
        user = users.get(event.detail.get("user_id"))
        organisation = organisations.get(event.detail.get("organisation_id"))
        if not _of_office(staff, user, organisation):
            continue
        until = event.detail.get("until")
        hits.append(LimitHit(
            at=event.created_at, user=user, organisation=organisation,
            limit=event.detail.get("limit", ""), scope=event.detail.get("scope", "user"),
            until=dt.datetime.fromisoformat(until) if until else None,
        ))  # fmt: skip
    return hits[:MAX_SHOWN]


def _of_office(staff: User, user: User | None, organisation: Organisation | None) -> bool:
    """Whether a hit is of the staff member's offices: its organisation, a colleague, or a
    client of one of their organisations. Nothing for staff without an office."""
    if organisation is not None:
        return staff.works_for(organisation.office_id)
    if user is not None and user.is_staff:
        return any(staff.works_for(office.id) for office in user.offices)
    return user is not None and any(
        staff.works_for(m.organisation.office_id) for m in user.memberships
    )
