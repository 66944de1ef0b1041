"""Approving: the approver agrees to the confirmation (a challenge bound on the server to the
exact bytes, version, recipient, dossier, user and organisation), gets a code for that
challenge (an SMS naming the document and the recipient, or their authenticator app), and the
code approves: one transaction records the approval, uses up the challenge, appends the
evidence to the dossier's audit trail, stores the certificate and queues the sending on.

What may happen once is decided by one statement each: every code typed is counted on the
challenge first (`attempts + 1 WHERE unused AND not cancelled AND attempts < 5`), which also
makes parallel posts of one challenge take turns, so of twenty posts of the right code one
approves and the others find the challenge used; then on the account, as at login (five wrong
codes in a row lock it, whatever challenges they were typed for).
"""

from __future__ import annotations

import datetime as dt
import enum
import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from casemodel.db import claim_row, increment, utcnow
from casemodel.filestore import FileStore
from casemodel.models import ApprovalChallenge, ApprovalRequest, OneTimeCode, User
from casemodel.services.accounts import MAX_FAILED_LOGINS, claim_code_try, lock_account
from casemodel.services.approvals import certificate as certificates
from casemodel.services.approvals import delivery, step_kind
from casemodel.services.approvals.evidence import (
    binding_hash,
    binding_of,
    collect,
    confirmation_text,
    sms_text,
)
from casemodel.services.approvals.requests import (
    ApprovalRefused,
    ClientInfo,
    cancel_challenges,
    has_viewed,
    tell_office,
)
from casemodel.services.approvals.rights import approval_right, may_approve
from casemodel.services.audit import record_event
from casemodel.services.errors import NotAllowed, NotFound, TooManyWrongPasswords
from casemodel.services.quotas import charge
from casemodel.services.second_factor import CodeCheck, check_code_row, check_totp, send_sms_code

#: How long an approver has from agreeing to typing the code.
CHALLENGE_LIFETIME = dt.timedelta(minutes=10)
#: How long an approval code sent by SMS is valid.
CODE_LIFETIME = dt.timedelta(minutes=5)
#: Codes typed for one challenge; the fifth wrong one ends it.
MAX_CHALLENGE_TRIES = 5
METHODS = ("sms", "totp")
#: A certificate is a few kB; this only bounds the store's check.
MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024


class Outcome(enum.StrEnum):
    APPROVED = "approved"
    #: A wrong code; the challenge has tries left.
    WRONG = "wrong"
    #: The challenge ended (five wrong codes): the approver agrees again for a new one.
    ENDED = "ended"
    #: The challenge was used already (a double click, a second tab): the approval stands.
    ALREADY_APPROVED = "already_approved"


@dataclass(frozen=True)
class ApproveResult:
    outcome: Outcome
    request: ApprovalRequest
    #: Codes that may still be typed for this challenge.
    tries_left: int = 0
    #: Why the challenge ended (ENDED): "too_many_codes", "new_version", "withdrawn",
    #: "recipient_changed", "replaced" (agreed again), "decided".
    ended_because: str | None = None


def second_factor_of(user: User) -> str | None:
    """How the user gets an approval code: "totp" with an authenticator, "sms" with a mobile
    number, None without a second factor (they set one up first)."""
    if user.second_factor == "totp" and user.totp_secret:
        return "totp"
    if user.mobile_number:
        return "sms"
    return None


def start_challenge(
    session: Session, *, request: ApprovalRequest, user: User, client: ClientInfo, locale: str
) -> ApprovalChallenge:
    """The approver clicked "Akkoord" on the confirmation: a challenge binds what they agreed
    to. Their earlier open challenge of this request ends.

    Raises:
        NotAllowed: no approve right for the organisation (checked again, now).
        ApprovalRefused: "not_open", "not_opened", "no_second_factor".
    """
    if not may_approve(session, user, request.organisation_id, request.document):
        raise NotAllowed("approving is not this user's right")
    if request.state != "open":
        raise ApprovalRefused("not_open")
    if not has_viewed(session, request, user):
        raise ApprovalRefused("not_opened")
    if second_factor_of(user) is None:
        raise ApprovalRefused("no_second_factor")
    cancel_challenges(session, request, "replaced", user=user)
    bound = binding_of(request, user)
    now = utcnow()
    challenge = ApprovalChallenge(
        request_id=request.id, user_id=user.id, bound=bound, binding_hash=binding_hash(bound),
        confirmation_text=confirmation_text(request, locale), created_at=now,
        expires_at=now + CHALLENGE_LIFETIME,
    )  # fmt: skip
    session.add(challenge)
    session.flush()
    record_event(
        session, action="approval.agreed", actor=user, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "challenge_id": challenge.id,
                "binding_hash": challenge.binding_hash, "ip": client.ip},
    )  # fmt: skip
    return challenge


