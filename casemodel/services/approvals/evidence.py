"""What an approval binds and records: the facts a challenge is bound to, the confirmation and
SMS texts that name the document and the recipient, and the evidence kept per approval (in the
dossier's hash-chained audit trail, on the request, and on the certificate)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.i18n import OFFICE_TIME_ZONE, gettext_for
from casemodel.models import ApprovalChallenge, ApprovalRequest, AuditEvent, User
from casemodel.recipients import recipient as recipient_named
from casemodel.services.approvals.requests import ClientInfo, version_of
from casemodel.services.approvals.rights import ApprovalRight

#: The events of the way to an approval that its evidence lists.
WAY_THERE = ("approval.opened", "approval.agreed", "approval.code_sent", "approval.code_wrong")


def binding_of(request: ApprovalRequest, user: User) -> dict[str, Any]:
    """The facts a challenge binds, as the request stands now."""
    return {
        "request_id": request.id,
        "document_id": request.document_id,
        "version": request.version,
        "sha256": request.document_sha256,
        "recipient": request.recipient,
        "dossier_id": request.dossier_id,
        "organisation_id": request.organisation_id,
        "user_id": user.id,
    }


def binding_hash(bound: dict[str, Any]) -> str:
    canonical = json.dumps(bound, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def recipient_phrase(request: ApprovalRequest, locale: str) -> str:
    """Where the approved document goes, as a sentence part: "Kantoor X en de Belastingdienst"."""
    _ = gettext_for(locale)
    office = request.dossier.office.name
    target = recipient_named(request.recipient)
    if not target.sends_on:
        return office
    return _("%(office)s en %(recipient)s") % {"office": office, "recipient": target.name(locale)}


def confirmation_text(request: ApprovalRequest, locale: str) -> str:
    """The confirmation the approver agrees to, word for word as shown and kept."""
    _ = gettext_for(locale)
    return _(
        "Ik heb %(document)s (versie %(version)s) bekeken en ga akkoord met de inhoud. Na mijn "
        "akkoord wordt het document verzonden naar %(recipients)s."
    ) % {
        "document": request.document.title,
        "version": request.version,
        "recipients": recipient_phrase(request, locale),
    }


def sms_text(request: ApprovalRequest, locale: str, code: str) -> str:
    """The SMS with the code: it names the document and the recipient, so a code asked for by
    someone else, for something else, shows what it would approve."""
    _ = gettext_for(locale)
    title = request.document.title
    title = title if len(title) <= 40 else title[:39] + "…"
    target = recipient_named(request.recipient)
    return _(
        "Code %(code)s: akkoord met \"%(document)s\" (versie %(version)s), verzending naar "
        "%(recipient)s. 5 minuten geldig. Deel deze code met niemand."
    ) % {
        "code": code,
        "document": title,
        "version": request.version,
        "recipient": target.name(locale) if target.sends_on else request.dossier.office.name,
    }


def collect(
    session: Session,
    *,
    request: ApprovalRequest,
    challenge: ApprovalChallenge,
    user: User,
    right: ApprovalRight,
    method: str,
    client: ClientInfo,
    at: dt.datetime,
) -> dict[str, Any]:
    """The evidence of one approval (SECURITY.md "Approvals"): what, who, by which right and
    method, when (UTC and the office's time), from where, the text agreed to, and the way
    there (opened, agreed, code sent, wrong codes)."""
    version = version_of(session, request)
    dossier, organisation = request.dossier, request.organisation
    target = recipient_named(request.recipient)
    return {
        "request_id": request.id,
        "challenge_id": challenge.id,
        "binding_hash": challenge.binding_hash,
        "document": {"id": request.document_id, "title": request.document.title,
                     "version": request.version, "sha256": request.document_sha256,
                     "filename": version.filename, "size": version.size},
        "recipient": {"key": target.key, "name": target.name_nl, "connector": target.connector},
        "dossier": {"id": dossier.id, "number": dossier.number},
        "office": {"id": dossier.office_id, "name": dossier.office.name},
        "organisation": {"id": organisation.id, "name": organisation.name,
                         "client_number": organisation.client_number},
        "user": {"id": user.id, "name": user.name, "email": user.email},
        "right": {"name": right.name, "membership_id": right.membership_id},
        "method": method,
        "approved_at_utc": at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "approved_at_local": at.astimezone(OFFICE_TIME_ZONE).isoformat(timespec="seconds"),
        "ip": client.ip,
        "user_agent": (client.user_agent or "")[:300],
        "confirmation_text": challenge.confirmation_text,
        "events": way_there(session, request, user),
    }  # fmt: skip


def way_there(session: Session, request: ApprovalRequest, user: User) -> list[dict[str, Any]]:
    """The user's events on the way to approving this request, oldest first, from the trail."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.dossier_id == request.dossier_id, AuditEvent.actor_id == user.id,
               AuditEvent.action.in_(WAY_THERE))
        .order_by(AuditEvent.id)
    )  # fmt: skip
    return [
        {"action": event.action, "at": event.created_at.isoformat(timespec="seconds"),
         "event_id": event.id}
        for event in events
        if event.detail.get("request_id") == request.id
    ]  # fmt: skip
