"""A mail to the account's owner when someone logs in from a browser not seen before (ASVS 5.0
V6.3.7: users are told of suspicious sign-ins, such as one from a new device).

"Not seen before" is the web layer's device cookie: a browser that finished a login as this
user keeps it for a year, bound to the credentials (accounts.is_trusted_device). A new phone, a
cleared browser or someone else holding the password all look the same, so the mail says what it
knows (when, which browser, which address) and what to do if it was not the owner.
"""

from __future__ import annotations

import datetime as dt
import secrets

from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel import links
from casemodel.db import utcnow
from casemodel.i18n import OFFICE_TIME_ZONE
from casemodel.models import User, UserSession
from casemodel.services.account_links import queue_mail
from casemodel.services.audit import record_event


def notice_new_device(
    session: Session, *, user: User, device: str, ip: str | None, at: dt.datetime | None = None
) -> bool:
    """Queue the mail about a login from a new browser, unless it is the account's very first
    login (the person who just activated it). Call before the new session is started. Whether a
    mail was queued."""
    logged_in_before = session.scalar(
        select(UserSession.id)
        .where(UserSession.user_id == user.id, UserSession.stage == "full")
        .limit(1)
    )
    if logged_in_before is None:
        return False
    when = format_datetime(at or utcnow(), "d MMMM y, HH:mm (zzzz)",
                           tzinfo=OFFICE_TIME_ZONE, locale=user.locale)  # fmt: skip
    queue_mail(
        session,
        template="new_device",
        user=user,
        dedupe=f"new_device:{user.id}:{secrets.token_hex(8)}",
        link=links.login_link(),
        when=when,
        device=device,
        ip=ip or "?",
    )
    record_event(session, action="auth.new_device_notice", actor=user, detail={"ip": ip})
    return True
