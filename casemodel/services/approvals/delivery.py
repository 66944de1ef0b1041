"""Sending an approved document on to its recipient, exactly once as the receiving side sees it.

The approval's transaction adds an ApprovalDelivery with its idempotency key and queues one
outbox message (kind SEND_KIND, deduplicated per approval). The outbox relay runs `deliver`,
which reads the approved bytes back from the file store, checks their SHA-256 against the one
approved, and hands them to the recipient's connector with the idempotency key:

- http: a multipart POST of the document, the certificate and the facts, with the key in an
  `Idempotency-Key` header; the receiver answers with its receipt id (recorded).
- email: a mail with both attached, through the SMTP server the portal uses, whose Message-ID
  is made of the key.

A worker killed after the receiver got the bytes but before the outbox row was marked done
sends again at the next try, with the same key: the receiver recognises it and answers the same
receipt, and a mailbox that files by Message-ID files the same mail. A failure is retried with
back-off by the outbox and shown to staff (the dossier's approvals), who may ask for a try at
once (retry).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import httpx
from sqlalchemy.orm import Session

from casemodel import config, mail
from casemodel.db import utcnow
from casemodel.filestore import FileStore
from casemodel.models import ApprovalDelivery, ApprovalRequest, OutboxMessage, User
from casemodel.recipients import recipient as recipient_named
from casemodel.services.approvals.requests import version_of
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotFound
from casemodel.services.outbox import enqueue
from casemodel.stepkinds import approval as approval_step

#: The outbox message kind whose handler is `deliver` (relay/delivery.py: HANDLERS).
SEND_KIND = "send_approved_document"
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class DeliveryFailed(Exception):
    """The recipient did not take the document (yet); the outbox tries again later."""


def queue_delivery(session: Session, request: ApprovalRequest) -> ApprovalDelivery:
    """In the approval's transaction: the delivery with its idempotency key, and its one outbox
    message."""
    target = recipient_named(request.recipient)
    delivery = ApprovalDelivery(
        request_id=request.id, recipient=target.key, connector=target.connector,
        target=target.target, idempotency_key=f"dossierflow-approval-{request.id}-"
        f"{secrets.token_hex(12)}", created_at=utcnow(),
    )  # fmt: skip
    session.add(delivery)
    session.flush()
    message = enqueue(session, kind=SEND_KIND, dedupe_key=f"approval-delivery:{request.id}",
                      payload={"delivery_id": delivery.id})  # fmt: skip
    delivery.outbox_message_id = message.id
    return delivery


def deliver(session: Session, payload: dict[str, Any]) -> None:
    """The outbox handler: send the approved bytes on once, record the receipt, finish the
    step. Idempotent: a delivery already sent is left alone.

    Raises:
        DeliveryFailed: the stored bytes do not match what was approved (nothing is sent), or
            the recipient refused or could not be reached.
    """
    delivery = session.get(ApprovalDelivery, payload["delivery_id"])
    if delivery is None or delivery.state == "sent":
        return
    request = delivery.request
    store = FileStore(config.files_path())
    document = _read_checked(store, request.document_sha256, "the approved document")
    certificate = _read_checked(store, request.certificate_sha256, "the certificate")
    version = version_of(session, request)
    facts = _facts(request, delivery)
    if delivery.connector == "http":
        receipt = _post(delivery, request, version, document, certificate, facts)
    elif delivery.connector == "email":
        receipt = _mail(delivery, request, version, document, certificate, facts)
    else:
        raise DeliveryFailed(f"no connector {delivery.connector!r}")
    delivery.state, delivery.receipt_id, delivery.sent_at = "sent", receipt[:200], utcnow()
    delivery.sent_digest = hashlib.sha256(document).hexdigest()
    record_event(
        session, action="approval.sent", actor=None, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "recipient": delivery.recipient,
                "connector": delivery.connector, "target": delivery.target,
                "receipt_id": delivery.receipt_id, "sha256_sent": delivery.sent_digest,
                "idempotency_key": delivery.idempotency_key},
    )  # fmt: skip
    approval_step.finish_for(session, request, None,
                         {"request_id": request.id, "receipt_id": delivery.receipt_id})  # fmt: skip
    session.flush()


def retry(session: Session, *, delivery: ApprovalDelivery, actor: User) -> None:
    """Staff ask for a try now instead of after the back-off.

    Raises:
        NotFound: not staff of the dossier's office. InvalidState: sent already.
    """
    if not actor.works_for(delivery.request.dossier.office_id):
        raise NotFound(f"delivery {delivery.id}")
    if delivery.state == "sent":
        raise InvalidState("the document was sent already")
    message = session.get(OutboxMessage, delivery.outbox_message_id)
    if message is None or message.done_at is not None:  # gone or given up: queue it anew
        again = f"approval-delivery:{delivery.request_id}:retry-{secrets.token_hex(4)}"
        message = enqueue(session, kind=SEND_KIND, dedupe_key=again,
                          payload={"delivery_id": delivery.id})  # fmt: skip
        delivery.outbox_message_id = message.id
    message.due_at = utcnow()
    record_event(
        session, action="approval.send_retried", actor=actor,
        dossier_id=delivery.request.dossier_id,
        detail={"request_id": delivery.request_id, "attempts": message.attempts},
    )  # fmt: skip
    session.flush()


def _read_checked(store: FileStore, sha256: str | None, what: str) -> bytes:
    """The stored bytes, hashed again: what is sent is what was approved."""
    if sha256 is None:
        raise DeliveryFailed(f"{what} is missing")
    try:
        with store.open(sha256) as file:
            content = file.read()
    except FileNotFoundError:
        raise DeliveryFailed(f"{what} is not in the file store") from None
    if hashlib.sha256(content).hexdigest() != sha256:
        raise DeliveryFailed(f"{what} in the file store does not match its SHA-256; not sent")
    return content


def _facts(request: ApprovalRequest, delivery: ApprovalDelivery) -> dict[str, Any]:
    evidence = request.evidence or {}
    return {
        "idempotency_key": delivery.idempotency_key,
        "recipient": delivery.recipient,
        "office": request.dossier.office.name,
        "dossier": request.dossier.number,
        "organisation": {"name": request.organisation.name,
                         "client_number": request.organisation.client_number},
        "document": {"title": request.document.title, "version": request.version,
                     "sha256": request.document_sha256},
        "certificate_sha256": request.certificate_sha256,
        "approved_by": evidence.get("user", {}).get("name"),
        "approved_at": evidence.get("approved_at_utc"),
        "method": evidence.get("method"),
    }  # fmt: skip


def _post(delivery, request, version, document, certificate, facts) -> str:
    target = recipient_named(delivery.recipient)
    headers = {"Idempotency-Key": delivery.idempotency_key,
               "X-Content-SHA256": request.document_sha256}  # fmt: skip
    token = target.token()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = httpx.post(
            delivery.target, headers=headers, timeout=HTTP_TIMEOUT,
            data={"metadata": json.dumps(facts, ensure_ascii=False)},
            files={"document": (version.filename, document, version.content_type),
                   "certificate": (f"accorderingsbewijs-{request.id}.pdf", certificate,
                                   "application/pdf")},
        )  # fmt: skip
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{delivery.target} could not be reached: {exc!r}") from None
    if response.status_code >= 300:
        raise DeliveryFailed(f"{delivery.target} answered {response.status_code}: "
                             f"{response.text[:300]}")  # fmt: skip
    try:
        receipt = response.json().get("receipt_id")
    except ValueError:
        receipt = None
    receipt = receipt or response.headers.get("X-Receipt-Id")
    if not receipt:
        raise DeliveryFailed(f"{delivery.target} gave no receipt id")
    return str(receipt)


def _mail(delivery, request, version, document, certificate, facts) -> str:
    evidence = request.evidence or {}
    composed = mail.compose(
        "approved_document", to=delivery.target, locale="nl", office_name=facts["office"],
        document=request.document.title, version=request.version,
        client=request.organisation.name, client_number=request.organisation.client_number,
        approver=evidence.get("user", {}).get("name"),
        approved_at=evidence.get("approved_at_local"), sha256=request.document_sha256,
        idempotency_key=delivery.idempotency_key,
    )  # fmt: skip
    domain = mail.smtp_settings()["sender"].rpartition("@")[2] or "dossierflow.localhost"
    try:
        return mail.send(
            composed.as_payload() | {"sender_name": facts["office"]},
            attachments=(
                mail.Attachment(version.filename, version.content_type, document),
                mail.Attachment(f"accorderingsbewijs-{request.id}.pdf", "application/pdf",
                                certificate),
            ),
            message_id=f"<{delivery.idempotency_key}@{domain}>",
            headers={"X-Idempotency-Key": delivery.idempotency_key},
        )  # fmt: skip
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise DeliveryFailed(f"mail to {delivery.target} not sent: {exc!r}") from None


def get_delivery_for(session: Session, delivery_id: int, actor: User) -> ApprovalDelivery:
    """A delivery of a dossier of the actor's office; anything else is NotFound."""
    delivery = session.get(ApprovalDelivery, delivery_id)
    if delivery is None or not actor.works_for(delivery.request.dossier.office_id):
        raise NotFound(f"delivery {delivery_id}")
    return delivery
