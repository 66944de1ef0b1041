"""A mail to the account's owner about a change to its security they may not have made (ASVS
5.0 V6.3.7 and V6.2.x: users are told of changes to their authentication): new recovery codes,
an authenticator added or removed, a changed mobile number, a changed password. The mail says
what changed and when, never a secret (a number only by its last two digits), and what to do if
it was not the owner. A first second factor, set up while activating the account, is not a
change and gets no mail (the activation has its own).

Changes an administrator or the office made (services.proposals) are told the same way: a new
e-mail address at the old one, a new mobile number (waiting for the person's confirmation) at
the address and, by SMS, at the old number."""

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
    "email",
    "mobile_number_pending",
)


def notice_security_change(session, *, user: User, change: str, **facts) -> None:
    """Queue the mail about the change (one of CHANGES) to the user's address, in their
    language, and record that it was sent. `facts`: number_end (the last two digits of a new
    number, by default those of the registered one), new_email (masked)."""
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
        **({"number_end": (user.mobile_number or "")[-2:]} | facts),
    )
    record_event(session, action="account.security_change_notice", actor=user,
                 detail={"change": change})  # fmt: skip


def sms_notice(user: User, change: str) -> str:
    """The SMS to a number that stops being the account's (mobile_number_pending), in the
    user's language: no code, no link, only what happened and what to do if it was not them."""
    from casemodel.i18n import gettext_for
    from casemodel.services.account_links import office_name_for

    _ = gettext_for(user.locale)
    if change != "mobile_number_pending":
        raise ValueError(f"no SMS for the change {change!r}")
    return _(
        "%(office)s: het mobiele nummer voor uw account op het klantenportaal wordt gewijzigd. "
        "Was u dit niet, neem dan contact met ons op."
    ) % {"office": office_name_for(user)}
