"""The session is not bound to the client's address (a phone moving from Wi-Fi to mobile data
stays signed in); instead the owner is told by mail of a login from a browser not seen before,
and sensitive changes ask for the password again (tests/web/test_my_details.py)."""

from __future__ import annotations

from sqlalchemy import select

from casemodel.models import AuditEvent, OutboxMessage
from tests.fixtures.web import latest_sms_code

CLIENT = "klant@example.nl"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile Safari/604.1"


def sign_in(client, address: str) -> None:
    environ = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": PHONE}
    client.post("/login", data={"email": CLIENT, "password": "Dossierflow-demo-2026"},
                environ_base=environ)  # fmt: skip
    done = client.post("/login/code", data={"code": latest_sms_code(CLIENT)}, environ_base=environ)
    assert done.status_code == 302 and done.headers["Location"] != "/login"


def notices(web_session) -> list[dict]:
    web_session.expire_all()
    return [
        payload for payload in web_session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "send_mail"))
        if payload["subject"] == "Ingelogd vanaf een nieuw apparaat"
    ]  # fmt: skip


def test_a_new_network_address_keeps_the_session(web_app):
    phone = web_app.test_client()
    sign_in(phone, "198.51.100.7")  # on Wi-Fi at home
    page = phone.get("/home", environ_base={"REMOTE_ADDR": "203.0.113.50",  # mobile data
                                            "HTTP_USER_AGENT": PHONE})  # fmt: skip
    assert page.status_code == 200 and "Welkom" in page.text


def test_a_login_from_a_new_browser_is_told_by_mail_and_a_known_one_is_not(web_app, web_session):
    phone = web_app.test_client()
    sign_in(phone, "198.51.100.7")
    assert notices(web_session) == []  # the first login of all: nothing to compare with
    phone.post("/logout")

    stranger = web_app.test_client()
    sign_in(stranger, "203.0.113.99")
    (notice,) = notices(web_session)
    assert notice["to"] == CLIENT
    text = " ".join(notice["text"].split())
    assert "Safari op iPhone" in text and "203.0.113.99" in text
    assert "Wijzig dan direct uw wachtwoord" in text and "/login" in text
    assert web_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "auth.new_device_notice"))  # fmt: skip

    sign_in(phone, "198.51.100.8")  # the owner's phone again: known, no mail
    assert len(notices(web_session)) == 1
