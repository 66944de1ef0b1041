"""Dossiers whose run stopped: a failed step kept with its error, runs rescheduled after a
crash (within a limit), and staff retrying a failed dossier from its failed step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemodel.db import claim_row, utcnow
from casemodel.models import AuditEvent, Dossier, Step, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.outbox import enqueue
from casemodel.services.steps import FINISHED_STATES, get_step

#: A run that stops this often within RECOVERY_WINDOW is not rescheduled again: its dossier
#: fails, for staff to look at (a step that kills its process every time would loop for ever).
MAX_RECOVERIES = 3
RECOVERY_WINDOW = dt.timedelta(hours=1)


def fail_step(
    session: Session, *, dossier_id: int, error: str, step_key: str | None = None
) -> Step | None:
    """The dossier's run failed at this step (default: its first unfinished one): the step and
    the dossier are failed, the error kept for staff (the client sees the dossier as delayed).
    Does nothing to a dossier that is not open (already failed, completed or cancelled).

    Returns:
        The failed step, or None when nothing changed.
    """
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"dossier {dossier_id}")
    step = (
        get_step(session, dossier_id=dossier_id, step_key=step_key)
        if step_key
        else next((s for s in dossier.steps if s.state not in FINISHED_STATES), None)
    )
    if step is None or step.state in FINISHED_STATES:
        return None
    if not claim_row(session, dossier, Dossier.status == "open", status="failed"):
        return None
    step.state = "failed"
    step.error = error[:4000]
    record_event(
        session, action="step.failed", actor=None, dossier_id=dossier_id,
        detail={"step": step.key, "error": error[:500]},
    )  # fmt: skip
    session.flush()
    return step


def retry_dossier(session: Session, *, dossier_id: int, actor: User) -> Dossier:
    """Staff retry a failed dossier from its failed step: the dossier is open again, the step
    pending, and the run's restart is queued (the relay puts the flow run back in the work
    pool; finished steps come back from the task cache, the failed one runs again).

    Raises:
        NotAllowed: not staff. NotFound: not a dossier of the actor's office.
        InvalidState: the dossier has not failed (or another retry was first).
    """
    if not actor.is_staff:
        raise NotAllowed("only office staff retry dossiers")
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or not actor.works_for(dossier.office_id):
        raise NotFound(f"dossier {dossier_id}")
    if not claim_row(session, dossier, Dossier.status == "failed", status="open"):
        raise InvalidState("the dossier has not failed")
    failed = [step for step in dossier.steps if step.state == "failed"]
    for step in failed:
        step.state = "pending"
        step.error = None
    retries = _count_events(session, dossier_id, "dossier.retried") + 1
    record_event(
        session, action="dossier.retried", actor=actor, dossier_id=dossier_id,
        detail={"steps": [step.key for step in failed], "retry": retries},
    )  # fmt: skip
    enqueue(
        session, kind="retry_flow_run", dedupe_key=f"retry:{dossier_id}:{retries}",
        payload={"dossier_id": dossier_id},
    )  # fmt: skip
    session.flush()
    return dossier


def may_reschedule(session: Session, *, dossier_id: int, run_state: str, message: str) -> bool:
    """A run of this open dossier stopped without finishing (Crashed, or stuck Pending after a
    worker died): whether it may be put back in the work pool. Yes, recorded in the dossier's
    log, up to MAX_RECOVERIES within RECOVERY_WINDOW; after that the dossier fails instead."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or dossier.status != "open":
        return False
    since = utcnow() - RECOVERY_WINDOW
    recent = _count_events(session, dossier_id, "dossier.run_rescheduled", since=since)
    if recent >= MAX_RECOVERIES:
        fail_step(
            session, dossier_id=dossier_id,
            error=f"The run stopped {recent + 1} times within an hour ({run_state}: {message})",
        )  # fmt: skip
        return False
    record_event(
        session, action="dossier.run_rescheduled", actor=None, dossier_id=dossier_id,
        detail={"run_state": run_state, "message": message[:500]},
    )  # fmt: skip
    return True


def _count_events(
    session: Session, dossier_id: int, action: str, since: dt.datetime | None = None
) -> int:
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.dossier_id == dossier_id, AuditEvent.action == action)
    )
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    return session.scalar(query)
