"""Activation and password-reset links, and the mails around them (notary manual §1.1, §1.2).

The office creates an account and the person gets a first mail with a link to the start page;
there they enter their e-mail address and get a second mail with a single-use link to set their
password; setting it sends a third mail to confirm. "Forgotten password" is the same second and
third step. Whether or not an address has an account, the answer is the same and takes as long.

A link works once, for an hour, and no longer once something newer has happened: a newer link
was sent, the person logged in normally, or the password or e-mail address changed. Its token
leaves the address bar at the first request (the web layer keeps the link's id in the session
instead), so it ends up in no log, history or Referer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casemodel.db import claim_row, utcnow
from casemodel.mail import compose
from casemodel.models import AccountToken, Office, User
from casemodel.services.accounts import credential_stamp, hash_password, normalise_email
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidToken, WeakPassword
from casemodel.services.outbox import enqueue
from casemodel.services.passwords import judge_password
from casemodel.services.sessions import end_other_sessions

#: How long a set-password link works.
LINK_LIFETIME = dt.timedelta(minutes=60)
#: At most this many links per account per hour: a form that mails cannot become a mail cannon.
MAX_LINKS_PER_HOUR = 3

#: Builds the absolute link for a token and its purpose (the web layer knows the URLs).
LinkFor = Callable[[str, str], str]


def office_for(user: User) -> Office | None:
    """The office a mail to this user is from: a staff member's own (the first by name, for
    one who works for several), else that of the organisation the client acted for last, else
    of their first organisation."""
    for office in user.offices:
        return office
    memberships = sorted(user.memberships,
                         key=lambda m: m.organisation_id != user.last_organisation_id)  # fmt: skip
    for membership in memberships:
        return membership.organisation.office
    return None


def office_name_for(user: User) -> str:
    office = office_for(user)
    return office.name if office else "Dossierflow"


def invite(session: Session, *, user: User, start_link: str, actor: User | None) -> None:
    """Queue the first mail of the activation: the link to the start page."""
    queue_mail(
        session,
        template="invitation",
        user=user,
        dedupe=f"invitation:{user.id}:{secrets.token_hex(8)}",  # every invitation is meant
        link=start_link,
    )
    record_event(session, action="account.invited", actor=actor, detail={"user_id": user.id})


def request_password_link(session: Session, *, email: str, link_for: LinkFor) -> None:
    """Mail a set-password link to the account with this address, if there is an active one.
    An account without a password gets an activation link, one with a password a reset link;
    the two are not interchangeable. Says nothing about whether the address exists."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        record_event(session, action="account.link_requested_unknown", actor=None)
        return
    purpose = "activation" if user.password_hash is None else "reset"
    recent = session.scalar(
        select(func.count())
        .select_from(AccountToken)
        .where(AccountToken.user_id == user.id,
               AccountToken.created_at > utcnow() - dt.timedelta(hours=1))
    )  # fmt: skip
    if recent >= MAX_LINKS_PER_HOUR:
        record_event(session, action="account.link_throttled", actor=None,
                     detail={"user_id": user.id})  # fmt: skip
        return
    # Only the newest link works: an older mail lying in an inbox opens nothing any more.
    end_open_links(session, user=user)
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            user_stamp=credential_stamp(user),
            created_at=utcnow(),
            expires_at=utcnow() + LINK_LIFETIME,
        )
    )
    session.flush()
    queue_mail(
        session,
        template="set_password",
        user=user,
        dedupe=f"set_password:{_digest(token)}",
        link=link_for(token, purpose),
        purpose=purpose,
        valid_minutes=int(LINK_LIFETIME.total_seconds() // 60),
    )
    record_event(session, action=f"account.{purpose}_link_sent", actor=None,
                 detail={"user_id": user.id})  # fmt: skip


def end_open_links(session: Session, *, user: User) -> int:
    """Every set-password link of the user not yet used stops working (a newer one was sent, or
    the user logged in normally since). Returns how many."""
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount or 0


def check_token(session: Session, *, token: str, purpose: str) -> AccountToken:
    """The usable link for this token (from a mail) and purpose, or InvalidToken with the
    reason."""
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == _digest(token)))
    return _usable(row, purpose)


def check_link(session: Session, *, link_id: int, purpose: str) -> AccountToken:
    """The same for a link already opened, by its id (kept in the person's session once the
    token has left the address bar)."""
    return _usable(session.get(AccountToken, link_id), purpose)


def _usable(row: AccountToken | None, purpose: str) -> AccountToken:
    if row is None or row.purpose != purpose:
        raise InvalidToken("unknown")
    current = credential_stamp(row.user)
    if row.used_at is not None or not hmac.compare_digest(row.user_stamp, current):
        raise InvalidToken("used")
    if row.expires_at <= utcnow():
        raise InvalidToken("expired")
    return row


def set_password_through_link(
    session: Session, *, link_id: int, purpose: str, password: str, portal_link: str
) -> User:
    """Set the password through an opened link: checks the link and the password rules, ends
    every session of the user, uses up all their open links, and queues the confirmation mail.

    Raises:
        InvalidToken: the link is unknown, used or expired. WeakPassword: the rules say no.
    """
    row = check_link(session, link_id=link_id, purpose=purpose)
    user = row.user
    verdict = judge_password(password, context=(office_name_for(user), user.name, user.email))
    if not verdict.acceptable:
        raise WeakPassword(verdict)
    now = utcnow()
    if not claim_row(session, row, AccountToken.used_at.is_(None), used_at=now):
        raise InvalidToken("used")  # the same link used at the same moment in another request
    user.password_hash = hash_password(password)
    end_other_sessions(session, user=user, keep_token=None, reason="password_changed")
    end_open_links(session, user=user)
    queue_mail(
        session,
        template="password_set",
        user=user,
        dedupe=f"password_set:{row.id}",
        link=portal_link,
    )
    record_event(session, action=f"account.password_set_by_{purpose}", actor=user)
    session.flush()
    return user


def queue_mail(
    session: Session, *, template: str, user: User, dedupe: str, office: Office | None = None,
    **context,
) -> None:  # fmt: skip
    """Compose a mail to the user in their language and queue it in the outbox. It is from the
    user's office (office_for), or from `office` (an office the user is not yet with), in that
    office's theme."""
    office = office or office_for(user)
    mail = compose(
        template,
        to=user.email,
        locale=user.locale,
        name=user.name,
        office=office,
        **context,
    )
    payload = mail.as_payload() | {"sender_name": office.name if office else "Dossierflow"}
    if office is not None and office.logo_sha256:
        # Sent along inline (cid:) by casemodel.mail.send: mail programs show an attached
        # image where they block one fetched from the web.
        payload["logo"] = {"sha256": office.logo_sha256, "content_type": office.logo_content_type}
    enqueue(session, kind="send_mail", dedupe_key=f"mail:{dedupe}", payload=payload)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
