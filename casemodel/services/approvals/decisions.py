"""What happens to an open request besides its approval: the client's "Niet akkoord" and
"Vraag?", and the office's withdrawal, change of recipient, a new version of the document, and
putting a document up ad hoc."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.db import claim_row, utcnow
from casemodel.i18n import gettext_for
from casemodel.models import ApprovalRequest, Document, Dossier, Message, User
from casemodel.recipients import recipients
from casemodel.services.approvals import step_kind
from casemodel.services.approvals.requests import (
    ApprovalRefused,
    ClientInfo,
    cancel_challenges,
    put_up,
    tell_office,
)
from casemodel.services.approvals.rights import may_approve
from casemodel.services.audit import record_event
from casemodel.services.documents import check_may_publish
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.messages import send_message
from forms import office_today

MAX_REASON = 2000
#: How the client wants to be contacted about a question ("Vraag?").
CONTACT_BY = ("phone", "email", "message")


def reject(
    session: Session, *, request: ApprovalRequest, actor: User, reason: str, client: ClientInfo
) -> ApprovalRequest:
    """"Niet akkoord": the client refuses the version, with a reason. The office is told; the
    dossier goes back to the step `on_reject` names (or the office is asked for a new
    version).

    Raises:
        NotAllowed: the actor may not approve for the organisation (nor so reject).
        ApprovalRefused: "reason_required", "reason_too_long", or "not_open".
    """
    if not may_approve(session, actor, request.organisation_id, request.document):
        raise NotAllowed("approving is not this user's right")
    reason = reason.replace("\r\n", "\n").strip()
    if not reason:
        raise ApprovalRefused("reason_required")
    if len(reason) > MAX_REASON:
        raise ApprovalRefused("reason_too_long")
    if not claim_row(session, request, ApprovalRequest.state == "open", state="rejected",
                     decided_at=utcnow(), decided_by_id=actor.id, reason=reason):  # fmt: skip
        raise ApprovalRefused("not_open")
    cancel_challenges(session, request, "decided")
    record_event(
        session, action="approval.rejected", actor=actor, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "version": request.version,
                "sha256": request.document_sha256, "reason": reason, "ip": client.ip,
                "user_agent": client.user_agent},
    )  # fmt: skip
    tell_office(session, request)
    step_kind.after_rejection(session, request, actor)
    session.flush()
    return request


def ask_question(
    session: Session,
    *,
    request: ApprovalRequest,
    actor: User,
    question: str,
    contact_by: str,
    phone: str = "",
) -> Message:
    """"Vraag?": a message to the dossier's handler about the document, saying how the client
    wants to be contacted. The request stays open.

    Raises:
        NotAllowed: the actor may not approve for the organisation.
        ApprovalRefused: "question_required", "not_open". InvalidMessage: too long.
        QuotaExceeded: the messages limit.
    """
    if not may_approve(session, actor, request.organisation_id, request.document):
        raise NotAllowed("approving is not this user's right")
    if request.state != "open":
        raise ApprovalRefused("not_open")
    if not question.strip():
        raise ApprovalRefused("question_required")
    if contact_by not in CONTACT_BY:
        raise InvalidState(f"unknown way of contact {contact_by!r}")
    _ = gettext_for(actor.locale)
    how = {
        "phone": _("Graag telefonisch contact") + (f" ({phone.strip()[:40]})" if phone.strip()
                                                   else ""),  # fmt: skip
        "email": _("Graag contact per e-mail (%(email)s)") % {"email": actor.email},
        "message": _("Graag antwoord via een bericht in het portaal"),
    }[contact_by]
    title = f"{request.document.title} (v{request.version})"
    message = send_message(
        session, dossier=request.dossier, author=actor,
        subject=(_("Vraag over %(document)s") % {"document": title})[:200],
        body=f"{question.strip()}\n\n{how}.",
    )  # fmt: skip
    record_event(
        session, action="approval.question", actor=actor, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "message_id": message.id, "contact_by": contact_by},
    )  # fmt: skip
    return message


def withdraw(
    session: Session, *, request: ApprovalRequest, actor: User, reason: str = "withdrawn"
) -> ApprovalRequest:
    """The office withdraws an open request (or a new version of its document replaces it):
    open challenges end, and a step waits for the office to place a document again.

    Raises:
        NotAllowed/NotFound: the actor is not staff of the dossier's office.
        InvalidState: the request is not open (approved, rejected or withdrawn already).
    """
    _check_office(actor, request.dossier)
    if not claim_row(session, request, ApprovalRequest.state == "open", state="withdrawn",
                     decided_at=utcnow(), decided_by_id=actor.id,
                     withdrawn_reason=reason):  # fmt: skip
        raise InvalidState("the request is not open")
    cancel_challenges(session, request, reason)
    record_event(
        session, action="approval.withdrawn", actor=actor, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "reason": reason, "version": request.version},
    )  # fmt: skip
    if reason == "withdrawn":
        step_kind.after_withdrawal(session, request)
    session.flush()
    return request


def replace_on_new_version(session: Session, *, document: Document, actor: User) -> None:
    """A new version of a document with an open request: the request for the old version is
    withdrawn (its challenges end: nobody approves what they no longer see) and the new version
    is put up in its place, to the same recipient, for the same step."""
    for request in session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.document_id == document.id, ApprovalRequest.state == "open"
        )
    ).all():
        withdraw(session, request=request, actor=actor, reason="new_version")
        put_up(session, dossier=request.dossier, document=document, recipient=request.recipient,
               actor=actor, due_date=request.due_date, step=request.step)  # fmt: skip


def change_recipient(
    session: Session, *, request: ApprovalRequest, recipient: str, actor: User
) -> ApprovalRequest:
    """The office sends an open request to another recipient: open challenges end, since the
    approver agreed to send it elsewhere.

    Raises:
        NotAllowed/NotFound: not the dossier's office. InvalidState: not open, unknown recipient.
    """
    _check_office(actor, request.dossier)
    if recipient not in recipients():
        raise InvalidState(f"unknown recipient {recipient!r}")
    previous = request.recipient
    if previous == recipient:
        return request
    if not claim_row(session, request, ApprovalRequest.state == "open",
                     ApprovalRequest.recipient == previous, recipient=recipient):  # fmt: skip
        raise InvalidState("the request is not open")
    cancel_challenges(session, request, "recipient_changed")
    record_event(
        session, action="approval.recipient_changed", actor=actor,
        dossier_id=request.dossier_id,
        detail={"request_id": request.id, "from": previous, "to": recipient},
    )  # fmt: skip
    session.flush()
    return request


def put_up_ad_hoc(
    session: Session,
    *,
    dossier: Dossier,
    document_id: int,
    recipient: str,
    actor: User,
    due_date: dt.date | None = None,
) -> ApprovalRequest:
    """Staff put a document of the dossier up for approval outside the template's steps (a
    quotation, an engagement letter: accountancy manual, "Accorderen").

    Raises:
        NotAllowed/NotFound: not the dossier's office; no such document in it.
        InvalidState: closed dossier, unknown recipient, a due date passed, already open.
    """
    _check_office(actor, dossier)
    if dossier.status != "open":
        raise InvalidState("the dossier is closed")
    document = session.get(Document, document_id)
    if document is None or document.dossier_id != dossier.id:
        raise NotFound(f"document {document_id}")
    if due_date is not None and due_date < office_today():
        raise InvalidState("the due date has passed")
    return put_up(session, dossier=dossier, document=document, recipient=recipient,
                  actor=actor, due_date=due_date)  # fmt: skip


def _check_office(actor: User, dossier: Dossier) -> None:
    if not actor.is_staff:
        raise NotAllowed("the office's work")
    if not actor.works_for(dossier.office_id):
        raise NotFound(f"dossier {dossier.id}")
    check_may_publish(actor, dossier)

