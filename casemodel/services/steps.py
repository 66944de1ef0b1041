"""Step progress and human tasks: what the flow tasks and the office pages record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.actions import ACTIONS
from casemodel.db import claim_row, utcnow
from casemodel.models import Dossier, HumanTask, Step, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, MissingDate, NotAllowed, NotFound
from casemodel.services.outbox import enqueue

FINISHED_STATES = ("done", "skipped")
#: The human steps done by the office (their tasks are on "Mijn stappen"); the others (an
#: upload_request) wait for the client.
STAFF_KINDS = ("staff_task", "publish")


def get_step(session: Session, *, dossier_id: int, step_key: str) -> Step:
    step = session.scalar(select(Step).where(Step.dossier_id == dossier_id, Step.key == step_key))
    if step is None:
        raise NotFound(f"step {step_key} of dossier {dossier_id}")
    return step


def begin_step(session: Session, *, dossier_id: int, step_key: str) -> Step:
    """Mark a step as running (the flow reached it). A finished step stays finished."""
    step = get_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in ("pending", "failed"):
        step.state = "running"
        step.started_at = step.started_at or utcnow()
        session.flush()
    return step


def finish_step(
    session: Session,
    *,
    dossier_id: int,
    step_key: str,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> Step:
    """Mark a step done: the client's progress counter moves. Idempotent."""
    step = get_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return step
    now = utcnow()
    step.state = "done"
    step.started_at = step.started_at or now
    step.finished_at = now
    record_event(
        session,
        action="step.done",
        actor=actor,
        dossier_id=dossier_id,
        detail={"step": step_key, **(detail or {})},
    )
    session.flush()
    return step


def run_automatic_step(session: Session, *, dossier_id: int, step_key: str) -> Step:
    """Run the step's registered action and mark the step done, in one transaction."""
    step = begin_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return step
    result = ACTIONS[step.settings["action"]](session, step.dossier, step)
    return finish_step(
        session,
        dossier_id=dossier_id,
        step_key=step_key,
        detail={"action": step.settings["action"], "result": result},
    )


def open_human_task(session: Session, *, dossier_id: int, step_key: str) -> HumanTask:
    """Create the task for a human step, once: a second call returns the first task."""
    step = begin_step(session, dossier_id=dossier_id, step_key=step_key)
    task = session.scalar(select(HumanTask).where(HumanTask.step_id == step.id))
    if task is not None:
        return task
    audience = "staff" if step.kind in STAFF_KINDS else "client"
    task = HumanTask(
        dossier_id=dossier_id,
        step_id=step.id,
        kind=step.kind,
        audience=audience,
        assignee_id=step.dossier.handler_id if audience == "staff" else None,
        created_at=utcnow(),
    )
    if step.state not in FINISHED_STATES:
        step.state = "waiting"
    session.add(task)
    session.flush()
    record_event(
        session,
        action="task.opened",
        actor=None,
        dossier_id=dossier_id,
        detail={"step": step_key, "task_id": task.id},
    )
    return task


def complete_staff_task(
    session: Session, *, task_id: int, actor: User, key_date: dt.date | None = None
) -> HumanTask:
    """A staff member marks their step done. Records it, finishes the step (the counter moves at
    once) and queues the resumption of the flow run, all in the caller's transaction.

    Args:
        key_date: the date the step asks for (settings.asks_date), e.g. the signing date.
    Raises:
        NotFound: no such task for this actor's office. NotAllowed: the step needs a manager.
        InvalidState: the task is no longer open, or the asked date is missing.
    """
    task = open_staff_task(session, task_id=task_id, kind="staff_task", actor=actor)
    step = task.step
    if step.settings.get("role") == "manager" and not actor.is_manager:
        raise NotAllowed("this step is for a manager")
    date_name = step.settings.get("asks_date")
    if date_name and key_date is None:
        raise MissingDate(f"the step needs the date {date_name!r}")
    claim_task(session, task=task, actor=actor)
    if date_name:
        set_key_date(session, dossier=task.dossier, name=date_name, value=key_date, actor=actor)
    return finish_task(session, task=task, actor=actor)


def open_staff_task(session: Session, *, task_id: int, kind: str, actor: User) -> HumanTask:
    """An open office task of this kind that the staff member may do.

    Raises:
        NotFound: no such task for the actor's office. InvalidState: it is done already.
    """
    task = session.get(HumanTask, task_id)
    if (
        task is None
        or task.kind != kind
        or not actor.is_staff
        or (actor.office_id and task.dossier.office_id != actor.office_id)
    ):
        raise NotFound(f"task {task_id}")
    if task.state != "open":
        raise InvalidState("the task is already done")
    return task


def claim_task(session: Session, *, task: HumanTask, actor: User) -> None:
    """The task is done by this actor if it is still open, in one conditional UPDATE: a double
    click, or two colleagues at once, get one done and one InvalidState, never the step twice.
    Call it after the checks that may refuse and before any other write.

    Raises:
        InvalidState: it is done already.
    """
    if not claim_row(session, task, HumanTask.state == "open", state="done",
                     completed_at=utcnow(), completed_by_id=actor.id):  # fmt: skip
        raise InvalidState("the task is already done")


def close_task(
    session: Session, *, task: HumanTask, actor: User, detail: dict[str, Any] | None = None
) -> HumanTask:
    """A person has done their step: the task is done (claim_task), the step finished (the
    client's counter moves at once) and the flow run's resumption queued, in the caller's
    transaction."""
    claim_task(session, task=task, actor=actor)
    return finish_task(session, task=task, actor=actor, detail=detail)


def finish_task(
    session: Session, *, task: HumanTask, actor: User, detail: dict[str, Any] | None = None
) -> HumanTask:
    """The rest of close_task, for a caller that claimed the task before its own writes."""
    finish_step(
        session, dossier_id=task.dossier_id, step_key=task.step.key, actor=actor, detail=detail
    )
    enqueue_resume(session, dossier_id=task.dossier_id, step_key=task.step.key)
    return task


def enqueue_resume(
    session: Session, *, dossier_id: int, step_key: str, due_at: dt.datetime | None = None
) -> None:
    """Queue the resumption of the dossier's flow run past the given step."""
    suffix = f":{due_at.isoformat()}" if due_at else ""
    enqueue(
        session,
        kind="resume_flow_run",
        dedupe_key=f"resume:{dossier_id}:{step_key}{suffix}",
        payload={"dossier_id": dossier_id, "step_key": step_key},
        due_at=due_at,
    )


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
        if step.kind == "wait_until" and step.settings["date"] == name and step.state == "waiting":
            enqueue_resume(
                session, dossier_id=dossier.id, step_key=step.key, due_at=start_of_day(value)
            )
    session.flush()


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of the day in UTC. Offices work in Europe/Amsterdam; waiting until
    UTC midnight means the step passes at 01:00 or 02:00 local time, early enough."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


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
