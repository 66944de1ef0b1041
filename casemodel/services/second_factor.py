"""Two-step verification: SMS codes, an authenticator app (TOTP), and recovery codes.

Rules (SECURITY.md): an SMS code is six digits, stored hashed, valid for ten minutes (an
approval's five), bound to one purpose ("login", "enrol", "reauth", "approval"), and ends
after five wrong tries; a TOTP code is accepted one time step either side and only once (the
last accepted step is kept); recovery codes are single use and stored hashed. Staff always
need a second factor; clients when their office says so (the default).

A code is used up by a conditional UPDATE (... WHERE still unused), never by reading and then
writing: two requests with the same code at the same moment would otherwise both get in. At
login every try is counted for the account before its code is compared, in the same statement
that asks whether a try is left (check_login_code), so however many requests are in flight and
from however many logins, no more codes are compared than the limit allows.

A code is ASCII digits (a recovery code ASCII letters and digits); spaces and dashes between
them are allowed. Anything else typed into a code field is simply a wrong code.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from casemodel import config, sealing
from casemodel.db import claim_row, increment, utcnow
from casemodel.i18n import gettext_for
from casemodel.models import OneTimeCode, RecoveryCode, User, UserSession
from casemodel.services.account_links import office_name_for
from casemodel.services.accounts import MAX_FAILED_LOGINS, claim_code_try, lock_account
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState
from casemodel.services.outbox import enqueue
from casemodel.services.security_notices import notice_security_change

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
#: A new SMS code no sooner than this after the previous one of the same purpose.
RESEND_INTERVAL = dt.timedelta(seconds=30)
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Dossierflow"
#: Longer input cannot be a code with its spaces and dashes: wrong, without looking further.
MAX_TYPED_LENGTH = 40


class CodeCheck(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # no live code: never sent, used, timed out, or too many tries
    REPLAYED = "replayed"  # a TOTP code that was already accepted
    NO_TRIES_LEFT = "no_tries_left"  # not compared: the account is locked or out of tries


LOGIN_METHODS = ("sms", "totp", "recovery")


def second_factor_required(user: User) -> bool:
    """Staff always; a client unless every office they are a client of has switched it off."""
    if user.is_staff or not user.memberships:
        return True
    return any(m.organisation.office.require_second_factor for m in user.memberships)


# --- SMS codes ----------------------------------------------------------------------------------


def send_sms_code(
    session: Session,
    *,
    user: User,
    purpose: str,
    to: str | None = None,
    text_for: Callable[[str], str] | None = None,
    lifetime: dt.timedelta = CODE_LIFETIME,
    context: dict[str, Any] | None = None,
) -> OneTimeCode:
    """Send a fresh code by SMS for the purpose, ending any earlier open code of that purpose.

    Args:
        text_for: the SMS's text for a code, when the purpose's own (sms_text) will not do (an
            approval's names the document and the recipient).
        lifetime: how long the code is valid (an approval code: five minutes).
        context: what the code is bound to (an approval code: its challenge).
    Raises:
        InvalidState: no mobile number, or the previous code was sent less than 30 s ago.
    """
    number = to or sms_number(user, purpose)
    if not number:
        raise InvalidState("no mobile number")
    previous = _open_code(session, user, purpose)
    now = utcnow()
    if previous is not None and now - previous.created_at < RESEND_INTERVAL:
        raise InvalidState("a code was sent moments ago")
    session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None))
        .values(used_at=now)
    )  # fmt: skip
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    row = OneTimeCode(
        user_id=user.id,
        purpose=purpose,
        code_hash=_code_hash(salt, code),
        salt=salt,
        sent_to=number,
        created_at=now,
        expires_at=now + lifetime,
        context=context or {},
    )
    session.add(row)
    session.flush()
    enqueue(
        session,
        kind="send_sms",
        dedupe_key=f"sms:code:{row.id}",
        payload={
            "to": number,
            "text": text_for(code) if text_for else sms_text(user, purpose, code),
            "reference": f"code-{row.id}",
        },
    )
    record_event(session, action="second_factor.sms_sent", actor=user,
                 detail={"purpose": purpose})  # fmt: skip
    return row


def sms_number(user: User, purpose: str) -> str | None:
    """Where a code of the purpose goes. A number an administrator gave but the person has not
    confirmed yet (User.pending_mobile_number) takes the codes for logging in and
    re-authenticating, whose right entry confirms it (check_sms_code); no other code goes to an
    unconfirmed number, nor to the number it replaces.

    Raises:
        InvalidState: a code of another purpose while a new number waits for confirmation.
    """
    if user.pending_mobile_number is None or purpose in ("login", "reauth"):
        return user.code_number
    raise InvalidState("the new mobile number is not confirmed yet")


def sms_text(user: User, purpose: str, code: str) -> str:
    _ = gettext_for(user.locale)
    office = office_name_for(user)
    if purpose == "login":
        text = _("Uw inlogcode voor %(office)s is %(code)s. Deze code is 10 minuten geldig.")
    elif purpose == "enrol":
        text = _("Uw code om dit nummer te bevestigen bij %(office)s is %(code)s.")
    else:
        text = _("Uw bevestigingscode voor %(office)s is %(code)s. Deze code is 10 minuten geldig.")
    return text % {"office": office, "code": code}


def check_sms_code(session: Session, *, user: User, purpose: str, code: str) -> CodeCheck:
    """Check a typed SMS code against the open code of this purpose; a right one is used up."""
    return check_code_row(
        session, user=user, row=_open_code(session, user, purpose), purpose=purpose, code=code
    )


def check_code_row(
    session: Session, *, user: User, row: OneTimeCode | None, purpose: str, code: str
) -> CodeCheck:
    """Check a typed SMS code against one code sent (an approval's: the one its challenge was
    sent); only an unused, unexpired code of this user and purpose can be right, and a right
    one is used up."""
    if (
        row is None
        or row.user_id != user.id
        or row.purpose != purpose
        or row.used_at is not None
        or row.expires_at <= utcnow()
        or row.attempts >= MAX_CODE_ATTEMPTS
    ):
        return CodeCheck.EXPIRED
    typed = _six_digits(code)
    now = utcnow()
    if typed is not None and hmac.compare_digest(row.code_hash, _code_hash(row.salt, typed)):
        claimed = claim_row(session, row, OneTimeCode.used_at.is_(None),
                            OneTimeCode.attempts < MAX_CODE_ATTEMPTS, used_at=now)  # fmt: skip
        if claimed and row.sent_to == user.pending_mobile_number:
            _confirm_pending_number(session, user)
        return CodeCheck.OK if claimed else CodeCheck.EXPIRED
    if increment(session, row, "attempts") >= MAX_CODE_ATTEMPTS:
        claim_row(session, row, OneTimeCode.used_at.is_(None), used_at=now)
    record_event(session, action="second_factor.code_wrong", actor=user,
                 detail={"purpose": purpose, "method": "sms"})  # fmt: skip
    return CodeCheck.WRONG


def _confirm_pending_number(session: Session, user: User) -> None:
    """A right code sent to the number waiting for confirmation makes it the number."""
    user.mobile_number, user.pending_mobile_number = user.pending_mobile_number, None
    record_event(session, action="second_factor.number_confirmed", actor=user)
    notice_security_change(session, user=user, change="mobile_number")


@dataclass(frozen=True)
class LoginCodeResult:
    check: CodeCheck
    #: The login is over (the account locked, or no try was left): the person starts again.
    login_ended: bool
    #: After a wrong code: how many more wrong codes the account takes before it is locked
    #: (the count is the account's, shared with wrong passwords; None when not counted).
    tries_left: int | None = None


def check_login_code(
    session: Session, *, user: User, method: str, code: str, trusted_device: bool = False
) -> LoginCodeResult:
    """A code typed between the password and the second factor, by SMS, authenticator or
    recovery code, as one step with its count: the try is counted for the account first
    (accounts.claim_code_try) and the code compared only when that try was left. Wrong codes
    count toward the account lock with wrong passwords, so neither logging in again nor
    several logins at once buy new guesses; the try that reaches the limit locks the account
    and ends every pending login of it. `trusted_device`: the browser finished a login as this
    user before (accounts.is_trusted_device), and gets its tries during a lock."""
    if method not in LOGIN_METHODS:
        raise ValueError(f"unknown second factor {method!r}")
    tries = claim_code_try(session, user, trusted_device=trusted_device)
    if tries is None:
        record_event(session, action="second_factor.code_refused_no_tries", actor=user,
                     detail={"method": method})  # fmt: skip
        return LoginCodeResult(CodeCheck.NO_TRIES_LEFT, login_ended=True)
    result = _compare(session, user=user, method=method, code=code, sms_purpose="login")
    if result is CodeCheck.OK:
        return LoginCodeResult(result, login_ended=False)
    if tries >= MAX_FAILED_LOGINS:
        lock_account(session, user)
        return LoginCodeResult(result, login_ended=True, tries_left=0)
    return LoginCodeResult(result, login_ended=False, tries_left=MAX_FAILED_LOGINS - tries)


def confirm_second_factor(session: Session, *, user: User, method: str, code: str) -> CodeCheck:
    """The signed-in user proving their current second factor again (an SMS code of purpose
    "reauth", an authenticator code, or a recovery code) before changing it: a stolen session
    with the password alone must not be able to put another phone or app in its place.

    Counted as the codes at login are (accounts.claim_code_try, as a known browser: a lock a
    stranger caused does not stop the owner), and as wrong passwords inside a session are: the
    fifth wrong one in a row locks the account.

    Raises:
        TooManyWrongPasswords: that fifth one (or no try was left); the caller ends the session.
    """
    from casemodel.services.errors import TooManyWrongPasswords

    if method not in LOGIN_METHODS:
        raise ValueError(f"unknown second factor {method!r}")
    tries = claim_code_try(session, user, trusted_device=True)
    if tries is None:
        raise TooManyWrongPasswords(f"user {user.id}: no code tries left")
    result = _compare(session, user=user, method=method, code=code, sms_purpose="reauth")
    if result is CodeCheck.OK:
        user.failed_logins = 0
        record_event(session, action="second_factor.reconfirmed", actor=user,
                     detail={"method": method})  # fmt: skip
    elif tries >= MAX_FAILED_LOGINS:
        lock_account(session, user)
        raise TooManyWrongPasswords(f"user {user.id}: too many wrong codes")
    return result


def _compare(session: Session, *, user: User, method: str, code: str, sms_purpose: str):
    """The typed code against the method's: an SMS code of the purpose, the authenticator's,
    or one of the recovery codes (used up when right)."""
    if method == "sms":
        return check_sms_code(session, user=user, purpose=sms_purpose, code=code)
    if method == "totp":
        return check_totp(session, user=user, code=code)
    return use_recovery_code(session, user=user, code=code)


def open_code_number(session: Session, *, user: User, purpose: str) -> str | None:
    """The number the open code of the purpose was sent to (enrolment proves that number)."""
    row = _open_code(session, user, purpose)
    return row.sent_to if row is not None else None


def _open_code(session: Session, user: User, purpose: str) -> OneTimeCode | None:
    return session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )  # fmt: skip


def _six_digits(code: str) -> str | None:
    """The code as typed, without spaces and dashes, if it is six ASCII digits; else None
    (other scripts' digits, letters, anything long: a wrong code, never compared)."""
    typed = re.sub(r"[\s-]", "", code[:MAX_TYPED_LENGTH])
    if len(code) > MAX_TYPED_LENGTH or not re.fullmatch(r"[0-9]{6}", typed, flags=re.ASCII):
        return None
    return typed


def _code_hash(salt: str, code: str) -> str:
    # Keyed with the server's code key (config.code_key): with the database alone, the million
    # six-digit codes cannot be tried against a row.
    return hmac.new(config.code_key(), f"sms:{salt}:{code}".encode(), hashlib.sha256).hexdigest()


# --- the authenticator app (TOTP) --------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_secret_being_set_up(session: Session, row: UserSession) -> str:
    """The authenticator secret the login session `row` is setting up: made on its first ask
    and kept sealed on the session's row (never in the browser's cookie), so that the QR code
    stays the same across the set-up's pages. Forgotten once confirmed (forget_totp_being_set_up)
    or when the session ends."""
    if row.pending_totp_sealed is None:
        row.pending_totp_secret = new_totp_secret()
        session.flush()
    return row.pending_totp_secret


def forget_totp_being_set_up(row: UserSession) -> None:
    row.pending_totp_sealed = None


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI for the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def check_totp(
    session: Session, *, user: User, code: str, secret: str | None = None,
    at: dt.datetime | None = None,
) -> CodeCheck:  # fmt: skip
    """Check an authenticator code (one step either side), once: a code whose time step was
    already accepted is refused and logged. `secret` checks a secret being enrolled, which has
    no accepted step yet (the user's own stays as it is until the enrolment succeeds)."""
    enrolling = secret is not None
    secret = secret or user.totp_secret
    if not secret:
        return CodeCheck.EXPIRED
    totp = pyotp.TOTP(secret)
    typed = _six_digits(code) or ""
    now_step = totp.timecode(at or utcnow())
    for step in (now_step - 1, now_step, now_step + 1):
        if typed and hmac.compare_digest(totp.generate_otp(step), typed):
            later = or_(User.totp_last_step.is_(None), User.totp_last_step < step)
            if not claim_row(session, user, *([] if enrolling else [later]), totp_last_step=step):
                record_event(session, action="second_factor.totp_replayed", actor=user)
                return CodeCheck.REPLAYED
            return CodeCheck.OK
    record_event(session, action="second_factor.code_wrong", actor=user,
                 detail={"method": "totp"})  # fmt: skip
    return CodeCheck.WRONG


def reseal_totp_secrets(session: Session) -> int:
    """Seal every stored authenticator secret again with the newest key of
    DOSSIERFLOW_TOTP_KEY (key rotation, casemodel.sealing); the number of secrets sealed.

    Raises:
        SealBroken: a secret none of the keys opens (nothing is changed by the caller's
            rollback).
    """
    users = session.scalars(select(User).where(User.totp_secret_sealed.is_not(None))).all()
    for user in users:
        user.totp_secret_sealed = sealing.reseal(user.totp_secret_sealed)
    being_set_up = session.scalars(
        select(UserSession).where(UserSession.pending_totp_sealed.is_not(None))
    ).all()
    for row in being_set_up:
        row.pending_totp_sealed = sealing.reseal(row.pending_totp_sealed)
    session.flush()
    if users:
        record_event(session, action="second_factor.totp_resealed", actor=None,
                     detail={"users": len(users)})  # fmt: skip
    return len(users)


# --- enrolment -----------------------------------------------------------------------------------


def enrol_sms(session: Session, *, user: User, code: str) -> CodeCheck:
    """Confirm the number the enrolment code went to; SMS becomes the second factor unless an
    authenticator is already in use (then the number is the fallback)."""
    number = open_code_number(session, user=user, purpose="enrol")
    result = check_sms_code(session, user=user, purpose="enrol", code=code)
    if result is CodeCheck.OK:
        changed = user.second_factor is not None and user.mobile_number != number
        user.mobile_number = number
        if user.second_factor is None:
            user.second_factor = "sms"
        record_event(session, action="second_factor.sms_enrolled", actor=user)
        if changed:  # not the first factor, set up while activating the account
            notice_security_change(session, user=user, change="mobile_number")
    return result


def enrol_totp(session: Session, *, user: User, secret: str, code: str) -> CodeCheck:
    """Confirm an authenticator by one code from it; it becomes the second factor."""
    result = check_totp(session, user=user, code=code, secret=secret)
    if result is CodeCheck.OK:
        added_to_a_factor = user.second_factor is not None
        user.totp_secret = secret
        user.second_factor = "totp"
        record_event(session, action="second_factor.totp_enrolled", actor=user)
        if added_to_a_factor:
            notice_security_change(session, user=user, change="authenticator_added")
    return result


def use_sms_instead(session: Session, *, user: User) -> None:
    """Switch back from the authenticator to SMS (the number must be registered)."""
    if not user.mobile_number:
        raise InvalidState("no mobile number")
    user.second_factor = "sms"
    user.totp_secret = None
    user.totp_last_step = None
    record_event(session, action="second_factor.switched_to_sms", actor=user)
    notice_security_change(session, user=user, change="authenticator_removed")


# --- recovery codes ----------------------------------------------------------------------------


def regenerate_recovery_codes(session: Session, *, user: User) -> list[str]:
    """New recovery codes, replacing all earlier ones. Shown once; stored hashed. Replacing
    earlier ones is a security change the owner is told of by mail."""
    replacing = session.scalar(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id).limit(1)
    )
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code), created_at=now)
        for code in codes
    )
    record_event(session, action="second_factor.recovery_codes_created", actor=user)
    if replacing is not None:
        notice_security_change(session, user=user, change="recovery_codes")
    session.flush()
    return codes


