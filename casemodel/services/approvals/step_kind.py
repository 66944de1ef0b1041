"""The `approval` step kind, kept in one module: the check of its template settings, what its
flow task opens, the office placing the document, and where the dossier goes after the client's
decision (flows/steps.py:approval runs it).

    - key: accounts-approval
      title: {nl: Akkoord jaarrekening, en: Approval of the annual accounts}
      kind: approval
      settings:
        recipient: kvk              # casemodel.recipients: sent on there once approved
        source: accounts            # optional: an earlier publish or automatic step whose
                                    # document is put up; without it the office places one
        title: {nl: .., en: ..}     # optional: the title of a document the office places
        folder: documents           # optional: where such a document goes (or correspondence)
        instructions: {nl: .., en: ..}   # optional: for the staff member placing it
        due_in_days: 14             # optional: "graag vóór" in the portal
        on_reject: compile          # optional: "Niet akkoord" sends the dossier back to this
                                    # earlier office step (and the steps after it)

The step is done once the client approved and the document reached its recipient (at once for
the office itself). "Niet akkoord" goes back to `on_reject`, or without it asks the office for a
new version; either way the new version is put up again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.db import claim_row, utcnow
from casemodel.filestore import StoredFile
from casemodel.models import ApprovalRequest, Document, HumanTask, Step, User
from casemodel.recipients import RecipientError, recipient, recipients
from casemodel.services.approvals.requests import open_request_of, put_up
from casemodel.services.documents import add_version, publish_document
from casemodel.services.publishing import document_title
from casemodel.services.steps import (
    FINISHED_STATES,
    begin_step,
    claim_task,
    enqueue_resume,
    finish_step,
    get_step,
    open_human_task,
    open_staff_task,
    reopen_steps,
)
from forms import office_today

KIND = "approval"
FOLDERS = ("documents", "correspondence")
#: Earlier steps whose document an approval may put up.
SOURCE_KINDS = ("publish", "automatic")
#: Earlier steps a rejection may go back to: the office's own (a client is not asked again).
REJECT_TO_KINDS = ("staff_task", "publish", "automatic", "wait_until")


def check_settings(settings: dict[str, Any], office_kind: str) -> None:
    """The step's settings as a case template gives them. Raises ValueError saying what is
    wrong (the template loader adds the file and the step; check_order the earlier steps)."""
    unknown = set(settings) - {"recipient", "source", "title", "folder", "instructions",
                               "due_in_days", "on_reject"}  # fmt: skip
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    key = settings.get("recipient")
    try:
        known = recipients()
    except RecipientError as exc:
        raise ValueError(f"the recipients cannot be read: {exc}") from None
    if key not in known:
        raise ValueError(
            f"settings.recipient must be one of {', '.join(known)} (got {key!r}); recipients "
            "are configured in DOSSIERFLOW_RECIPIENTS"
        )
    if settings.get("folder", "documents") not in FOLDERS:
        raise ValueError("settings.folder must be 'documents' or 'correspondence'")
    for name in ("title", "instructions"):
        value = settings.get(name)
        if value is not None and not (
            isinstance(value, dict) and set(value) == {"nl", "en"}
            and all(isinstance(text, str) and text.strip() for text in value.values())
        ):  # fmt: skip
            raise ValueError(f"settings.{name} must have a non-empty 'nl' and 'en'")
    days = settings.get("due_in_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise ValueError("settings.due_in_days must be a whole number of days, at least 1")


def check_order(settings: dict[str, Any], earlier: list[tuple[str, str]]) -> None:
    """`source` and `on_reject` name earlier steps of the right kinds; `earlier` is (key,
    kind) of the steps before this one. Raises ValueError."""
    kinds = dict(earlier)
    for name, allowed in (("source", SOURCE_KINDS), ("on_reject", REJECT_TO_KINDS)):
        key = settings.get(name)
        if key is None:
            continue
        if key not in kinds:
            raise ValueError(f"settings.{name} must be the key of an earlier step (got {key!r})")
        if kinds[key] not in allowed:
            raise ValueError(
                f"settings.{name} {key!r} is a {kinds[key]} step; it must be one of: "
                f"{', '.join(allowed)}"
            )
    # Going back over a client's step would ask the client again for what they gave already.
    if "on_reject" in settings:
        keys = [key for key, _kind in earlier]
        between = earlier[keys.index(settings["on_reject"]):]
        for key, kind in between:
            if kind not in REJECT_TO_KINDS:
                raise ValueError(
                    f"settings.on_reject {settings['on_reject']!r} would repeat the {kind} "
                    f"step {key!r}: only office steps may lie between it and the approval"
                )


def open_for_step(session: Session, *, dossier_id: int, step_key: str) -> ApprovalRequest | None:
    """The flow reached the step (in this attempt): put the document up for approval, or, when
    there is none yet (or only a version the client already refused), ask the office on "Mijn
    stappen" to place it. Idempotent: the request of this attempt, open or approved, is
    returned as it is; None while the office is asked."""
    step = begin_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return None
    current = session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.step_id == step.id, ApprovalRequest.step_attempt == step.attempt,
               ApprovalRequest.state.in_(("open", "approved")))
        .order_by(ApprovalRequest.id.desc())
        .limit(1)
    )  # fmt: skip
    if current is not None:
        return current
    document = document_of(session, step)
    if document is not None and not _refused_before(session, step, document):
        request = put_up(
            session, dossier=step.dossier, document=document, actor=None, step=step,
            recipient=step.settings["recipient"], due_date=due_date_of(step),
        )  # fmt: skip
        step.state = "waiting"
        session.flush()
        return request
    ask_office_for_document(session, step)
    return None


def document_of(session: Session, step: Step) -> Document | None:
    """The document the step puts up: the one it put up before (a new attempt, a withdrawal),
    else the newest of its `source` step (published or a draft), else none yet."""
    earlier = session.scalar(
        select(ApprovalRequest.document_id)
        .where(ApprovalRequest.step_id == step.id)
        .order_by(ApprovalRequest.id.desc())
        .limit(1)
    )
    if earlier is not None:
        return session.get(Document, earlier)
    source = step.settings.get("source")
    if source is None:
        return None
    # A publish step's documents are the ones staff placed for it, or the drafts of its own
    # source that it published (those keep their maker's key).
    makers = [source]
    source_step = get_step(session, dossier_id=step.dossier_id, step_key=source)
    if source_step.kind == "publish":
        makers.append(source_step.settings["source"])
    return session.scalar(
        select(Document)
        .where(Document.dossier_id == step.dossier_id, Document.step_key.in_(makers),
               Document.folder.in_(FOLDERS))
        .order_by(Document.id.desc())
        .limit(1)
    )  # fmt: skip


def _refused_before(session: Session, step: Step, document: Document) -> bool:
    """Whether this very version was rejected or withdrawn for the step: then the office must
    place a new one first."""
    return (
        session.scalar(
            select(ApprovalRequest.id).where(
                ApprovalRequest.step_id == step.id,
                ApprovalRequest.document_id == document.id,
                ApprovalRequest.version == document.latest_version,
                ApprovalRequest.state.in_(("rejected", "withdrawn")),
            )
        )
        is not None
    )


def due_date_of(step: Step) -> dt.date | None:
    days = step.settings.get("due_in_days")
    return office_today() + dt.timedelta(days=days) if days else None


def ask_office_for_document(session: Session, step: Step) -> HumanTask:
    """The step waits for the office to place the document (a first one or a new version): its
    task is open on "Mijn stappen" and the office's dossier page."""
    task = session.scalar(select(HumanTask).where(HumanTask.step_id == step.id))
    if task is None or task.attempt < step.attempt:
        return open_human_task(session, dossier_id=step.dossier_id, step_key=step.key)
    claim_row(session, task, HumanTask.state != "open", state="open", created_at=utcnow(),
              completed_at=None, completed_by_id=None)  # fmt: skip
    step.state = "waiting"
    session.flush()
    return task


