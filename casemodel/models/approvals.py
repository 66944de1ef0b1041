"""Approvals ("accorderen", accountancy manual): a document version put up to the client
organisation for approval, the code-gated challenges of its approvers, who opened it, and how the
approved bytes were sent on. See casemodel.services.approvals for the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.documents import Document
from casemodel.models.dossiers import Dossier, Step
from casemodel.models.organisations import Organisation
from casemodel.models.users import User

REQUEST_STATES = ("open", "approved", "rejected", "withdrawn")
#: Why a request was withdrawn: by staff, or because a new version of its document came.
WITHDRAWN_REASONS = ("withdrawn", "new_version")
CHALLENGE_METHODS = ("sms", "totp")
DELIVERY_STATES = ("queued", "sent")


class ApprovalRequest(Base):
    """One version of one document, put up to the dossier's client organisation for approval by
    an `approval` step (or ad hoc by staff), to be sent on to a recipient once approved."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        CheckConstraint(f"state IN {REQUEST_STATES}", name="state"),
        Index("ix_approval_requests_organisation_state", "organisation_id", "state"),
        Index("ix_approval_requests_dossier_id", "dossier_id"),
        # At most one open request per step and per document: the database says so, whatever
        # two transactions decide at the same moment.
        Index("uq_approval_requests_open_step", "step_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
        Index("uq_approval_requests_open_document", "document_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
    )  # fmt: skip

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    #: Who approves: the dossier's client organisation (its people with the approve right).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    #: The `approval` step that put it up; None when staff did so ad hoc.
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    #: The step's attempt (a rejection that goes back to an earlier step starts a new one).
    step_attempt: Mapped[int | None]
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    #: The version put up, and the SHA-256 of its bytes: what the approver sees and signs.
    version: Mapped[int]
    document_sha256: Mapped[str] = mapped_column(String(64))
    #: The recipient's key (casemodel.recipients): the office only, or an authority after it.
    recipient: Mapped[str] = mapped_column(String(60))
    due_date: Mapped[dt.date | None]
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[utc_timestamp]
    #: The staff member who put it up; None when a step did.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Approved, rejected or withdrawn: when and by whom.
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The client's reason for "Niet akkoord".
    reason: Mapped[str | None] = mapped_column(Text)
    #: "withdrawn" (by staff) or "new_version" (a new version of the document replaced it).
    withdrawn_reason: Mapped[str | None] = mapped_column(String(20))
    #: What was recorded at the approval (services.approvals.evidence); also in the audit trail.
    evidence: Mapped[dict[str, Any] | None]
    #: The approval certificate (PDF, sealed when the office has a signing certificate).
    certificate_sha256: Mapped[str | None] = mapped_column(String(64))
    certificate_size: Mapped[int | None]

    dossier: Mapped[Dossier] = relationship()
    organisation: Mapped[Organisation] = relationship()
    step: Mapped[Step | None] = relationship()
    document: Mapped[Document] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    delivery: Mapped[ApprovalDelivery | None] = relationship(back_populates="request")


class ApprovalChallenge(Base):
    """What one approver agreed to, bound on the server to the exact document bytes, version,
    recipient, dossier, user and organisation (PSD2's dynamic linking for documents). The code
    that confirms it is valid for this challenge only; a new version, a withdrawal or a change of
    recipient cancels it."""

    __tablename__ = "approval_challenges"
    __table_args__ = (
        CheckConstraint(f"method IN {CHALLENGE_METHODS}", name="method"),
        Index("ix_approval_challenges_request_id", "request_id"),
    )

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The facts bound: document id, version, SHA-256, recipient, dossier, user, organisation.
    bound: Mapped[dict[str, Any]]
    #: SHA-256 of the bound facts in canonical JSON; compared again when the code comes.
    binding_hash: Mapped[str] = mapped_column(String(64))
    #: The confirmation shown to the approver, in their language, word for word.
    confirmation_text: Mapped[str] = mapped_column(Text)
    #: How the code came: "sms" or "totp"; None until a code was asked for or typed.
    method: Mapped[str | None] = mapped_column(String(10))
    #: The SMS code sent for this challenge (purpose "approval").
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("one_time_codes.id", ondelete="SET NULL")
    )
    #: Codes typed for this challenge, counted before each is compared.
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[utc_timestamp]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    #: "new_version", "withdrawn", "recipient_changed", "replaced", "too_many_codes", "decided".
    cancel_reason: Mapped[str | None] = mapped_column(String(30))

    request: Mapped[ApprovalRequest] = relationship()


class ApprovalView(Base):
    """That a user opened the version a request puts up (its first time): "Akkoord" is refused
    until then."""

    __tablename__ = "approval_views"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    opened_at: Mapped[utc_timestamp]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApprovalDelivery(Base):
    """Sending the approved bytes (and the certificate) on to the request's recipient, once: an
    outbox message runs it (services.approvals.delivery), with an idempotency key the receiving
    side sees, so a retry after a crash is recognised there as the same sending."""

    __tablename__ = "approval_deliveries"
    __table_args__ = (
        UniqueConstraint("request_id"),
        CheckConstraint(f"state IN {DELIVERY_STATES}", name="state"),
    )

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(60))
    #: "email" or "http", and where to: an address or a URL (as configured at the approval).
    connector: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    #: The outbox message that sends it: its attempts, last error and next try are the
    #: delivery's (shown to staff, who may ask for a retry at once).
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL")
    )
    #: What the receiving side answered (its receipt id; for e-mail the Message-ID).
    receipt_id: Mapped[str | None] = mapped_column(String(200))
    #: SHA-256 of the bytes sent, computed again from the file store just before sending.
    sent_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[utc_timestamp]
    sent_at: Mapped[dt.datetime | None]

    request: Mapped[ApprovalRequest] = relationship(back_populates="delivery")
