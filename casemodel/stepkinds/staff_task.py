"""The `staff_task` step kind: a step the office does by hand and marks done on "Mijn stappen"
or the dossier page (an intake meeting, a signing), optionally for a manager only and
optionally asking a dossier date that later wait_until steps wait on.

    - key: signing
      title: {nl: Ondertekening, en: Signing}
      kind: staff_task
      settings:
        role: staff                 # optional: staff (default) or manager
        asks_date: signing          # optional: the dossier date it asks when done
        instructions: {nl: .., en: ..}   # optional: shown with the task
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from casemodel.models import HumanTask, User
from casemodel.services.errors import MissingDate, NotAllowed
from casemodel.services.steps import claim_task, finish_task, open_human_task, open_staff_task
from casemodel.stepkinds.base import Settings, StepKind, bilingual, key, only
from casemodel.stepkinds.wait_until import set_key_date


def check_settings(settings: Settings, office_kind: str) -> None:
    only(settings, {"role", "asks_date", "instructions"})
    if settings.get("role", "staff") not in ("staff", "manager"):
        raise ValueError("settings.role must be 'staff' or 'manager'")
    if "asks_date" in settings:
        key(settings["asks_date"], "settings.asks_date")
    if "instructions" in settings:
        bilingual(settings["instructions"], "settings.instructions")


def start(session: Session, *, dossier_id: int, step_key: str) -> None:
    """The office's task opens; the step waits for it."""
    open_human_task(session, dossier_id=dossier_id, step_key=step_key)


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
    task = open_staff_task(session, task_id=task_id, kind=KIND.name, actor=actor)
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


KIND = StepKind(name="staff_task", check_settings=check_settings, start=start, audience="staff")
