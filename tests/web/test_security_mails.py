"""The owner is told by mail of security changes to their account they may not have made
(issue 16, section 2): new recovery codes, an authenticator added or removed, a changed mobile
number, a changed password. Through the real pages; the mails as the outbox holds them."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from casemodel import mail
from casemodel.i18n import translations
from casemodel.models import AuditEvent, OutboxMessage
from devtools.seed import DEMO_PASSWORD
from tests.web.test_my_details import (
    CLIENT,
    NEW_NUMBER,
    NEW_PASSWORD,
    not_at_a_step_boundary,
    reauthenticate,
    recovery_codes_on,
    sms_code_to,
    totp_secret_on,
    user_named,
)
from webapp.extensions import db

SUBJECT = "De beveiliging van uw account is gewijzigd"


@pytest.fixture(autouse=True)
def catalogs(monkeypatch, compiled_translations):
    """Mails are composed from the catalogs of the working tree (casemodel.i18n)."""
    monkeypatch.setenv("DOSSIERFLOW_TRANSLATIONS", str(compiled_translations))
    mail._environment.cache_clear()
    translations.cache_clear()
    yield
    mail._environment.cache_clear()
    translations.cache_clear()


def security_mails(email: str = CLIENT) -> list[dict]:
    with db.session_factory() as session:
        return [
            payload
            for payload in session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.kind == "send_mail")
                .order_by(OutboxMessage.id)
            )
            if payload["to"] == email
            and ("beveiliging" in payload["subject"] or "security" in payload["subject"])
        ]


def test_new_recovery_codes_are_told_but_the_first_ones_are_not(client, login):
    login(client, CLIENT)
    reauthenticate(client)
    first = recovery_codes_on(client.post("/account/recovery-codes"))  # the demo client had none
    assert first and security_mails() == []
    client.post("/account/recovery-codes")
    [mail] = security_mails()
    assert mail["subject"] == SUBJECT
    assert "Er zijn nieuwe herstelcodes gemaakt. De vorige herstelcodes werken niet meer." in (
        mail["text"]
    )
    assert "Was u dit niet?" in mail["text"] and "/login" in mail["text"]
    assert not any(code in mail["text"] or code in mail["html"] for code in first)
    with db.session_factory() as session:
        noticed = select(AuditEvent.detail).where(
            AuditEvent.action == "account.security_change_notice"
        )
        assert session.scalar(noticed) == {"change": "recovery_codes"}


def test_a_changed_number_is_told_by_its_last_two_digits(client, login):
    login(client, CLIENT)
    reauthenticate(client)
    page = "/account/two-step/number?method=sms"
    client.post(page, data={"method": "sms", "step": "number", "mobile_number": "06 41 23 45 67"})
    client.post(page, data={"method": "sms", "step": "sms_code", "code": sms_code_to(NEW_NUMBER)})
    [mail] = security_mails()
    assert "gewijzigd in een nummer dat eindigt op 67." in mail["text"]
    assert "41 23 45" not in mail["text"] and "641234567" not in mail["text"]


def test_an_authenticator_added_and_removed_are_both_told(client, login):
    login(client, CLIENT)
    reauthenticate(client)
    setup = client.get("/account/two-step/authenticator?method=totp")
    totp = pyotp.TOTP(totp_secret_on(setup))
    not_at_a_step_boundary()
    client.post("/account/two-step/authenticator?method=totp",
                data={"method": "totp", "step": "totp_code", "code": totp.now()})  # fmt: skip
    assert user_named(CLIENT).second_factor == "totp"
    client.post("/account/two-step/sms")
    texts = [mail["text"] for mail in security_mails()]
    assert any("Er is een authenticator-app gekoppeld." in t for t in texts)
    assert any("De authenticator-app is ontkoppeld." in t for t in texts)


def test_a_changed_password_is_told_in_the_owners_language(client, login):
    login(client, CLIENT)
    client.post("/language", data={"locale": "en"})
    client.post("/account/password", data={"current": DEMO_PASSWORD, "password": NEW_PASSWORD,
                                           "repeat": NEW_PASSWORD})  # fmt: skip
    [mail] = security_mails()
    assert mail["subject"] == "The security of your account has changed"
    assert "Your password has been changed." in mail["text"]
    year = str(dt.date.today().year)
    assert year in mail["text"]  # when it happened
