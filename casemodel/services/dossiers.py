"""Opening and closing dossiers."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from casemodel.casetemplates import CaseTemplate
from casemodel.db import claim_row, insert_for, utcnow
from casemodel.models import Dossier, DossierNumberSequence, HumanTask, Organisation, Step, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.outbox import enqueue
from casemodel.stepkinds import kind_of


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

    Copies the template's steps into the dossier's step mirror, opens its first step when a
    person does it (start_first_step) and queues the creation of its flow run, which the outbox
    relay carries out after the commit.

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
        number=next_dossier_number(session, office_id=organisation.office_id),
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
    start_first_step(session, dossier)
    return dossier


def start_first_step(session: Session, dossier: Dossier) -> None:
    """Open the dossier's first step now, in the opening's transaction, when a person does it.

    Why not wait for the run: a run costs about 0.9 s of CPU (Prefect's server and engine) up
    to its first suspension, so a burst of openings queues for minutes on two cores before the
    client or the handler sees their first task. The kind's `start` is idempotent, so the run,
    when it gets there, finds the step open and suspends on it (or goes past it, when it was
    done meanwhile: a resume that comes before the run waits stays queued until then). Only
    the first step, and only a human one without a `when:`: what a later step does depends on
    the steps before it, and an automatic step's work belongs to the run (its retries, its
    failure recorded by the flow). docs/DESIGN-notes.md, "The first step opens with the dossier".
    """
    first = min(dossier.steps, key=lambda step: step.position, default=None)
    if first is None or first.condition is not None:
        return
    kind = kind_of(first.kind)
    if kind.human and not kind.start_each_pass:
        kind.start(session, dossier_id=dossier.id, step_key=first.key)


def next_dossier_number(session: Session, *, office_id: int) -> str:
    """The office's next number of this year, "2026-00001" onwards, taken in one statement on
    the office's sequence row: openings at the same moment wait for each other's commit instead
    of taking the same number (the row lock on PostgreSQL, the write lock on SQLite)."""
    year = utcnow().year
    # The first opening of an office's year creates its row; a second one at the same moment
    # finds it there (ON CONFLICT DO NOTHING) and both go on to the increment.
    session.execute(
        insert_for(session, DossierNumberSequence)
        .values(office_id=office_id, year=year, last_value=0)
        .on_conflict_do_nothing(index_elements=["office_id", "year"])
    )
    sequence = session.execute(
        update(DossierNumberSequence)
        .where(DossierNumberSequence.office_id == office_id, DossierNumberSequence.year == year)
        .values(last_value=DossierNumberSequence.last_value + 1)
        .returning(DossierNumberSequence.last_value)
    ).scalar_one()
    return f"{year}-{sequence:05d}"


def mark_completed(session: Session, *, dossier: Dossier) -> Dossier:
    """Close a dossier whose flow run has gone through every step. Idempotent."""
    if dossier.status == "completed":
        return dossier
    dossier.status = "completed"
    dossier.completed_at = utcnow()
    record_event(session, action="dossier.completed", actor=None, dossier_id=dossier.id)
    session.flush()
    return dossier


def cancel_dossier(session: Session, *, dossier_id: int, reason: str) -> Dossier | None:
    """The dossier's run was cancelled (from the Prefect UI): the dossier is cancelled and its
    open tasks with it, so nobody is asked for a step that will never be used. Does nothing to
    a dossier that is completed or cancelled already.

    Returns:
        The dossier, or None when nothing changed.
    """
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"dossier {dossier_id}")
    if not claim_row(session, dossier, Dossier.status.in_(("open", "failed")), status="cancelled"):
        return None
    session.execute(
        update(HumanTask)
        .where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open")
        .values(state="cancelled")
        .execution_options(synchronize_session="fetch")
    )
    record_event(
        session, action="dossier.cancelled", actor=None, dossier_id=dossier_id,
        detail={"reason": reason[:500]},
    )  # fmt: skip
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
