"""Opening and closing dossiers."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemodel.casetemplates import CaseTemplate
from casemodel.db import utcnow
from casemodel.models import Dossier, Organisation, Step, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.outbox import enqueue


def open_dossier(
    session: Session,
    *,
    template: CaseTemplate,
    organisation_id: int,
    description: str,
    actor: User,
    handler_id: int | None = None,
) -> Dossier:
    """Open a dossier for a client organisation from a case template.

    Copies the template's steps into the dossier's step mirror and queues the creation of its
    flow run, which the outbox relay carries out after the commit.

    Args:
        template: the (newest) version of the case template to run.
        organisation_id: the client organisation the dossier is for.
        description: what the client sees as the dossier's name, e.g. the address.
        actor: the staff member opening it; they become the handler unless handler_id says else.
    Returns:
        The new dossier, flushed, with its number.
    """
    if not actor.is_staff:
        raise NotAllowed("only office staff open dossiers")
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not actor.works_for(organisation.office_id):
        raise NotFound(f"organisation {organisation_id}")
    if organisation.office.kind != template.office_kind:
        raise NotAllowed(
            f"template {template.key} is for a {template.office_kind} office, "
            f"not a {organisation.office.kind} office"
        )
    description = description.strip()
    if not description:
        raise InvalidState("a dossier needs a description")
    dossier = Dossier(
        number=next_dossier_number(session),
        description=description[:300],
        office_id=organisation.office_id,
        organisation_id=organisation.id,
        handler_id=handler_id or actor.id,
        template_key=template.key,
        template_version=template.version,
        created_at=utcnow(),
        steps=[
            Step(
                key=step.key,
                title_nl=step.title_nl,
                title_en=step.title_en,
                position=position,
                kind=step.kind,
                counts_toward_progress=step.counts_toward_progress,
                settings=dict(step.settings),
                condition=step.when,
            )
            for position, step in enumerate(template.steps, start=1)
        ],
    )
    session.add(dossier)
    session.flush()
    record_event(
        session,
        action="dossier.opened",
        actor=actor,
        dossier_id=dossier.id,
        detail={"template": template.key, "version": template.version, "number": dossier.number},
    )
    enqueue(
        session,
        kind="start_flow_run",
        dedupe_key=f"start:{dossier.id}",
        payload={"dossier_id": dossier.id},
    )
    return dossier


def next_dossier_number(session: Session) -> str:
    """The next number of this year, "2026-00001" onwards. Two offices opening at the same
    instant collide on the unique constraint; the caller's transaction then fails and is retried
    by the person, which beats a gap-free sequence table for a handful of openings a day."""
    year = utcnow().year
    prefix = f"{year}-"
    last = session.scalar(select(func.max(Dossier.number)).where(Dossier.number.like(f"{prefix}%")))
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


def mark_completed(session: Session, *, dossier: Dossier) -> Dossier:
    """Close a dossier whose flow run has gone through every step. Idempotent."""
    if dossier.status == "completed":
        return dossier
    dossier.status = "completed"
    dossier.completed_at = utcnow()
    record_event(session, action="dossier.completed", actor=None, dossier_id=dossier.id)
    session.flush()
    return dossier


def record_flow_run(session: Session, *, dossier_id: int, flow_run_id: str) -> Dossier:
    """Remember which Prefect flow run runs the dossier."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"dossier {dossier_id}")
    if dossier.flow_run_id != flow_run_id:
        dossier.flow_run_id = flow_run_id
        record_event(
            session,
            action="dossier.flow_run_created",
            actor=None,
            dossier_id=dossier.id,
            detail={"flow_run_id": flow_run_id},
        )
    session.flush()
    return dossier
