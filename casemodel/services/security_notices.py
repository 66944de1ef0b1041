"""A mail to the account's owner about a change to its security they may not have made (ASVS
5.0 V6.3.7 and V6.2.x: users are told of changes to their authentication): new recovery codes,
an authenticator added or removed, a changed mobile number, a changed password. The mail says
what changed and when, never a secret (a number only by its last two digits), and what to do if
it was not the owner. A first second factor, set up while activating the account, is not a
change and gets no mail (the activation has its own)."""

from __future__ import annotations

import secrets

from babel.dates import format_datetime

from casemodel import links
from casemodel.db import utcnow
from casemodel.i18n import OFFICE_TIME_ZONE
from casemodel.models import User
from casemodel.services.account_links import queue_mail
from casemodel.services.audit import record_event

CHANGES = (
    "recovery_codes",
    "authenticator_added",
    "authenticator_removed",
    "mobile_number",
    "password",
)


def notice_security_change(session, *, user: User, change: str) -> None:
    """Queue the mail about the change (one of CHANGES) to the user's address, in their
    language, and record that it was sent."""
    if change not in CHANGES:
        raise ValueError(f"unknown security change {change!r}")
    when = format_datetime(utcnow(), "d MMMM y, HH:mm (zzzz)", tzinfo=OFFICE_TIME_ZONE,
                           locale=user.locale)  # fmt: skip
    queue_mail(
        session,
        template="security_change",
        user=user,
        dedupe=f"security_change:{user.id}:{change}:{secrets.token_hex(8)}",
        link=links.login_link(),
        when=when,
        change=change,
        number_end=(user.mobile_number or "")[-2:],
    )
    record_event(session, action="account.security_change_notice", actor=user,
                 detail={"change": change})  # fmt: skip
