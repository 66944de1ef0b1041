"""Accounts: creating users and checking passwords."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casemodel.db import increment, utcnow
from casemodel.models import Membership, Office, OfficeMembership, Organisation, User
from casemodel.passhash import Argon2id
from casemodel.services.audit import record_event
from casemodel.services.rights import Rights

#: Argon2id at one of OWASP's equivalent minimum configurations: 7 MiB, 5 passes, 1 lane. Of
#: those it costs the least CPU and memory per check here (about 15 ms with libsodium; 19 MiB
#: with 2 passes takes 27 ms), which is what 20 logins at once on two cores wait for (README,
#: "Benchmarks"). A hash made with other parameters is redone at the next correct login.
_hasher = Argon2id(memory_mib=7, passes=5)
#: Verified against when the account does not exist, so that both cases take as long.
_DUMMY_HASH = _hasher.hash("no account has this password")

#: Longer input is refused before hashing: Argon2 over a megabyte is a cheap denial of service.
MAX_PASSWORD_LENGTH = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


#: Failures in a row (wrong passwords, and wrong codes after a right password) before the
#: account is locked for LOCK_DURATION.
MAX_FAILED_LOGINS = 5
LOCK_DURATION = dt.timedelta(minutes=15)


def credential_stamp(user: User) -> str:
    """Changes whenever the e-mail address or the password changes: what a set-password link
    and a known browser's cookie are bound to, so that such a change ends them."""
    return hashlib.sha256(f"{user.email}\0{user.password_hash or ''}".encode()).hexdigest()


def device_stamp(user: User) -> str:
    """What a known browser's cookie carries of credential_stamp."""
    return credential_stamp(user)[:16]


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    trusted_device: tuple[int, str] | None = None,
) -> User | None:
    """The active user with this e-mail address and password, or None. Unknown address, wrong
    password and a locked account give the same answer and take as long.

    Five failures in a row (wrong passwords, or wrong codes after a right password: see
    count_failed_attempt and claim_code_try) lock the account for 15 minutes. The lock always
    expires, and it does not hold for a browser the user has logged in with before
    (trusted_device: the user id and credential_stamp the web layer's signed device cookie
    holds; a password change ends that), so nobody can lock the owner out by guessing.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    correct = _hasher.matches(stored, password)
    if user is None or not user.password_hash or not user.is_active:
        return None
    locked = is_locked(user) and not is_trusted_device(user, trusted_device)
    if not correct or locked:
        if not locked:
            count_failed_attempt(session, user)
        return None
    # The count of failures starts again only once the second factor is done too
    # (signed_in): a right password followed by wrong codes keeps counting.
    if _hasher.needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def is_trusted_device(user: User, trusted_device: tuple[int, str] | None) -> bool:
    """Whether the device cookie's (user id, stamp) names this user with the credentials as
    they are now: a browser that finished a login as this user before."""
    return trusted_device is not None and (
        trusted_device[0] == user.id and hmac.compare_digest(trusted_device[1], device_stamp(user))
    )


def count_failed_attempt(session: Session, user: User) -> bool:
    """One more failure in a row (a wrong password); the MAX_FAILED_LOGINS-th locks the
    account (lock_account). Counted in the database (failed_logins + 1), so parallel guesses
    all count. True when it locked."""
    if increment(session, user, "failed_logins") < MAX_FAILED_LOGINS:
        return False
    lock_account(session, user)
    return True


def claim_code_try(session: Session, user: User, *, trusted_device: bool) -> int | None:
    """Count one try of a second-factor code before it is compared, in one statement that also
    asks whether a try is left: fewer than MAX_FAILED_LOGINS failures in a row and the account
    not locked (a known browser, trusted_device, is let past a lock, as at the password). The
    count this try makes, or None when no try is left and the code must not be compared.

    The row stays locked until the request commits, so tries of one account take turns on
    every backend: of fifty codes posted at once, MAX_FAILED_LOGINS are compared at most,
    whatever logins they come from. A right code starts the count again (signed_in); the last
    wrong one locks the account (lock_account)."""
    conditions = [User.failed_logins < MAX_FAILED_LOGINS]
    if not trusted_device:
        conditions.append(or_(User.locked_until.is_(None), User.locked_until <= utcnow()))
    return increment(session, user, "failed_logins", *conditions)


def wrong_tries_left(user: User) -> int:
    """How many more wrong passwords or codes in a row the account takes before it is locked:
    what a person who just typed a wrong one is told."""
    return max(0, MAX_FAILED_LOGINS - user.failed_logins)


def lock_account(session: Session, user: User) -> None:
    """Lock the account for LOCK_DURATION and start the count of failures again; every login
    of the account still between its password and its second factor ends, so none of them
    keeps guessing."""
    from casemodel.services.sessions import end_pending_logins

    user.locked_until = utcnow() + LOCK_DURATION
    user.failed_logins = 0
    end_pending_logins(session, user=user, reason="account_locked")
    record_event(session, action="auth.account_locked", actor=None, detail={"user_id": user.id})
    session.flush()


def signed_in(user: User) -> None:
    """Every factor is done: the count of failures starts again and a lock is lifted."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()


