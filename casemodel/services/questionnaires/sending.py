"""Sending a questionnaire to the dossier's client organisation (by a step, or ad hoc by staff),
and withdrawing one sent ad hoc."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from casemodel.db import claim_row, utcnow
from casemodel.definitions import questionnaire_definitions
from casemodel.models import Dossier, HumanTask, Questionnaire, QuestionnairePage, Step, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.notifications import client_users, notify
from forms import Definition, office_today


def send_questionnaire(
    session: Session,
    *,
    dossier: Dossier,
    definition_key: str,
    actor: User,
    due_date: dt.date | None = None,
) -> Questionnaire:
    """Staff send a questionnaire to the dossier's client ad hoc, in the newest version of its
    definition. The caller has authorised the actor for the dossier
    (casemodel.queries.dossiers.get_dossier_for).

    Raises:
        NotAllowed: the actor is not staff. NotFound: another office's dossier, or no such
        definition for this office. InvalidState: the dossier is closed, or the due date has
        passed.
    """
    check_office(dossier, actor)
    if dossier.status != "open":
        raise InvalidState("the dossier is closed")
    try:
        definition = questionnaire_definitions().latest(definition_key)
    except KeyError:
        raise NotFound(f"questionnaire definition {definition_key!r}") from None
    if definition.office_kind != dossier.office.kind:
        raise NotFound(f"questionnaire definition {definition_key!r} for this office")
    if due_date is not None and due_date < office_today():
        raise InvalidState("the due date has passed")
    return create_questionnaire(
        session, dossier=dossier, definition=definition, actor=actor, due_date=due_date
    )


def check_office(dossier: Dossier, actor: User) -> None:
    """Staff of the dossier's office (or of every office) act on its questionnaires.

    Raises:
        NotAllowed: a client. NotFound: staff of another office (as if it did not exist).
    """
    if not actor.is_staff:
        raise NotAllowed("the office's work")
    if not actor.works_for(dossier.office_id):
        raise NotFound(f"dossier {dossier.id}")


def create_questionnaire(
    session: Session,
    *,
    dossier: Dossier,
    definition: Definition,
    actor: User | None,
    step: Step | None = None,
    task: HumanTask | None = None,
    due_date: dt.date | None = None,
) -> Questionnaire:
    """A new questionnaire with an empty row per page, and the client's people told (as their
    preference for questionnaires allows)."""
    questionnaire = Questionnaire(
        dossier_id=dossier.id, organisation_id=dossier.organisation_id,
        step_id=step.id if step else None, task_id=task.id if task else None,
        definition_key=definition.key, definition_version=definition.version,
        due_date=due_date, sent_by_id=actor.id if actor else None, sent_at=utcnow(),
        pages=[QuestionnairePage(page_key=page.key, answers={}) for page in definition.pages],
    )  # fmt: skip
    session.add(questionnaire)
    session.flush()
    record_event(
        session, action="questionnaire.sent", actor=actor, dossier_id=dossier.id,
        detail={"questionnaire_id": questionnaire.id, "definition": definition.key,
                "version": definition.version, "step": step.key if step else None},
    )  # fmt: skip
    notify(session, users=client_users(session, dossier), kind="questionnaire",
           dossier_id=dossier.id)  # fmt: skip
    return questionnaire


def withdraw_questionnaire(
    session: Session, *, questionnaire: Questionnaire, actor: User
) -> Questionnaire:
    """Staff withdraw an open questionnaire they sent ad hoc (one a step sent is part of the
    dossier's flow and stays). The caller has authorised the actor for it.

    Raises:
        NotAllowed: not staff, or the questionnaire belongs to a step. InvalidState: not open.
    """
    check_office(questionnaire.dossier, actor)
    if questionnaire.step_id is not None:
        raise NotAllowed("only a questionnaire sent ad hoc is withdrawn")
    if not claim_row(session, questionnaire, Questionnaire.state == "open", state="cancelled",
                     revision=Questionnaire.revision + 1):  # fmt: skip
        raise InvalidState("the questionnaire is not open")
    record_event(
        session, action="questionnaire.withdrawn", actor=actor,
        dossier_id=questionnaire.dossier_id, detail={"questionnaire_id": questionnaire.id},
    )  # fmt: skip
    return questionnaire
