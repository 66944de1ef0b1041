"""The identity cases of SECURITY.md, one test each, against the real app."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import select, update

from casemodel.db import utcnow
from casemodel.models import AuditEvent, Office, OneTimeCode, OutboxMessage, User, UserSession
from casemodel.sealing import seal
from casemodel.services.passwords import judge_password
from casemodel.services.second_factor import CodeCheck, check_sms_code, regenerate_recovery_codes
from devtools.seed import DEMO_PASSWORD
from tests.fixtures.web import latest_sms_code
from webapp import create_app
from webapp.extensions import db

CLIENT = "klant@example.nl"


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def password_step(client, email=CLIENT, password=DEMO_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def user(web_session, email=CLIENT) -> User:
    web_session.expire_all()
    return web_session.scalar(select(User).where(User.email == email))


# --- passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Welkom2026!", "Password1", "Zomer2024!", "Wachtwoord123"])
def test_common_passwords_that_pass_the_old_rule_are_refused(password):
    assert re.search(r"[A-Z]", password) and re.search(r"\d", password)  # the manual's rule
    assert "guessable" in judge_password(password).problems


def test_a_twenty_character_lowercase_passphrase_is_accepted():
    assert judge_password("fietsen langs de dijk").acceptable


def test_words_of_the_context_are_refused():
    verdict = judge_password("LontLalmahomed-2026!", context=("Notariskantoor Lont & Lalmahomed",))
    assert "context_word" in verdict.problems


# --- the password step --------------------------------------------------------------------------


#: Hashes of DEMO_PASSWORD made by argon2-cffi, the library before libsodium: at the earlier
#: parameters (19 MiB, 2 passes) and with four lanes, which libsodium verifies but never makes.
OLDER_HASHES = [
    "$argon2id$v=19$m=19456,t=2,p=1$43ZXHsPPzIBA3G1q1eUfNQ$niC5l85tOiUYr0sLfeLu0RpHSgn7d9pjFoAPRmDH6p4",
    "$argon2id$v=19$m=8192,t=1,p=4$3PG9mqlfBzmO3eJ17Bla2Q$oCU1v6J9bia7Ljiu+LSON4XakZVElZW1cEpYvk7Xrjs",
]


@pytest.mark.parametrize("older", OLDER_HASHES)
def test_passwords_are_argon2id_at_owasp_parameters_and_older_hashes_are_redone(
    client, web_session, older
):
    web_session.execute(update(User).where(User.email == CLIENT).values(password_hash=older))
    web_session.commit()
    assert password_step(client).status_code == 302
    renewed = user(web_session).password_hash
    assert renewed.startswith("$argon2id$v=19$m=7168,t=5,p=1$") and renewed != older
    # The new hash is of the same password, and a wrong one still fails against it.
    assert password_step(client).headers["Location"].endswith("/login/code")
    assert password_step(client, CLIENT, "Dossierflow-demo-2025").status_code == 200


def test_unknown_user_and_wrong_password_look_the_same(client):
    unknown = password_step(client, "niemand@example.nl", "wat dan ook 123")
    wrong = password_step(client, CLIENT, "wat dan ook 123")
    assert unknown.status_code == wrong.status_code == 200
    assert text(unknown) == text(wrong)


def test_repeated_failures_lock_the_account_for_a_while_but_not_a_known_browser(
    web_app, web_session
):
    known_browser = web_app.test_client()
    password_step(known_browser)
    known_browser.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    known_browser.post("/logout")

    attacker = web_app.test_client()
    for _ in range(5):
        password_step(attacker, password="geraden wachtwoord")
    assert user(web_session).locked_until > utcnow()
    # Now even the right password fails from a new browser, looking like a wrong one...
    stranger = web_app.test_client()
    assert "onjuist" in text(password_step(stranger))
    # ...but the owner's browser, which logged in before, still gets in.
    assert password_step(known_browser).headers["Location"] == "/login/code"
    assert web_session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.account_locked"))
    # The lock expires by itself.
    web_session.execute(update(User).where(User.email == CLIENT).values(
        locked_until=utcnow() - dt.timedelta(seconds=1)))  # fmt: skip
    web_session.commit()
    assert password_step(stranger).headers["Location"] == "/login/code"


def test_a_known_browser_is_forgotten_when_the_password_changes(web_app, web_session):
    """The device cookie is bound to the credentials: after a password change (by the owner, or
    by a reset) an older browser no longer gets past a lock."""
    from casemodel.services.accounts import hash_password

    known_browser = web_app.test_client()
    password_step(known_browser)
    known_browser.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    known_browser.post("/logout")
    locked = dict(locked_until=utcnow() + dt.timedelta(minutes=15))
    web_session.execute(update(User).where(User.email == CLIENT).values(**locked))
    web_session.commit()
    assert password_step(known_browser).headers["Location"] == "/login/code"

    new_password = "een ander lang wachtwoord"
    web_session.execute(update(User).where(User.email == CLIENT).values(
        password_hash=hash_password(new_password), **locked))  # fmt: skip
    web_session.commit()
    refused = password_step(known_browser, password=new_password)
    assert refused.status_code == 200 and "onjuist" in text(refused)


def test_no_page_or_download_answers_before_the_second_factor(client):
    password_step(client)
    for path in ("/home", "/dossiers", "/dossiers/1", "/details", "/office/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- codes -------------------------------------------------------------------------------------


def test_a_password_alone_cannot_put_another_second_factor_in_place(client, web_session):
    """/login/setup is for a user without a second factor; one who has one proves it first."""
    before = user(web_session)
    assert password_step(client).headers["Location"] == "/login/code"
    assert client.get("/login/setup?method=totp").headers["Location"] == "/login/code"
    sent = client.post("/login/setup", data={"method": "sms", "step": "number",
                                             "mobile_number": "06 55512345"})  # fmt: skip
    assert sent.headers["Location"] == "/login/code"
    secret = pyotp.random_base32()
    client.post("/login/setup", data={"method": "totp", "step": "totp_code",
                                      "code": pyotp.TOTP(secret).now()})  # fmt: skip
    assert client.get("/home").headers["Location"].startswith("/login")
    after = user(web_session)
    assert (after.second_factor, after.mobile_number, after.totp_secret) == (
        before.second_factor, before.mobile_number, None,
    )  # fmt: skip
    numbers = web_session.scalars(
        select(OutboxMessage.payload["to"].as_string()).where(OutboxMessage.kind == "send_sms")
    ).all()
    assert "+31655512345" not in numbers


ACCOUNTANCY_CLIENT = "directeur@example.nl"


def test_the_authenticator_is_offered_right_after_an_sms_login_only(web_app, web_session):
    """The accountancy office offers it (the demo's setting); the offer holds for ten minutes
    after the code, without the password again."""
    client = web_app.test_client()
    password_step(client, ACCOUNTANCY_CLIENT)
    code = client.post("/login/code", data={"code": latest_sms_code(ACCOUNTANCY_CLIENT)})
    assert code.headers["Location"] == "/login/authenticator"
    assert 'data-testid="totp-secret"' in client.get("/login/authenticator").text
    with client.session_transaction() as flask_session:
        flask_session["offer_authenticator_at"] -= 10 * 60 + 1
    late = client.get("/login/authenticator")
    assert late.status_code == 302 and late.headers["Location"] == "/"
    # Later, or to replace an authenticator, Mijn gegevens asks for the password first.
    secret = pyotp.random_base32()
    client.post("/login/authenticator", data={"code": pyotp.TOTP(secret).now()})
    assert user(web_session, ACCOUNTANCY_CLIENT).totp_secret is None


def sms_login(web_app, email):
    """A whole login with an SMS code, as if the previous code was sent a minute ago (a new
    code is sent at most every 30 seconds)."""
    with db.session_factory() as session:
        session.execute(update(OneTimeCode).values(created_at=utcnow() - dt.timedelta(minutes=1)))
        session.commit()
    client = web_app.test_client()
    password_step(client, email)
    return client.post("/login/code", data={"code": latest_sms_code(email)})


def test_the_authenticator_offer_is_an_office_setting_made_at_most_once_a_day(
    web_app, web_session
):
    # The notary office does not offer it: straight in.
    assert sms_login(web_app, CLIENT).headers["Location"] == "/"
    # The accountancy office does, once a day: the second login of the day goes straight in.
    assert sms_login(web_app, ACCOUNTANCY_CLIENT).headers["Location"] == "/login/authenticator"
    assert sms_login(web_app, ACCOUNTANCY_CLIENT).headers["Location"] == "/"
    # A day later it is offered again.
    person = user(web_session, ACCOUNTANCY_CLIENT)
    person.authenticator_offered_at -= dt.timedelta(days=1, seconds=1)
    web_session.commit()
    assert sms_login(web_app, ACCOUNTANCY_CLIENT).headers["Location"] == "/login/authenticator"
    # The notary office switches it on: offered from the next login.
    office = web_session.scalar(select(Office).where(Office.kind == "notary"))
    office.offer_authenticator = True
    web_session.commit()
    assert sms_login(web_app, CLIENT).headers["Location"] == "/login/authenticator"


def test_five_wrong_codes_end_the_challenge(client, web_session):
    password_step(client)
    for _attempt in range(5):
        response = client.post("/login/code", data={"code": "000000"})
    assert response.headers["Location"] == "/login"
    # The right code no longer helps: the half-way session is gone, the account locked.
    response = client.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    assert response.headers["Location"] == "/login"
    ended = web_session.scalar(
        select(UserSession).where(UserSession.ended_reason == "account_locked")
    )
    assert ended is not None and ended.stage == "password"
    assert user(web_session).locked_until > utcnow()


def test_wrong_codes_count_for_the_account_so_a_new_login_buys_no_new_guesses(
    client, web_session, web_app
):
    """With the password known, guessing the code locks the account as wrong passwords do:
    logging in again does not start a new count (a right password alone no longer resets
    it; a finished login does)."""
    password_step(client)
    for _attempt in range(3):
        client.post("/login/code", data={"code": "000000"})
    assert user(web_session).failed_logins == 3
    password_step(client)  # a new login: the count goes on
    for _attempt in range(2):
        client.post("/login/code", data={"code": "000000"})
    assert user(web_session).locked_until is not None
    refused = password_step(client)
    assert refused.status_code == 200 and "onjuist" in text(refused)

    # The owner's known browser still gets in, and a finished login starts the count again.
    web_session.execute(update(User).where(User.email == CLIENT).values(locked_until=None))
    web_session.commit()
    owner = web_app.test_client()
    password_step(owner)
    owner.post("/login/code", data={"code": "000000"})
    assert user(web_session).failed_logins == 1
    owner.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    assert user(web_session).failed_logins == 0


def test_wrong_sms_codes_posted_at_once_all_count(client, web_app, web_session):
    import threading

    password_step(client)
    right = latest_sms_code(CLIENT)
    wrong = [f"{(int(right) + k) % 10**6:06d}" for k in range(1, 11)]
    cookie = client.get_cookie("dossierflow_session").value
    barrier = threading.Barrier(len(wrong))

    def guess(code: str) -> None:
        browser = web_app.test_client()
        browser.set_cookie("dossierflow_session", cookie)
        barrier.wait(timeout=10)
        browser.post("/login/code", data={"code": code})

    threads = [threading.Thread(target=guess, args=(code,)) for code in wrong]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    code = web_session.scalar(select(OneTimeCode).order_by(OneTimeCode.id.desc()))
    assert code.attempts >= 5 and code.used_at is not None
    assert client.post("/login/code", data={"code": right}).headers["Location"] == "/login"


def test_an_sms_code_after_ten_minutes_is_refused(client, web_session):
    password_step(client)
    code = latest_sms_code(CLIENT)
    web_session.execute(update(OneTimeCode).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    web_session.commit()
    response = client.post("/login/code", data={"code": code})
    assert "verlopen" in text(response)


def test_a_login_code_serves_no_other_purpose(client, web_session):
    password_step(client)
    code = latest_sms_code(CLIENT)
    assert check_sms_code(web_session, user=user(web_session), purpose="enrol", code=code) is (
        CodeCheck.EXPIRED
    )
    assert check_sms_code(web_session, user=user(web_session), purpose="reauth", code=code) is (
        CodeCheck.EXPIRED
    )


def test_the_same_totp_code_twice_is_refused_and_logged(web_app, web_session):
    secret = pyotp.random_base32()
    web_session.execute(update(User).where(User.email == CLIENT).values(
        second_factor="totp", totp_secret_sealed=seal(secret)))  # fmt: skip
    web_session.commit()
    code = pyotp.TOTP(secret).now()
    first, second = web_app.test_client(), web_app.test_client()
    password_step(first)
    assert first.post("/login/code", data={"code": code}).status_code == 302
    password_step(second)
    assert "al gebruikt" in text(second.post("/login/code", data={"code": code}))
    assert web_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "second_factor.totp_replayed")
    )


def test_a_recovery_code_works_once(web_app, web_session):
    codes = regenerate_recovery_codes(web_session, user=user(web_session))
    web_session.commit()
    first, second = web_app.test_client(), web_app.test_client()
    password_step(first)
    ok = first.post("/login/code", data={"method": "recovery", "code": codes[0].upper()})
    assert ok.status_code == 302 and ok.headers["Location"] != "/login"
    assert "Welkom" in text(first.get("/home"))
    password_step(second)
    again = second.post("/login/code", data={"method": "recovery", "code": codes[0]})
    assert "onjuist" in text(again)


# --- sessions ----------------------------------------------------------------------------------


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("dossierflow_session")
    return cookie.value if cookie else None


def test_the_session_changes_at_the_password_and_again_at_the_second_factor(client, web_session):
    client.get("/login")
    before = session_cookie(client)
    password_step(client)
    after_password = session_cookie(client)
    client.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    after_code = session_cookie(client)
    assert len({before, after_password, after_code}) == 3
    sessions = web_session.scalars(select(UserSession).order_by(UserSession.id)).all()
    assert [(s.stage, s.ended_reason) for s in sessions[-2:]] == [
        ("password", "second_factor"),
        ("full", None),
    ]


def test_a_cookie_replayed_after_logout_is_refused(web_app, login):
    client = web_app.test_client()
    login(client, CLIENT)
    stolen = session_cookie(client)
    client.post("/logout")
    replay = web_app.test_client()
    replay.set_cookie("dossierflow_session", stolen)
    response = replay.get("/home")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_idle_time_out_holds(client, login, web_session):
    login(client, CLIENT)
    assert client.get("/home").status_code == 200
    web_session.execute(
        update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31))
    )
    web_session.commit()
    assert client.get("/home").headers["Location"].startswith("/login")


# --- requests ----------------------------------------------------------------------------------


def test_every_post_without_a_csrf_token_is_refused(web_database_url, compiled_translations,
                                                     tmp_path, monkeypatch):  # fmt: skip
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path))
    app = create_app(
        {
            "DATABASE_URL": web_database_url,
            "SESSION_COOKIE_SECURE": False,
            "RELAY_WAKE": "",
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert len(posts) >= 10
    for rule in posts:
        path = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
        response = client.post(path, data={"email": CLIENT, "password": DEMO_PASSWORD})
        assert response.status_code == 400, (rule.rule, response.status_code)


def test_security_headers(client):
    headers = client.get("/login").headers
    assert "object-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_pages_on_the_way_in_are_not_stored_either(client):
    """Before the login is done: the code form, a new authenticator's secret, link forms."""
    assert "no-store" in client.get("/password/forgot").headers["Cache-Control"]
    password_step(client)
    assert "no-store" in client.get("/login/code").headers["Cache-Control"]


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(
    web_database_url, compiled_translations, tmp_path, monkeypatch, web_session
):
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path))
    monkeypatch.setenv("DOSSIERFLOW_PROXY_HOPS", "1")
    app = create_app(
        {
            "DATABASE_URL": web_database_url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    client.post(
        "/login",
        data={"email": CLIENT, "password": "fout wachtwoord 1"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    failed = web_session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "auth.login_failed")
        .order_by(AuditEvent.id.desc())
    )
    assert failed.detail["ip"] == "203.0.113.7"


def test_password_attempts_are_rate_limited_per_address(
    web_database_url, compiled_translations, tmp_path, monkeypatch
):
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path))
    app = create_app(
        {"DATABASE_URL": web_database_url, "WTF_CSRF_ENABLED": False,
         "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": True}
    )  # fmt: skip
    client = app.test_client()
    address = {"REMOTE_ADDR": "198.51.100.23"}
    answers = [
        client.post("/login", data={"email": f"x{i}@example.nl", "password": "fout"},
                    environ_base=address).status_code
        for i in range(20)
    ]  # fmt: skip
    assert answers == [200] * 20
    refused = client.post("/login", data={"email": "z@example.nl", "password": "fout"},
                          environ_base=address)  # fmt: skip
    assert refused.status_code == 429
    assert "te veel pogingen" in text(refused)
    other = client.post("/login", data={"email": "y@example.nl", "password": "fout"},
                        environ_base={"REMOTE_ADDR": "198.51.100.24"})  # fmt: skip
    assert other.status_code == 200


def test_a_next_parameter_with_a_tab_does_not_lead_off_the_site(web_app):
    client = web_app.test_client()
    client.post("/login?next=/%09/evil.example/phish",
                data={"email": CLIENT, "password": DEMO_PASSWORD})  # fmt: skip
    done = client.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    page = client.get(done.headers["Location"])
    assert "evil.example" not in done.headers["Location"] + page.text