def place_document(
    session: Session, *, task_id: int, actor: User, stored: StoredFile, filename: str
) -> ApprovalRequest:
    """Staff place the document the step waits for ("Mijn stappen", the office's dossier page):
    the first one is published under the step's title, a later one is a new version of it; it
    is then put up for approval. One transaction; a double click places it once.

    Raises:
        NotFound: no such approval task in the actor's office. InvalidState: it is done already.
    """
    task = open_staff_task(session, task_id=task_id, kind=KIND, actor=actor)
    claim_task(session, task=task, actor=actor)
    step = task.step
    document = document_of(session, step)
    if document is None:
        document = publish_document(
            session, dossier=task.dossier, folder=step.settings.get("folder", "documents"),
            title=document_title(session, step), stored=stored, filename=filename,
            actor=actor, step_key=step.key,
        )  # fmt: skip
    else:
        add_version(session, document=document, stored=stored, filename=filename, actor=actor)
    request = open_request_of(session, step)  # a new version re-puts an open request itself
    return request or put_up(
        session, dossier=task.dossier, document=document, actor=actor, step=step,
        recipient=step.settings["recipient"], due_date=due_date_of(step),
    )  # fmt: skip


def after_rejection(session: Session, request: ApprovalRequest, actor: User) -> None:
    """"Niet akkoord" on a step's request: back to the step `on_reject` names (it and every
    step after it start a new attempt, and the run is resumed to walk them again), or, without
    it, the office is asked for a new version."""
    step = request.step
    if step is None:
        return
    back_to = step.settings.get("on_reject")
    if back_to is None:
        ask_office_for_document(session, step)
        return
    reopen_steps(
        session, dossier_id=step.dossier_id, from_key=back_to, through_key=step.key,
        actor=actor, detail={"request_id": request.id, "reason": "approval_rejected"},
    )  # fmt: skip
    enqueue_resume(session, dossier_id=step.dossier_id, step_key=step.key)


def after_withdrawal(session: Session, request: ApprovalRequest) -> None:
    """Staff withdrew a step's request: the step waits for them to place a document again."""
    if request.step is not None and request.step.state not in FINISHED_STATES:
        ask_office_for_document(session, request.step)


def finish_for(
    session: Session, request: ApprovalRequest, actor: User | None, detail: dict[str, Any]
) -> None:
    """The step is done (approved, and with the recipient: sent on), and the flow run's resume
    queued."""
    step = request.step
    if step is None or step.state in FINISHED_STATES:
        return
    finish_step(session, dossier_id=step.dossier_id, step_key=step.key, actor=actor,
                detail=detail)  # fmt: skip
    enqueue_resume(session, dossier_id=step.dossier_id, step_key=step.key)


def sends_on(request: ApprovalRequest) -> bool:
    """Whether the approved document goes on to a recipient outside the office."""
    return recipient(request.recipient).sends_on
