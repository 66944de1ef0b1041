"""Putting a document version up for approval, and what every decision about a request shares:
its approvers, its open challenges, who opened it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemodel.db import utcnow
from casemodel.models import (
    ApprovalChallenge,
    ApprovalRequest,
    ApprovalView,
    Document,
    DocumentVersion,
    Dossier,
    Organisation,
    Step,
    User,
)
from casemodel.recipients import recipients
from casemodel.services.approvals.rights import may_approve
from casemodel.services.audit import record_event
from casemodel.services.documents import OFFICE_FOLDERS, publish_draft
from casemodel.services.errors import DomainError, InvalidState, NotFound
from casemodel.services.notifications import notify


class ApprovalRefused(DomainError):
    """What an approver asked cannot be done; `reason` says why, for a message in their
    language: "not_open" (decided or withdrawn meanwhile), "not_opened" (this user has not
    opened this version), "challenge_ended" (a new version, a withdrawal or a new recipient
    cancelled it, or too many codes), "challenge_expired", "no_second_factor", "code_not_sent",
    "reason_required", "reason_too_long", "question_required"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, for the evidence."""

    ip: str | None
    user_agent: str | None


def put_up(
    session: Session,
    *,
    dossier: Dossier,
    document: Document,
    recipient: str,
    actor: User | None,
    due_date: dt.date | None = None,
    step: Step | None = None,
) -> ApprovalRequest:
    """Put the document's newest version up to the dossier's client organisation for approval
    (a draft is published first: one cannot approve what one cannot see). Its approvers are
    told by mail.

    Raises:
        InvalidState: the document is not an office document of this dossier, the recipient is
            unknown, or the document (or the step) has an open request already.
    """
    if document.dossier_id != dossier.id or document.folder not in OFFICE_FOLDERS:
        raise InvalidState("only the office's documents of this dossier are approved")
    if recipient not in recipients():
        raise InvalidState(f"unknown recipient {recipient!r}")
    if document.published_at is None:
        publish_draft(session, document=document, actor=actor)
    version = session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.version == document.latest_version,
        )
    )
    request = ApprovalRequest(
        dossier_id=dossier.id, organisation_id=dossier.organisation_id,
        step_id=step.id if step else None, step_attempt=step.attempt if step else None,
        document_id=document.id, version=version.version, document_sha256=version.sha256,
        recipient=recipient, due_date=due_date, created_at=utcnow(),
        created_by_id=actor.id if actor else None,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:  # uq_approval_requests_open_document / _open_step
        raise InvalidState("this document or step has an open approval request") from None
    record_event(
        session, action="approval.requested", actor=actor, dossier_id=dossier.id,
        detail={"request_id": request.id, "document_id": document.id,
                "version": request.version, "sha256": request.document_sha256,
                "recipient": recipient, "step": step.key if step else None},
    )  # fmt: skip
    notify(session, users=approvers(session, request), kind="approval", dossier_id=dossier.id)
    return request


def approvers(session: Session, request: ApprovalRequest) -> list[User]:
    """The people of the organisation who may approve the request's document."""
    organisation = session.get(Organisation, request.organisation_id)
    return [
        membership.user
        for membership in organisation.memberships
        if may_approve(session, membership.user, request.organisation_id, request.document)
    ]


def tell_office(session: Session, request: ApprovalRequest) -> None:
    """The dossier's handler (else the client's contact person) hears of the client's
    decision (approved, or not)."""
    dossier = request.dossier
    who = dossier.handler or dossier.organisation.contact_person
    if who is not None:
        notify(session, users=[who], kind="approval_done", dossier_id=dossier.id)


def open_request_of(session: Session, step: Step) -> ApprovalRequest | None:
    """The step's request that waits for the client, if any."""
    return session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.step_id == step.id, ApprovalRequest.state == "open"
        )
    )


def cancel_challenges(
    session: Session, request: ApprovalRequest, reason: str, *, user: User | None = None
) -> int:
    """End the request's open challenges (of one user, if given): a code typed for them no
    longer approves anything. Returns how many."""
    query = update(ApprovalChallenge).where(
        ApprovalChallenge.request_id == request.id,
        ApprovalChallenge.used_at.is_(None),
        ApprovalChallenge.cancelled_at.is_(None),
    )
    if user is not None:
        query = query.where(ApprovalChallenge.user_id == user.id)
    result = session.execute(
        query.values(cancelled_at=utcnow(), cancel_reason=reason).execution_options(
            synchronize_session="fetch"
        )
    )
    return result.rowcount


def record_view(
    session: Session, *, request: ApprovalRequest, user: User, client: ClientInfo
) -> bool:
    """The user opened the request's version (its bytes were sent to them): from now on they
    may agree. The first time is kept, with an audit event; whether it was the first."""
    if has_viewed(session, request, user):
        return False
    try:
        # Opened twice at once (the viewer and a download): the second loses the race on the
        # unique constraint and is the first one's.
        with session.begin_nested():
            session.add(
                ApprovalView(request_id=request.id, user_id=user.id, opened_at=utcnow(),
                             ip=client.ip, user_agent=(client.user_agent or "")[:300])
            )  # fmt: skip
    except IntegrityError:
        return False
    record_event(
        session, action="approval.opened", actor=user, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "version": request.version,
                "sha256": request.document_sha256, "ip": client.ip},
    )  # fmt: skip
    return True


def has_viewed(session: Session, request: ApprovalRequest, user: User) -> bool:
    return (
        session.scalar(
            select(ApprovalView.id).where(
                ApprovalView.request_id == request.id, ApprovalView.user_id == user.id
            )
        )
        is not None
    )


def version_of(session: Session, request: ApprovalRequest) -> DocumentVersion:
    """The document version the request puts up."""
    version = session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == request.document_id,
            DocumentVersion.version == request.version,
        )
    )
    if version is None:
        raise NotFound(f"version {request.version} of document {request.document_id}")
    return version
