"""Reading a questionnaire: its definition (the version it was sent with), its saved answers
and the files it may refer to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.definitions import questionnaire_definitions
from casemodel.i18n import translations
from casemodel.models import Questionnaire, QuestionnaireFile, QuestionnairePage
from forms import Definition, FileAnswer, Language, drop_hidden

#: `Questionnaire.current_page` once the client has gone past the last page: "Invullen" then
#: opens the summary. Never a page key (keys have no ":").
SUMMARY = ":summary"


def definition_of(questionnaire: Questionnaire) -> Definition:
    """The definition in the version the questionnaire was sent with."""
    return questionnaire_definitions().get(
        questionnaire.definition_key, questionnaire.definition_version
    )


def page_rows(
    session: Session, questionnaire: Questionnaire, *, fresh: bool = False
) -> dict[str, QuestionnairePage]:
    """The questionnaire's pages by key; `fresh` reads them again from the database (after
    the questionnaire was locked for a save), whatever the session holds."""
    query = select(QuestionnairePage).where(QuestionnairePage.questionnaire_id == questionnaire.id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return {row.page_key: row for row in session.scalars(query)}


def saved_answers(definition: Definition, rows: dict[str, QuestionnairePage]) -> dict[str, Any]:
    """Every saved answer, hidden ones left out (a later change on an earlier page may hide
    what a page saved before)."""
    merged: dict[str, Any] = {}
    for page in definition.pages:
        row = rows.get(page.key)
        if row is not None:
            merged.update(row.answers)
    return drop_hidden(definition, merged)


def answers_of(session: Session, questionnaire: Questionnaire) -> dict[str, Any]:
    """The questionnaire's saved answers (see saved_answers)."""
    return saved_answers(definition_of(questionnaire), page_rows(session, questionnaire))


def known_files(session: Session, questionnaire: Questionnaire) -> dict[str, FileAnswer]:
    """SHA-256 -> file, for every file uploaded for this questionnaire: only these may be a
    file answer."""
    rows = session.scalars(
        select(QuestionnaireFile).where(QuestionnaireFile.questionnaire_id == questionnaire.id)
    )
    return {
        row.sha256: FileAnswer(
            sha256=row.sha256,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
        )  # fmt: skip
        for row in rows
    }


def language(code: str | None) -> Language:
    """The language of a questionnaire's texts and messages outside a request (a flow task),
    from the compiled catalogs."""
    code = code if code in ("nl", "en") else "nl"
    return Language(code, translations(code))