def get_challenge(session: Session, challenge_id: int, user: User) -> ApprovalChallenge:
    """The user's own challenge; anyone else's, like a missing one, is NotFound."""
    challenge = session.get(ApprovalChallenge, challenge_id)
    if challenge is None or challenge.user_id != user.id:
        raise NotFound(f"approval challenge {challenge_id}")
    return challenge


def check_live(session: Session, challenge: ApprovalChallenge, user: User) -> None:
    """That the challenge can still be confirmed: not used or ended, not expired, its request
    open, and the request still what was agreed to (same version, bytes and recipient).

    Raises:
        ApprovalRefused: "not_open", "challenge_ended", "challenge_expired".
    """
    request = challenge.request
    if request.state != "open":
        raise ApprovalRefused("not_open")
    if challenge.cancelled_at is not None or challenge.used_at is not None:
        raise ApprovalRefused("challenge_ended")
    if challenge.expires_at <= utcnow():
        raise ApprovalRefused("challenge_expired")
    if binding_hash(binding_of(request, user)) != challenge.binding_hash:
        raise ApprovalRefused("challenge_ended")


def send_code(
    session: Session, *, challenge: ApprovalChallenge, user: User, locale: str
) -> OneTimeCode:
    """"Verstuur SMS-code": a code for this challenge only, valid five minutes, in an SMS that
    names the document and the recipient. Counted against the approval codes limit.

    Raises:
        ApprovalRefused: as check_live, or "no_second_factor" (no mobile number).
        QuotaExceeded: the approval codes limit. InvalidState: a code was sent moments ago.
    """
    check_live(session, challenge, user)
    if not user.mobile_number:
        raise ApprovalRefused("no_second_factor")
    request = challenge.request
    charge(session, "approval_codes", actor=user, organisation_id=request.organisation_id)
    code = send_sms_code(
        session, user=user, purpose="approval", lifetime=CODE_LIFETIME,
        text_for=lambda digits: sms_text(request, locale, digits),
        context={"challenge_id": challenge.id, "request_id": request.id},
    )  # fmt: skip
    challenge.code_id, challenge.method = code.id, "sms"
    record_event(
        session, action="approval.code_sent", actor=user, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "challenge_id": challenge.id, "method": "sms"},
    )  # fmt: skip
    session.flush()
    return code