def confirm_password(session: Session, *, user: User, password: str) -> bool:
    """The signed-in user typing their password again, before a sensitive change.

    A wrong one counts with the wrong passwords at login, so that whoever holds a stolen
    session cannot guess the password there: the fifth in a row locks the account as at login.

    Raises:
        TooManyWrongPasswords: that fifth one; the caller ends the session.
    """
    from casemodel.services.errors import TooManyWrongPasswords

    if (
        len(password) <= MAX_PASSWORD_LENGTH
        and user.password_hash
        and _hasher.matches(user.password_hash, password)
    ):
        user.failed_logins = 0
        return True
    if count_failed_attempt(session, user):
        raise TooManyWrongPasswords(f"user {user.id}")
    return False


def change_password(
    session: Session, *, user: User, current: str, new: str, keep_session: str | None
) -> None:
    """Change the password after checking the current one and the rules; every other session
    of the user ends, and the owner is told by mail.

    Raises:
        NotAllowed: the current password is wrong. WeakPassword: the rules say no.
        TooManyWrongPasswords: the current password was wrong five times in a row
            (confirm_password).
    """
    from casemodel.services.account_links import office_name_for
    from casemodel.services.errors import NotAllowed, WeakPassword
    from casemodel.services.passwords import judge_password

    if not confirm_password(session, user=user, password=current):
        raise NotAllowed("the current password is wrong")
    verdict = judge_password(new, context=(office_name_for(user), user.name, user.email))
    if not verdict.acceptable:
        raise WeakPassword(verdict)
    from casemodel.services.security_notices import notice_security_change
    from casemodel.services.sessions import end_other_sessions

    user.password_hash = hash_password(new)
    end_other_sessions(session, user=user, keep_token=keep_session, reason="password_changed")
    record_event(session, action="account.password_changed", actor=user)
    notice_security_change(session, user=user, change="password")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str = "client",
    office_ids: Sequence[int] = (),
    password: str | None = None,
    locale: str = "nl",
    actor: User | None = None,
) -> User:
    """Create an account. Without a password the user activates it through the e-mailed link.

    Args:
        office_ids: the offices a staff member or manager works for (at least one); a client
            has none, and reaches dossiers through memberships of organisations.
    Raises:
        InvalidState: staff or a manager without an office, or a client with one.
    """
    from casemodel.services.errors import InvalidState

    office_ids = list(dict.fromkeys(office_ids))
    if role in ("staff", "manager") and not office_ids:
        raise InvalidState("staff and managers work for an office: name at least one")
    if role == "client" and office_ids:
        raise InvalidState("a client belongs to organisations, not to an office")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role=role,
        locale=locale,
        password_hash=hash_password(password) if password else None,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    record_event(
        session, action="user.created", actor=actor, detail={"user_id": user.id, "role": role}
    )
    for office_id in office_ids:
        session.add(OfficeMembership(user_id=user.id, office_id=office_id, created_at=utcnow()))
    session.flush()
    return user


def add_office_membership(
    session: Session, *, user: User, office: Office, actor: User | None
) -> bool:
    """Let a staff member or manager work for (another) office too. Idempotent; returns whether
    the membership is new.

    Raises:
        InvalidState: the user is a client (clients belong to organisations).
    """
    from casemodel.services.errors import InvalidState

    if not user.is_staff:
        raise InvalidState("a client belongs to organisations, not to an office")
    exists = session.scalar(
        select(OfficeMembership.id).where(
            OfficeMembership.user_id == user.id, OfficeMembership.office_id == office.id
        )
    )
    if exists is not None:
        return False
    session.add(OfficeMembership(user_id=user.id, office_id=office.id, created_at=utcnow()))
    record_event(
        session, action="office_membership.granted", actor=actor,
        detail={"user_id": user.id, "office_id": office.id},
    )  # fmt: skip
    session.flush()
    session.expire(user, ["offices"])
    return True


def add_membership(
    session: Session, *, user: User, organisation: Organisation, rights: Rights | None = None
) -> Membership:
    """Make the user a member of the organisation with these rights (by default: see, upload,
    fill in; services.rights.Rights). Idempotent: an existing membership keeps its rights."""
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation.id
        )
    )
    if membership is None:
        membership = Membership(
            user_id=user.id, organisation_id=organisation.id, created_at=utcnow()
        )
        (rights or Rights()).put_on(membership)
        session.add(membership)
        session.flush()
    return membership
