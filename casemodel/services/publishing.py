"""The `publish` step: what an earlier step prepared goes to the client.

The flow task calls run_publish_step; when the earlier step left nothing to publish, the step
waits on a staff task ("publish"), which complete_publish_task finishes when staff upload the
document on "Mijn stappen" or the office's dossier page.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.filestore import StoredFile
from casemodel.letters import client_locale
from casemodel.models import Document, Step, User
from casemodel.services.documents import add_version, publish_document, publish_draft
from casemodel.services.steps import (
    FINISHED_STATES,
    begin_step,
    claim_task,
    finish_step,
    finish_task,
    open_human_task,
    open_staff_task,
)


def drafts_of(session: Session, step: Step) -> list[Document]:
    """The drafts the step's source (an earlier step) left in the dossier, oldest first."""
    return list(
        session.scalars(
            select(Document)
            .where(
                Document.dossier_id == step.dossier_id,
                Document.step_key == step.settings["source"],
                Document.published_at.is_(None),
            )
            .order_by(Document.id)
        )
    )


def run_publish_step(session: Session, *, dossier_id: int, step_key: str) -> bool:
    """Publish every draft of the step's source into the step's folder (under its title, when
    it has one) and finish the step. With no draft, open the staff task that asks for the
    document and leave the step waiting.

    Returns:
        True when the step is finished, False when the flow run must wait for staff.
    """
    step = begin_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return True
    drafts = drafts_of(session, step)
    if not drafts:
        open_human_task(session, dossier_id=dossier_id, step_key=step_key)
        return False
    for document in drafts:
        _place(session, step, document)
        publish_draft(session, document=document, actor=None)
    finish_step(
        session, dossier_id=dossier_id, step_key=step_key,
        detail={"published": [d.id for d in drafts]},
    )  # fmt: skip
    return True


def complete_publish_task(
    session: Session, *, task_id: int, actor: User, stored: StoredFile, filename: str
) -> Document:
    """Staff upload the document a waiting `publish` step asks for: it is published to the
    client, the task and the step are done, and the flow run's resumption is queued, all in the
    caller's transaction. A step run again (a rejected approval sent the dossier back over it)
    adds a version to the document it published before, rather than a second document.

    Raises:
        NotFound: no such publish task in the actor's office. InvalidState: it is done already.
    """
    task = open_staff_task(session, task_id=task_id, kind="publish", actor=actor)
    claim_task(session, task=task, actor=actor)  # before publishing: a double click publishes once
    step = task.step
    earlier = published_by(session, step)
    if earlier is not None:
        add_version(session, document=earlier, stored=stored, filename=filename, actor=actor)
        document = earlier
    else:
        document = publish_document(
            session, dossier=task.dossier, folder=step.settings["folder"],
            title=document_title(session, step), stored=stored, filename=filename, actor=actor,
            step_key=step.key,
        )  # fmt: skip
    finish_task(session, task=task, actor=actor, detail={"published": [document.id]})
    return document


def published_by(session: Session, step: Step) -> Document | None:
    """The newest document the step published before (for a step run again)."""
    return session.scalar(
        select(Document)
        .where(Document.dossier_id == step.dossier_id, Document.step_key == step.key,
               Document.published_at.is_not(None))
        .order_by(Document.id.desc())
        .limit(1)
    )  # fmt: skip


def _place(session: Session, step: Step, document: Document) -> None:
    """A draft goes into the folder the publish step names, under the step's title if any."""
    document.folder = step.settings["folder"]
    if "title" in step.settings:
        document.title = document_title(session, step)


def document_title(session: Session, step: Step) -> str:
    """The title of a document the step places, in the client's language: the step's setting,
    else the step's own title."""
    locale = client_locale(session, step.dossier)
    title = step.settings.get("title")
    if title:
        return title["en" if locale == "en" else "nl"]
    return step.title(locale)
