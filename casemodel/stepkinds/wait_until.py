"""The `wait_until` step kind: the dossier waits for one of its dates (the signing date, a
filing deadline), set by staff (a staff_task's `asks_date`, or the dossier page).

    - key: until-signing
      title: {nl: Wachten op ondertekening, en: Waiting for the signing}
      kind: wait_until
      settings: {date: signing}     # the name of a dossier date

The run suspends with its resume queued for the start of that day; a date set or moved later
queues a resume for the new day (set_key_date). The step is decided again on every pass of the
flow body: the date may have moved while it waited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from casemodel.db import utcnow
from casemodel.models import Dossier, User
from casemodel.services.audit import record_event
from casemodel.services.steps import FINISHED_STATES, begin_step, enqueue_resume, finish_step
from casemodel.stepkinds.base import Settings, StepKind, key, only


def check_settings(settings: Settings, office_kind: str) -> None:
    only(settings, {"date"})
    if "date" not in settings:
        raise ValueError("settings.date is required (the name of a dossier date)")
    key(settings["date"], "settings.date")


def start(session: Session, *, dossier_id: int, step_key: str) -> None:
    wait_until_due(session, dossier_id=dossier_id, step_key=step_key)


def wait_until_due(session: Session, *, dossier_id: int, step_key: str) -> dt.datetime | None:
    """Decide a wait_until step. Returns None when its date has passed (the step is finished
    now), else the moment the flow run must be resumed; the step then waits, and the resume is
    queued for that moment (or, with the date still unknown, for when it is set)."""
    step = begin_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return None
    raw = step.dossier.key_dates.get(step.settings["date"])
    if raw is not None:
        due = start_of_day(dt.date.fromisoformat(raw))
        if due <= utcnow():
            finish_step(session, dossier_id=dossier_id, step_key=step_key)
            return None
        enqueue_resume(session, dossier_id=dossier_id, step_key=step_key, due_at=due)
    else:
        due = utcnow() + dt.timedelta(days=365)
    step.state = "waiting"
    session.flush()
    return due


def set_key_date(
    session: Session, *, dossier: Dossier, name: str, value: dt.date, actor: User | None
) -> None:
    """Set a dossier date (e.g. "signing"). A wait_until step already waiting on it is
    rescheduled for the new date."""
    dossier.key_dates = {**dossier.key_dates, name: value.isoformat()}
    record_event(
        session,
        action="dossier.date_set",
        actor=actor,
        dossier_id=dossier.id,
        detail={"name": name, "date": value.isoformat()},
    )
    for step in dossier.steps:
        if step.kind == KIND.name and step.settings["date"] == name and step.state == "waiting":
            enqueue_resume(
                session, dossier_id=dossier.id, step_key=step.key, due_at=start_of_day(value)
            )
    session.flush()


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of the day in UTC. Offices work in Europe/Amsterdam; waiting until
    UTC midnight means the step passes at 01:00 or 02:00 local time, early enough."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


KIND = StepKind(
    name="wait_until", check_settings=check_settings, start=start, start_each_pass=True
)
