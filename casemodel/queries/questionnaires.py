"""Questionnaires as the pages show them, and the client's open actions ("Acties")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import case, false, literal, null, select, union_all
from sqlalchemy.orm import Session, aliased, joinedload

from casemodel.definitions import questionnaire_definitions
from casemodel.models import (
    Document,
    DocumentVersion,
    Dossier,
    HumanTask,
    Questionnaire,
    QuestionnaireFile,
    Step,
    User,
)
from casemodel.queries.dossiers import visible_dossiers
from casemodel.services.errors import NotFound
from casemodel.services.rights import organisations_where
from casemodel.stepkinds import kind_of


def get_questionnaire_for(session: Session, questionnaire_id: int, user: User) -> Questionnaire:
    """Load a questionnaire the user may see: staff of the dossier's office; a client whose
    membership of the organisation it was sent to holds the right to see its dossiers or to
    fill in questionnaires (filling needs the latter: services.questionnaires.check_fillable).
    Anything else answers NotFound, like one that does not exist."""
    query = (
        select(Questionnaire)
        .options(joinedload(Questionnaire.dossier))
        .where(Questionnaire.id == questionnaire_id)
    )
    if user.is_staff:
        visible = visible_dossiers(user).with_only_columns(Dossier.id)
        query = query.where(Questionnaire.dossier_id.in_(visible))
    else:
        query = query.where(
            Questionnaire.organisation_id.in_(organisations_where(user, "view", "fill"))
        )
    questionnaire = session.scalar(query)
    if questionnaire is None:
        raise NotFound(f"questionnaire {questionnaire_id}")
    return questionnaire


def pdf_of(
    session: Session, questionnaire: Questionnaire, version: int | None = None
) -> tuple[Document, DocumentVersion]:
    """The questionnaire's PDF in one of its versions (the newest by default); NotFound before
    it was completed."""
    return _version(questionnaire.document, version, f"the PDF of questionnaire {questionnaire.id}")


def answered_file(
    session: Session, questionnaire: Questionnaire, file_id: int
) -> tuple[Document, DocumentVersion]:
    """A file answered in the completed questionnaire, as the document it became; NotFound for
    any other file (or one only uploaded, never answered)."""
    file = session.get(QuestionnaireFile, file_id)
    if file is None or file.questionnaire_id != questionnaire.id or file.document_id is None:
        raise NotFound(f"file {file_id} of questionnaire {questionnaire.id}")
    return _version(session.get(Document, file.document_id), None, f"file {file_id}")


def _version(document: Document | None, version: int | None, what: str):
    if document is None:
        raise NotFound(what)
    number = version or document.latest_version
    found = next((v for v in document.versions if v.version == number), None)
    if found is None:
        raise NotFound(f"version {number} of {what}")
    return document, found


def questionnaires_in(
    session: Session, dossier_id: int, *, withdrawn: bool = False
) -> list[Questionnaire]:
    """A dossier's questionnaires, oldest first (withdrawn ones only when asked: staff)."""
    query = (
        select(Questionnaire)
        .where(Questionnaire.dossier_id == dossier_id)
        .order_by(Questionnaire.sent_at, Questionnaire.id)
    )
    if not withdrawn:
        query = query.where(Questionnaire.state != "cancelled")
    return list(session.scalars(query))


class ActionDossier(NamedTuple):
    """What an action shows of its dossier."""

    id: int
    number: str
    description: str


@dataclass(frozen=True)
class Action:
    """One thing the client organisation is asked to do."""

    #: "questionnaire", "upload_request" or "approval"
    kind: str
    #: The questionnaire's id, the upload request's task id, or the approval request's id.
    id: int
    dossier: ActionDossier
    title_nl: str
    title_en: str
    due_date: dt.date | None
    sent_at: dt.datetime
    #: The office's remark when it sent a questionnaire back for rework.
    remark: str | None = None
    #: Some of it is done already (a questionnaire with saved pages).
    started: bool = False
    #: The dossier's step it belongs to (None: a questionnaire staff sent ad hoc).
    step_id: int | None = None

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_nl


#: The dossier of an action under its own name: the upload requests' IN (the visible dossiers)
#: must not correlate with it. Made once: an alias adapts each column it is asked for anew.
_ACTION_DOSSIER = aliased(Dossier, name="action_dossier")


def open_actions(session: Session, user: User, organisation_id: int | None) -> list[Action]:
    """The open questionnaires and upload requests of the organisation the client acts for that
    this person may do (its kind's client_rights, as the count in the menu), the first due
    first (those without a due date after them, oldest first).

    Every page shows them (the menu's count), so they are one statement of the columns shown,
    not entities: the open questionnaires and the open upload requests, UNION ALL."""

    def may_do(kind: str):
        return organisations_where(user, *kind_of(kind).client_rights, every=True)

    dossier = _ACTION_DOSSIER
    questionnaires = (
        select(
            literal("questionnaire").label("kind"), Questionnaire.id, dossier.id,
            dossier.number, dossier.description, Questionnaire.definition_key,
            Questionnaire.definition_version, null().label("title_nl"),
            null().label("title_en"), Questionnaire.due_date, Questionnaire.sent_at,
            case((Questionnaire.rework_requested_at.is_not(None), Questionnaire.rework_remark),
                 else_=null()).label("remark"),
            Questionnaire.current_page.is_not(None).label("started"), Questionnaire.step_id,
        )
        .join(dossier, Questionnaire.dossier_id == dossier.id)
        .where(
            Questionnaire.state == "open",
            Questionnaire.organisation_id == organisation_id,
            Questionnaire.organisation_id.in_(may_do("questionnaire")),
        )
    )  # fmt: skip
    visible = (
        visible_dossiers(user, organisation_id)
        .where(Dossier.organisation_id.in_(may_do("upload_request")))
        .with_only_columns(Dossier.id)
    )
    requests = (
        select(
            literal("upload_request"), HumanTask.id, dossier.id, dossier.number,
            dossier.description, null(), null(), Step.title_nl, Step.title_en, null(),
            HumanTask.created_at, null(), false(), HumanTask.step_id,
        )
        .join(dossier, HumanTask.dossier_id == dossier.id)
        .join(Step, HumanTask.step_id == Step.id)
        .where(
            HumanTask.kind == "upload_request",
            HumanTask.audience == "client",
            HumanTask.state == "open",
            HumanTask.dossier_id.in_(visible),
        )
    )  # fmt: skip
    actions = []
    for row in session.execute(union_all(questionnaires, requests)):
        (kind, action_id, dossier_id, number, description, definition_key, definition_version,
         title_nl, title_en, due_date, sent_at, remark, started, step_id) = row  # fmt: skip
        if kind == "questionnaire":
            title = questionnaire_definitions().get(definition_key, definition_version).title
            title_nl, title_en = title.nl, title.en
        actions.append(
            Action(kind, action_id, ActionDossier(dossier_id, number, description), title_nl,
                   title_en, due_date, sent_at, remark=remark, started=bool(started),
                   step_id=step_id)
        )  # fmt: skip
    return sorted(actions, key=action_order)


def action_order(action: Action) -> tuple:
    """The first due first; those without a due date after them, oldest first."""
    return (action.due_date is None, action.due_date or dt.date.min, action.sent_at, action.id)