def has_recovery_codes(session: Session, user: User) -> bool:
    return (
        session.scalar(
            select(RecoveryCode.id)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            .limit(1)
        )
        is not None
    )


def use_recovery_code(session: Session, *, user: User, code: str) -> CodeCheck:
    """Use up one of the user's recovery codes (any case; spaces and dashes allowed)."""
    typed = re.sub(r"[\s-]", "", code[:MAX_TYPED_LENGTH]).lower()
    if len(code) > MAX_TYPED_LENGTH or not re.fullmatch(r"[a-z0-9]{10}", typed, flags=re.ASCII):
        typed = ""  # matches no stored code: wrong, like any other
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(typed),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None or not claim_row(session, row, RecoveryCode.used_at.is_(None), used_at=utcnow()):
        record_event(session, action="second_factor.code_wrong", actor=user,
                     detail={"method": "recovery"})  # fmt: skip
        return CodeCheck.WRONG
    record_event(session, action="second_factor.recovery_code_used", actor=user)
    return CodeCheck.OK


def _recovery_code() -> str:
    """Ten characters from an alphabet without look-alikes, shown as xxxxx-xxxxx (50 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_hash(code: str) -> str:
    """HMAC (the server's code key) of the code's SHA-256: 50 random bits are within reach of a
    GPU with the database alone, not without the key. The SHA-256 inside is what codes stored
    before the key was there held; the migration that brought the key wrapped those in place."""
    unkeyed = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    return hmac.new(config.code_key(), f"recovery:{unkeyed}".encode(), hashlib.sha256).hexdigest()