def approve(
    session: Session,
    *,
    challenge: ApprovalChallenge,
    user: User,
    method: str,
    code: str,
    client: ClientInfo,
    store: FileStore,
    locale: str,
) -> ApproveResult:
    """"Verzend document": the code for the challenge approves its request, in the caller's
    transaction: the approval, the used challenge, the evidence (audit trail and request), the
    certificate and the sending on (an outbox row) or, for the office itself, the step done and
    the run's resume queued. A wrong code is counted (and must be committed).

    Raises:
        NotAllowed: no approve right (checked again, now).
        ApprovalRefused: "not_open", "not_opened", "challenge_ended", "challenge_expired",
            "code_not_sent".
        TooManyWrongPasswords: the account's fifth wrong code in a row; it is locked and the
            caller ends the session.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    request = challenge.request
    tries = increment(
        session, challenge, "attempts", ApprovalChallenge.used_at.is_(None),
        ApprovalChallenge.cancelled_at.is_(None),
        ApprovalChallenge.attempts < MAX_CHALLENGE_TRIES,
    )  # fmt: skip
    if tries is None:  # used or ended meanwhile (by the post before this one, say)
        session.refresh(challenge)
        if challenge.used_at is not None:
            return ApproveResult(Outcome.ALREADY_APPROVED, request)
        return ApproveResult(Outcome.ENDED, request, ended_because=challenge.cancel_reason
                             or "too_many_codes")  # fmt: skip
    check_live(session, challenge, user)
    right = approval_right(session, user, request.organisation_id, request.document)
    if right is None:
        raise NotAllowed("approving is not this user's right")
    if not has_viewed(session, request, user):
        raise ApprovalRefused("not_opened")
    if method == "sms" and challenge.code_id is None:
        raise ApprovalRefused("code_not_sent")
    account_tries = claim_code_try(session, user, trusted_device=True)
    if account_tries is None:
        raise TooManyWrongPasswords(f"user {user.id}: no code tries left")
    if method == "sms":
        sent = session.get(OneTimeCode, challenge.code_id)
        if sent is not None and sent.context.get("challenge_id") != challenge.id:
            sent = None  # a code is valid for the challenge it was sent for, only
        checked = check_code_row(session, user=user, row=sent, purpose="approval", code=code)
    else:
        checked = check_totp(session, user=user, code=code)
    if checked is not CodeCheck.OK:
        return _wrong(session, challenge, user, method, checked, tries, account_tries)
    user.failed_logins = 0
    now = utcnow()
    claim_row(session, challenge, ApprovalChallenge.used_at.is_(None), used_at=now, method=method)
    if not claim_row(session, request, ApprovalRequest.state == "open", state="approved",
                     decided_at=now, decided_by_id=user.id):  # fmt: skip
        raise ApprovalRefused("not_open")
    cancel_challenges(session, request, "decided")
    _record_approval(session, request, challenge, user, right, method, client, store, locale, now)
    return ApproveResult(Outcome.APPROVED, request)


def _wrong(session, challenge, user, method, checked, tries, account_tries) -> ApproveResult:
    request = challenge.request
    record_event(
        session, action="approval.code_wrong", actor=user, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "challenge_id": challenge.id, "method": method,
                "check": str(checked)},
    )  # fmt: skip
    if account_tries >= MAX_FAILED_LOGINS:
        lock_account(session, user)
        raise TooManyWrongPasswords(f"user {user.id}: too many wrong codes")
    if tries >= MAX_CHALLENGE_TRIES:
        claim_row(session, challenge, ApprovalChallenge.cancelled_at.is_(None),
                  cancelled_at=utcnow(), cancel_reason="too_many_codes")  # fmt: skip
        return ApproveResult(Outcome.ENDED, request, ended_because="too_many_codes")
    return ApproveResult(Outcome.WRONG, request, MAX_CHALLENGE_TRIES - tries)


def _record_approval(session, request, challenge, user, right, method, client, store, locale,
                     now) -> None:  # fmt: skip
    document = request.document
    document.approved_version, document.approved_at = request.version, now
    evidence = collect(session, request=request, challenge=challenge, user=user, right=right,
                       method=method, client=client, at=now)  # fmt: skip
    request.evidence = evidence
    event = record_event(session, action="approval.approved", actor=user,
                         dossier_id=request.dossier_id, detail=evidence)  # fmt: skip
    pdf = certificates.render_certificate(evidence, event, locale)
    sealed = certificates.seal_configured()
    if sealed:
        pdf = certificates.seal(pdf, office=request.dossier.office.name,
                                reason=f"{document.title} v{request.version}")  # fmt: skip
    stored = store.put(io.BytesIO(pdf), max_bytes=MAX_CERTIFICATE_BYTES)
    request.certificate_sha256, request.certificate_size = stored.sha256, stored.size
    record_event(
        session, action="approval.certificate", actor=None, dossier_id=request.dossier_id,
        detail={"request_id": request.id, "sha256": stored.sha256, "sealed": sealed,
                "approval_event_id": event.id},
    )  # fmt: skip
    if step_kind.sends_on(request):
        delivery.queue_delivery(session, request)
    else:
        step_kind.finish_for(session, request, user, {"request_id": request.id})
    tell_office(session, request)
    session.flush()
