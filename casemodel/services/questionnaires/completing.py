"""Completing a questionnaire ("Voltooien") and sending it back for rework.

Completing checks every answer once more with the definition, renders the PDF once (forms'
reportlab rendering, the same bytes for the same answers) and stores it as a document under
"Door mij aangeleverd", makes each answered file a document there too, tells the office, and,
for a step's questionnaire, finishes the step and queues the flow run's resumption: all in the
caller's transaction, so a failure anywhere leaves the questionnaire open and nothing half-done.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casemodel.db import claim_row, utcnow
from casemodel.filestore import FileStore, StoredFile
from casemodel.models import Questionnaire, QuestionnaireFile, User
from casemodel.services.audit import record_event
from casemodel.services.documents import supply_document, supply_version
from casemodel.services.errors import InvalidState
from casemodel.services.notifications import client_users, notify
from casemodel.services.office_settings import office_logo_bytes
from casemodel.services.questionnaires.answers import (
    SUMMARY,
    definition_of,
    page_rows,
    saved_answers,
)
from casemodel.services.questionnaires.filling import check_fillable
from casemodel.services.questionnaires.sending import check_office
from casemodel.services.steps import close_task, reopen_task
from forms import Language, PdfHeader, render_pdf, summarise, validate_answers
from forms.summary import AnswerLine, GroupSummary

#: The longest remark staff may send with a rework.
MAX_REMARK = 2000


class AnswersChanged(InvalidState):
    """A page was saved after the summary the client completed from was shown: they check the
    summary again before completing."""


class InvalidRemark(InvalidState):
    """A rework needs a remark of at most MAX_REMARK characters."""


def complete_questionnaire(
    session: Session,
    *,
    questionnaire: Questionnaire,
    actor: User,
    lang: Language,
    store: FileStore,
    revision: int,
) -> Questionnaire:
    """The client completes the questionnaire from its summary page.

    Args:
        lang: the client's language now: the PDF is written in it.
        store: the portal's file store, for the PDF.
        revision: the questionnaire's revision when the summary was shown.
    Raises:
        AnswersInvalid (forms): an answer is missing or wrong (nothing changed).
        AnswersChanged: someone saved a page since the summary was shown.
        NotAllowed, InvalidState: see check_fillable; also completed at this moment by another.
    """
    check_fillable(session, questionnaire, actor)
    definition = definition_of(questionnaire)
    rows = page_rows(session, questionnaire, fresh=True)
    answers = validate_answers(definition, saved_answers(definition, rows), lang)
    now = utcnow()
    claimed = claim_row(
        session, questionnaire, Questionnaire.state == "open", Questionnaire.revision == revision,
        state="completed", revision=Questionnaire.revision + 1, completed_at=now,
        completed_by_id=actor.id, language=lang.code, current_page=SUMMARY,
    )  # fmt: skip
    if not claimed:
        state = session.scalar(
            select(Questionnaire.state).where(Questionnaire.id == questionnaire.id)
        )
        if state != "open":
            raise InvalidState(f"the questionnaire is {state}")
        raise AnswersChanged("a page was saved since the summary was shown")
    for row in rows.values():  # hidden answers and drafts are not kept
        row.answers = {key: value for key, value in answers.items() if key in row.answers}
        row.draft = None
    document, version = _store_pdf(session, questionnaire, definition, answers, lang, actor, store)
    supplied = _supply_files(session, questionnaire, summarise(definition, answers, lang), actor)
    if questionnaire.task is not None:
        close_task(session, task=questionnaire.task, actor=actor,
                   detail={"questionnaire_id": questionnaire.id})  # fmt: skip
    dossier = questionnaire.dossier
    staff = dossier.handler or dossier.organisation.contact_person
    if staff is not None:
        notify(session, users=[staff], kind="questionnaire_done", dossier_id=dossier.id)
    record_event(
        session, action="questionnaire.completed", actor=actor, dossier_id=dossier.id,
        detail={"questionnaire_id": questionnaire.id, "definition": definition.key,
                "version": definition.version, "language": lang.code,
                "document_id": document.id, "document_version": version.version,
                "sha256": version.sha256, "files": supplied},
    )  # fmt: skip
    session.flush()
    return questionnaire


def _store_pdf(session, questionnaire, definition, answers, lang, actor, store: FileStore):
    dossier = questionnaire.dossier
    header = PdfHeader(
        office_name=dossier.office.name, dossier_number=dossier.number,
        dossier_description=dossier.description, filled_by=actor.name,
        completed_at=questionnaire.completed_at,
        logo=office_logo_bytes(dossier.office, store),  # the office's letterhead
    )  # fmt: skip
    pdf = render_pdf(definition, answers, lang, header)
    stored = store.put(io.BytesIO(pdf), max_bytes=len(pdf))
    title = definition.title.get(lang.code)
    filename = f"{title} {dossier.number}.pdf"
    if questionnaire.document is None:
        document = supply_document(
            session, dossier=dossier, title=title, stored=stored, filename=filename,
            actor=actor, step_key=questionnaire.step.key if questionnaire.step else None,
        )  # fmt: skip
        questionnaire.document = document
        return document, document.versions[-1]
    document = questionnaire.document
    return document, supply_version(
        session, document=document, stored=stored, filename=filename, actor=actor
    )


def _file_lines(pages) -> Iterator[AnswerLine]:
    """Every answered file of a summary, in the order of the questionnaire."""
    for page in pages:
        for item in page.items:
            if isinstance(item, GroupSummary):
                yield from (line for row in item.rows for line in row.lines if line.file)
            elif item.file is not None:
                yield item


def _supply_files(session: Session, questionnaire, pages, actor: User) -> list[int]:
    """Each answered file a document under "Door mij aangeleverd" (once, also after a rework);
    files uploaded but not answered in the end are no longer kept."""
    rows = {
        row.sha256: row
        for row in session.scalars(
            select(QuestionnaireFile).where(QuestionnaireFile.questionnaire_id == questionnaire.id)
        )
    }
    supplied, used = [], set()
    for line in _file_lines(pages):
        file, row = line.file, rows.get(line.file["sha256"])
        used.add(file["sha256"])
        if row is None or row.document_id is not None:
            continue
        document = supply_document(
            session, dossier=questionnaire.dossier, title=f"{line.label} – {file['filename']}",
            stored=StoredFile(file["sha256"], file["size"], file["content_type"]),
            filename=file["filename"], actor=actor,
            step_key=questionnaire.step.key if questionnaire.step else None,
        )  # fmt: skip
        row.document_id = document.id
        supplied.append(document.id)
    session.execute(
        delete(QuestionnaireFile).where(
            QuestionnaireFile.questionnaire_id == questionnaire.id,
            QuestionnaireFile.document_id.is_(None),
            QuestionnaireFile.sha256.not_in(used),
        )
    )
    return supplied


def send_back(
    session: Session, *, questionnaire: Questionnaire, actor: User, remark: str
) -> Questionnaire:
    """Staff send a completed questionnaire back for rework: it opens again for the client with
    every answer kept and the remark shown, and a step's task and step are open again. The
    caller has authorised the actor for the questionnaire.

    Raises:
        NotAllowed: not staff. NotFound: another office's. InvalidRemark: no remark, or too
        long.
        InvalidState: not completed, or the dossier is closed.
    """
    check_office(questionnaire.dossier, actor)
    remark = remark.strip()
    if not remark or len(remark) > MAX_REMARK:
        raise InvalidRemark("a remark of 1 to 2000 characters")
    if questionnaire.dossier.status != "open":
        raise InvalidState("the dossier is closed")
    if not claim_row(
        session, questionnaire, Questionnaire.state == "completed", state="open",
        revision=Questionnaire.revision + 1, rework_remark=remark,
        rework_requested_at=utcnow(), rework_requested_by_id=actor.id, current_page=SUMMARY,
    ):  # fmt: skip
        raise InvalidState("the questionnaire is not completed")
    if questionnaire.task is not None:
        reopen_task(session, task=questionnaire.task, actor=actor,
                    detail={"questionnaire_id": questionnaire.id})  # fmt: skip
    notify(session, users=client_users(session, questionnaire.dossier), kind="questionnaire",
           dossier_id=questionnaire.dossier_id)  # fmt: skip
    record_event(
        session, action="questionnaire.sent_back", actor=actor,
        dossier_id=questionnaire.dossier_id,
        detail={"questionnaire_id": questionnaire.id, "remark": remark[:500]},
    )  # fmt: skip
    return questionnaire
