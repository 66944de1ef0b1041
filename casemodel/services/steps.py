"""Step progress and human tasks: what the flow tasks and the office pages record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from casemodel.actions import ACTIONS
from casemodel.db import claim_row, utcnow
from casemodel.models import Dossier, HumanTask, OutboxMessage, Step, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, MissingDate, NotAllowed, NotFound
from casemodel.services.outbox import enqueue

FINISHED_STATES = ("done", "skipped")
#: The human steps done by the office (their tasks are on "Mijn stappen"); the others (an
#: upload_request, a questionnaire) wait for the client. An approval step's task is the office's
#: (placing the document to approve); the client's part is its approval request.
STAFF_KINDS = ("staff_task", "publish", "approval")


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


def skip_step(
    session: Session, *, dossier_id: int, step_key: str, detail: dict[str, Any] | None = None
) -> Step:
    """A step whose template `when:` does not hold for this dossier: it is skipped, never runs,
    and leaves the client's progress count. Idempotent."""
    step = get_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return step
    step.state = "skipped"
    step.finished_at = utcnow()
    record_event(
        session, action="step.skipped", actor=None, dossier_id=dossier_id,
        detail={"step": step_key, **(detail or {})},
    )  # fmt: skip
    session.flush()
    return step


def reopen_task(
    session: Session, *, task: HumanTask, actor: User, detail: dict[str, Any] | None = None
) -> HumanTask:
    """A done human step is open again (a questionnaire sent back for rework): its task waits
    for the person once more and the step is no longer finished, so the client's counter goes
    back and a flow run that comes back to the step waits for it. Nothing is queued: the run
    is resumed when the task is done again.

    Raises:
        InvalidState: the task is not done.
    """
    if not claim_row(session, task, HumanTask.state == "done", state="open",
                     completed_at=None, completed_by_id=None):  # fmt: skip
        raise InvalidState("the task is not done")
    step = task.step
    step.state, step.finished_at = "waiting", None
    record_event(
        session, action="step.reopened", actor=actor, dossier_id=task.dossier_id,
        detail={"step": step.key, **(detail or {})},
    )  # fmt: skip
    session.flush()
    return task


def reopen_steps(
    session: Session,
    *,
    dossier_id: int,
    from_key: str,
    through_key: str,
    actor: User | None,
    detail: dict[str, Any] | None = None,
) -> list[Step]:
    """Send the dossier back: every step from `from_key` through `through_key` starts a new
    attempt (a rejected approval going back to the step that adjusts the document). Each is
    pending again with its attempt raised, so the flow run, whose body starts from the top on
    its next resume, runs them again under new cache and suspension keys (flows/steps.py), and
    their tasks open again as the run reaches them (open_human_task). Steps skipped by their
    `when:` stay skipped. The caller queues the resume.

    Raises:
        InvalidState: `from_key` does not come before `through_key`.
    """
    first = get_step(session, dossier_id=dossier_id, step_key=from_key)
    last = get_step(session, dossier_id=dossier_id, step_key=through_key)
    if first.position >= last.position:
        raise InvalidState(f"{from_key} does not come before {through_key}")
    again = list(
        session.scalars(
            select(Step)
            .where(Step.dossier_id == dossier_id, Step.position.between(first.position,
                   last.position), Step.state != "skipped")
            .order_by(Step.position)
        )
    )  # fmt: skip
    for step in again:
        step.attempt += 1
        step.state, step.started_at, step.finished_at = "pending", None, None
    record_event(
        session, action="step.reopened", actor=actor, dossier_id=dossier_id,
        detail={"steps": [s.key for s in again], "attempts": [s.attempt for s in again],
                **(detail or {})},
    )  # fmt: skip
    session.flush()
    return again


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
    """Create the task for a human step, once per attempt of the step: a second call returns
    the first task; in a new attempt (reopen_steps) the step's done task is open again."""
    step = begin_step(session, dossier_id=dossier_id, step_key=step_key)
    task = session.scalar(select(HumanTask).where(HumanTask.step_id == step.id))
    if task is not None:
        if task.attempt < step.attempt and step.state not in FINISHED_STATES:
            task.state, task.attempt, task.created_at = "open", step.attempt, utcnow()
            task.completed_at = task.completed_by_id = None
            step.state = "waiting"
            record_event(
                session, action="task.opened", actor=None, dossier_id=dossier_id,
                detail={"step": step_key, "task_id": task.id, "attempt": step.attempt},
            )  # fmt: skip
            session.flush()
        return task
    audience = "staff" if step.kind in STAFF_KINDS else "client"
    task = HumanTask(
        dossier_id=dossier_id,
        step_id=step.id,
        kind=step.kind,
        audience=audience,
        attempt=step.attempt,
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
        or not actor.works_for(task.dossier.office_id)
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
    key = f"resume:{dossier_id}:{step_key}"
    if due_at:
        key += f":{due_at.isoformat()}"
    else:
        # A step finished again after it was reopened (a questionnaire sent back for rework)
        # needs a resume of its own: the first one is delivered, and a run that came back to
        # the step waits for a new one.
        earlier = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(or_(OutboxMessage.dedupe_key == key,
                       OutboxMessage.dedupe_key.startswith(f"{key}:again-")))
        )  # fmt: skip
        if earlier:
            key += f":again-{earlier}"
    enqueue(
        session,
        kind="resume_flow_run",
        dedupe_key=key,
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
