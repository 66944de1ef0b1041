"""Questionnaires as the pages show them, and the client's open actions ("Acties")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, load_only

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
from casemodel.services.questionnaires import definition_of
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


@dataclass(frozen=True)
class Action:
    """One thing the client organisation is asked to do."""

    #: "questionnaire", "upload_request" or "approval"
    kind: str
    #: The questionnaire's id, the upload request's task id, or the approval request's id.
    id: int
    dossier: Dossier
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


#: What an action shows of its dossier; every page shows the actions (the menu's count), so
#: they load no more (a page that needs the rest of the dossier loads it, filling in these).
ACTION_DOSSIER = (Dossier.number, Dossier.description, Dossier.organisation_id)


def open_actions(session: Session, user: User, organisation_id: int | None) -> list[Action]:
    """The open questionnaires and upload requests of the organisation the client acts for that
    this person may do (its kind's client_rights, as the count in the menu), the first due
    first (those without a due date after them, oldest first)."""
    def may_do(kind: str):
        return organisations_where(user, *kind_of(kind).client_rights, every=True)

    actions = []
    questionnaires = session.scalars(
        select(Questionnaire)
        .options(joinedload(Questionnaire.dossier).load_only(*ACTION_DOSSIER))
        .where(
            Questionnaire.state == "open",
            Questionnaire.organisation_id == organisation_id,
            Questionnaire.organisation_id.in_(may_do("questionnaire")),
        )
    )
    for questionnaire in questionnaires:
        title = definition_of(questionnaire).title
        actions.append(
            Action(
                "questionnaire", questionnaire.id, questionnaire.dossier, title.nl, title.en,
                questionnaire.due_date, questionnaire.sent_at,
                remark=questionnaire.rework_remark if questionnaire.rework_requested_at else None,
                started=questionnaire.current_page is not None, step_id=questionnaire.step_id,
            )
        )  # fmt: skip
    requests = session.scalars(
        select(HumanTask)
        .options(
            load_only(HumanTask.id, HumanTask.dossier_id, HumanTask.step_id, HumanTask.created_at),
            joinedload(HumanTask.dossier).load_only(*ACTION_DOSSIER),
            joinedload(HumanTask.step).load_only(Step.key, Step.title_nl, Step.title_en),
        )
        .where(
            HumanTask.kind == "upload_request",
            HumanTask.audience == "client",
            HumanTask.state == "open",
            HumanTask.dossier_id.in_(
                visible_dossiers(user, organisation_id)
                .where(Dossier.organisation_id.in_(may_do("upload_request")))
                .with_only_columns(Dossier.id)
            ),
        )
    )
    for task in requests:
        actions.append(
            Action("upload_request", task.id, task.dossier, task.step.title_nl,
                   task.step.title_en, None, task.created_at, step_id=task.step_id)
        )  # fmt: skip
    return sorted(actions, key=action_order)


def action_order(action: Action) -> tuple:
    """The first due first; those without a due date after them, oldest first."""
    return (action.due_date is None, action.due_date or dt.date.min, action.sent_at, action.id)
