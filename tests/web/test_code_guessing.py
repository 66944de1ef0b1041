"""Second-factor codes at the portal: whatever is typed into a code field is a try with the
ordinary answer, and the account's lock ends every login waiting for its code."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select, update

from casemodel.db import utcnow
from casemodel.models import OneTimeCode, User, UserSession
from casemodel.sealing import seal
from casemodel.services.second_factor import regenerate_recovery_codes
from devtools.seed import DEMO_PASSWORD
from tests.fixtures.web import latest_sms_code

CLIENT = "klant@example.nl"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def password_step(client, password=DEMO_PASSWORD):
    return client.post("/login", data={"email": CLIENT, "password": password})


def the_user(web_session) -> User:
    web_session.expire_all()
    return web_session.scalar(select(User).where(User.email == CLIENT))


def odd_inputs(right: str) -> list[str]:
    """What a person (or an attacker) may type: the right code in other scripts' digits, letters,
    10,000 characters, a NUL."""
    return [
        right.translate(ARABIC_INDIC),
        right.translate(FULL_WIDTH),
        right.translate(SUPERSCRIPT),
        "abcdef",
        "9" * 10_000,
        right[:3] + "\x00" + right[3:],
    ]


@pytest.mark.parametrize("method", ["sms", "totp", "recovery"])
def test_anything_typed_at_login_is_a_wrong_code_and_counts(client, web_session, method):
    secret = pyotp.random_base32()
    web_session.execute(update(User).where(User.email == CLIENT).values(
        totp_secret_sealed=seal(secret)))  # fmt: skip
    recovery = regenerate_recovery_codes(web_session, user=the_user(web_session))[0]
    web_session.commit()
    for index, typed in enumerate(odd_inputs("123456")):
        password_step(client)  # the lock of five would end the login; start a fresh one
        right = {"sms": latest_sms_code(CLIENT), "totp": pyotp.TOTP(secret).now(),
                 "recovery": recovery.replace("-", "")}[method]  # fmt: skip
        typed = typed.replace("123456", right) if method != "recovery" else typed
        web_session.execute(update(User).where(User.email == CLIENT).values(failed_logins=0))
        web_session.commit()
        response = client.post("/login/code", data={"method": method, "code": typed})
        assert response.status_code == 200, (index, response.status_code)
        assert "De code is onjuist." in text(response), index
        assert the_user(web_session).failed_logins == 1, index


@pytest.mark.parametrize("method", ["sms", "totp"])
def test_anything_typed_during_set_up_gets_the_ordinary_answer(client, web_session, method):
    web_session.execute(update(User).where(User.email == CLIENT).values(
        second_factor=None, mobile_number=None))  # fmt: skip
    web_session.commit()
    assert password_step(client).headers["Location"] == "/login/setup"
    page = {"method": method}
    if method == "sms":
        client.post("/login/setup", data={"method": "sms", "step": "number",
                                          "mobile_number": "06 41 23 45 67"})  # fmt: skip
        page["step"] = "sms_code"
    else:
        client.get("/login/setup?method=totp")
        page["step"] = "totp_code"
    typed_inputs = odd_inputs("123456")
    for index, typed in enumerate(typed_inputs):
        response = client.post("/login/setup", data=page | {"code": typed})
        assert response.status_code == 200, (index, response.status_code)
        if method == "sms" and index == 5:
            # Each was a try of the code sent: after five it has ended, and says so.
            assert "Deze code is verlopen of al gebruikt." in text(response)
        else:
            assert "De code is onjuist." in text(response), index
    if method == "sms":
        code = web_session.scalar(select(OneTimeCode).order_by(OneTimeCode.id.desc()))
        assert code.attempts == 5 and code.used_at is not None


def test_a_lock_ends_every_login_waiting_for_its_code(web_app, web_session):
    """Two logins opened with the right password before the lock do not get five guesses each:
    together they reach the account's limit, and the lock ends both."""
    first, second = web_app.test_client(), web_app.test_client()
    password_step(first)
    password_step(second)
    for _ in range(3):
        assert "De code is onjuist." in text(first.post("/login/code", data={"code": "000000"}))
    assert "De code is onjuist." in text(second.post("/login/code", data={"code": "000000"}))
    last = second.post("/login/code", data={"code": "000000"})
    assert last.status_code == 302 and last.headers["Location"] == "/login"
    assert the_user(web_session).locked_until > utcnow()
    pending = web_session.scalars(select(UserSession).where(UserSession.stage == "password"))
    assert {row.ended_reason for row in pending} == {"account_locked"}
    # The first login ended too: even the right code does not get it in now.
    right = first.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    assert right.headers["Location"] == "/login"
    assert first.get("/home").headers["Location"].startswith("/login")
