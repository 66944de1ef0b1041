"""Questionnaires as the pages show them, and the client's open actions ("Acties")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from casemodel.models import (
    Document,
    DocumentVersion,
    Dossier,
    Questionnaire,
    QuestionnaireFile,
    User,
)
from casemodel.queries.dossiers import visible_dossiers
from casemodel.services.errors import NotFound
from casemodel.services.rights import organisations_where


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
