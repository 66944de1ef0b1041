"""Mijn gegevens (notary manual §2.2, the accountancy manual's "Beheer"): two-step verification
behind a re-entered password, notifications, the password, and the signed-in browsers, for
clients (/details) and staff (/account).

The demo users log in by SMS (devtools/seed.py); every test runs on its own copy of the data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from casemodel.models import AuditEvent, Membership, OutboxMessage, User, UserSession
from casemodel.services.memberships import notification_modules
from devtools.seed import DEMO_PASSWORD
from tests.web.page_text import text
from webapp.extensions import db

CLIENT = "klant@example.nl"
STAFF = "medewerker@example.nl"
NEW_NUMBER = "+31641234567"
NEW_PASSWORD = "paardenbloem zonnig fietspad"
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)


def sms_code_to(number: str) -> str:
    """The code in the newest SMS queued for a number (the fixture's latest_sms_code looks up
    the user's registered number, which a new number is not yet)."""
    with db.session_factory() as session:
        for payload in session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.kind == "send_sms")
            .order_by(OutboxMessage.id.desc())
        ):
            if payload.get("to") == number:
                return re.search(r"\b(\d{6})\b", payload["text"]).group(1)
    raise AssertionError(f"no SMS to {number}")


def user_named(email: str) -> User:
    with db.session_factory() as session:
        user = session.scalar(select(User).where(User.email == email))
        session.expunge(user)
        return user


def reauthenticate(client, password: str = DEMO_PASSWORD, *, method: str = "sms",
                   code: str | None = None, email: str = CLIENT):  # fmt: skip
    """The password again, then the current second factor (if the user has one): an SMS code
    sent to the registered number, or the code given (an authenticator's, a recovery code)."""
    answer = client.post("/account/confirm", data={"password": password})
    user = user_named(email)
    if user.second_factor is None:
        return answer
    if method == "sms" and code is None:
        client.post("/account/confirm/code", data={"step": "send"})
        code = sms_code_to(user.mobile_number)
    client.post(f"/account/confirm/code?method={method}", data={"code": code})
    return answer


def recovery_codes_on(response) -> list[str]:
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.get_data(as_text=True))


def totp_secret_on(response) -> str:
    return re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', response.get_data(as_text=True))[1]


def not_at_a_step_boundary() -> None:
    """The codes below are computed here and checked by the app a moment later: not across the
    edge of a 30-second TOTP step."""
    if time.time() % 30 > 28:
        time.sleep(2.5)


def is_checked(response, field: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', response.get_data(as_text=True))
    assert tag, f"no checkbox {field}"
    return " checked" in tag[0]


def audit_actions(user_id: int) -> list[str]:
    with db.session_factory() as session:
        return list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user_id))
        )


# --- re-authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/account/two-step/number?method=sms",
        "/account/two-step/authenticator?method=totp",
        "/account/recovery-codes",
    ],
)
def test_changing_two_step_verification_asks_for_the_password_first(client, login, path):
    login(client, CLIENT)
    asked = client.get(path)
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/account/confirm?next=")
    page = client.get(asked.headers["Location"])
    assert "Bevestig dat u het bent" in text(page)

    wrong = client.post(asked.headers["Location"], data={"password": "niet mijn wachtwoord"})
    assert wrong.status_code == 200 and "Het wachtwoord is onjuist." in text(wrong)
    assert client.get(path).headers["Location"].startswith("/account/confirm")

    right = client.post(asked.headers["Location"], data={"password": DEMO_PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == path
    # Then the current second factor: a code by SMS to the registered number.
    factor = client.get(path)
    assert factor.status_code == 302
    assert factor.headers["Location"].startswith("/account/confirm/code?next=")
    page = client.get(factor.headers["Location"])
    assert "Bevestig met uw tweede stap" in text(page) and "eindigt op 01" in text(page)
    client.post("/account/confirm/code", data={"step": "send"})
    confirmed = client.post(factor.headers["Location"], data={"code": sms_code_to("+31612340001")})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == path
    assert client.get(path).status_code == 200


def test_a_number_change_is_refused_without_the_current_factor(client, login):
    """A stolen session and the password are not enough to put another phone in place."""
    login(client, CLIENT)
    client.post("/account/confirm", data={"password": DEMO_PASSWORD})
    change = {"method": "sms", "step": "number", "mobile_number": "06 41 23 45 67"}
    refused = client.post("/account/two-step/number?method=sms", data=change)
    assert refused.headers["Location"].startswith("/account/confirm/code")
    with db.session_factory() as session:  # no code went to the new number
        assert not [p for p in session.scalars(select(OutboxMessage.payload))
                    if p.get("to") == NEW_NUMBER]  # fmt: skip
    # A code that is not the one sent is refused, and counted.
    client.post("/account/confirm/code", data={"step": "send"})
    wrong = client.post("/account/confirm/code?method=sms", data={"code": "000000"})
    assert "De code is onjuist." in text(wrong)
    assert client.post("/account/two-step/number?method=sms", data=change).status_code == 302
    assert user_named(CLIENT).failed_logins == 1
    # A recovery code will do too, for someone whose phone is gone.
    with db.session_factory() as session:
        from casemodel.services.second_factor import regenerate_recovery_codes

        codes = regenerate_recovery_codes(session, user=session.get(User, user_named(CLIENT).id))
        session.commit()
    client.post("/account/confirm/code?method=recovery", data={"code": codes[0]})
    asked = client.post("/account/two-step/number?method=sms", data=change)
    assert asked.status_code == 200 and "Vul de code in uit de SMS" in text(asked)


def test_five_wrong_codes_at_the_factor_confirmation_end_the_session(client, login):
    login(client, CLIENT)
    client.post("/account/confirm", data={"password": DEMO_PASSWORD})
    for left in (4, 3, 2, 1):
        wrong = client.post("/account/confirm/code?method=totp", data={"code": "123456"})
        # Each wrong code says how many more the account takes before it is locked.
        tries = "pogingen" if left > 1 else "poging"
        assert f"Nog {left} {tries} voordat uw account 15 minuten" in text(wrong)
    fifth = client.post("/account/confirm/code?method=recovery", data={"code": "aaaaa-bbbbb"})
    assert fifth.headers["Location"] == "/login"
    assert client.get("/details").headers["Location"].startswith("/login")
    assert user_named(CLIENT).locked_until is not None


def test_a_post_without_a_fresh_password_changes_nothing(client, login):
    login(client, CLIENT)
    response = client.post("/account/recovery-codes")
    assert response.headers["Location"].startswith("/account/confirm")
    assert "second_factor.recovery_codes_created" not in audit_actions(user_named(CLIENT).id)


def test_the_password_counts_for_five_minutes_and_for_this_login_only(client, login):
    login(client, CLIENT)
    assert reauthenticate(client).status_code == 302
    assert client.get("/account/recovery-codes").status_code == 200
    with client.session_transaction() as flask_session:
        flask_session["reauth_at"] -= 5 * 60 + 1
    assert client.get("/account/recovery-codes").headers["Location"].startswith("/account/confirm")

    reauthenticate(client)
    client.post("/logout")
    login(client, CLIENT)
    assert client.get("/account/recovery-codes").headers["Location"].startswith("/account/confirm")


def test_five_wrong_passwords_inside_a_session_end_it_and_lock_the_account(client, login):
    """Whoever holds a stolen session cannot guess the password there (SECURITY.md)."""
    login(client, CLIENT)
    for left in (4, 3, 2, 1):
        tries = "pogingen" if left > 1 else "poging"
        assert (f"Het wachtwoord is onjuist. Nog {left} {tries} voordat uw account 15 minuten "
                "wordt geblokkeerd.") in text(reauthenticate(client, "geraden 123"))
    assert client.get("/details").status_code == 200  # still signed in after four

    fifth = reauthenticate(client, "geraden 123")
    assert fifth.status_code == 302 and fifth.headers["Location"] == "/login"
    assert "vijf keer achter elkaar een onjuist wachtwoord" in text(client.get("/login"))
    assert client.get("/details").headers["Location"].startswith("/login")
    user = user_named(CLIENT)
    assert user.locked_until is not None and user.failed_logins == 0
    with db.session_factory() as session:
        ended = session.scalars(
            select(UserSession.ended_reason).where(UserSession.user_id == user.id)
        ).all()
    assert "wrong_passwords" in ended
    recorded = audit_actions(None) + audit_actions(user.id)
    assert "auth.account_locked" in recorded and "auth.logout" in recorded


def test_wrong_current_passwords_count_too_and_a_right_one_starts_the_count_again(client, login):
    login(client, CLIENT)
    form = {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    for left in (4, 3, 2, 1):
        wrong = client.post("/account/password", data={**form, "current": "fout"})
        tries = "pogingen" if left > 1 else "poging"
        assert f"Uw huidige wachtwoord is onjuist. Nog {left} {tries}" in text(wrong)
    assert reauthenticate(client).status_code == 302  # right: the count starts again
    assert user_named(CLIENT).failed_logins == 0
    for _ in range(4):
        client.post("/account/password", data={**form, "current": "fout"})
    assert client.get("/details").status_code == 200
    fifth = client.post("/account/password", data={**form, "current": "fout"})
    assert fifth.headers["Location"] == "/login"
    assert client.get("/details").headers["Location"].startswith("/login")


# --- two-step verification -----------------------------------------------------------------------


def test_the_current_method_and_a_masked_number_are_shown(client, login):
    login(client, CLIENT)
    page = text(client.get("/details"))
    assert "U ontvangt bij het inloggen een code per SMS op +31 ••••••• 01." in page
    assert "+31612340001" not in page
    assert "Mobiel nummer wijzigen" in page
    assert "Overstappen op een authenticator-app" in page


def test_a_client_without_two_step_verification_sets_it_up(client, web_session):
    user = web_session.scalar(select(User).where(User.email == CLIENT))
    for membership in user.memberships:
        membership.organisation.office.require_second_factor = False
    user.second_factor, user.mobile_number = None, None
    web_session.commit()
    response = client.post("/login", data={"email": CLIENT, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] != "/login/code"
    page = text(client.get("/details"))
    assert "2-staps verificatie staat uit." in page
    assert "Mobiel nummer wijzigen" not in page

    assert client.get("/account/two-step/setup").headers["Location"].startswith("/account/confirm")
    reauthenticate(client)
    assert "Kies hoe u die code wilt krijgen" in text(client.get("/account/two-step/setup"))
    client.post(
        "/account/two-step/setup?method=sms",
        data={"method": "sms", "step": "number", "mobile_number": "06 41 23 45 67"},
    )
    done = client.post(
        "/account/two-step/setup?method=sms",
        data={"method": "sms", "step": "sms_code", "code": sms_code_to(NEW_NUMBER)},
    )
    assert "2-staps verificatie staat aan." in text(done)
    assert len(recovery_codes_on(done)) == 10
    user = user_named(CLIENT)
    assert (user.second_factor, user.mobile_number) == ("sms", NEW_NUMBER)


def test_a_new_mobile_number_is_proved_by_an_sms_code(client, login, web_app):
    elsewhere = web_app.test_client()
    login(elsewhere, CLIENT)
    login(client, CLIENT)
    reauthenticate(client)
    form = client.get("/account/two-step/number")  # the method is filled in on the way
    form = client.get(form.headers["Location"])
    assert "Mobiel nummer wijzigen" in text(form)

    asked = client.post(
        "/account/two-step/number?method=sms",
        data={"method": "sms", "step": "number", "mobile_number": "06 41 23 45 67"},
    )
    assert "Vul de code in uit de SMS" in text(asked)
    wrong = client.post(
        "/account/two-step/number?method=sms",
        data={"method": "sms", "step": "sms_code", "code": "000000"},
    )
    assert "De code is onjuist" in text(wrong)
    assert user_named(CLIENT).mobile_number == "+31612340001"  # not proved yet

    done = client.post(
        "/account/two-step/number?method=sms",
        data={"method": "sms", "step": "sms_code", "code": sms_code_to(NEW_NUMBER)},
    )
    assert user_named(CLIENT).mobile_number == NEW_NUMBER
    assert user_named(CLIENT).second_factor == "sms"
    # The demo client had no recovery codes yet: they come now, once.
    assert "Uw nieuwe mobiele nummer is bevestigd." in text(done)
    assert len(recovery_codes_on(done)) == 10
    page = text(client.get("/details"))
    assert "+31 ••••••• 67" in page
    # The other browser must pass the new factor: its session has ended.
    assert elsewhere.get("/details").headers["Location"].startswith("/login")

    # The next login's code goes to the new number (the fixture reads the registered one).
    client.post("/logout")
    login(client, CLIENT)
    assert client.get("/details").status_code == 200


def test_an_authenticator_being_set_up_keeps_its_secret_sealed_on_the_server(
    client, login, web_app
):
    login(client, CLIENT)
    reauthenticate(client)
    secret = totp_secret_on(client.get("/account/two-step/authenticator?method=totp"))

    # Not in the browser's cookie: Flask's is signed, not encrypted.
    cookie = client.get_cookie(web_app.config["SESSION_COOKIE_NAME"])
    opened = web_app.session_interface.get_signing_serializer(web_app).loads(cookie.value)
    assert secret not in json.dumps(opened) and secret not in cookie.value
    # On this login's session row, sealed; the page shows the same one again.
    with db.session_factory() as session:
        (row,) = session.scalars(
            select(UserSession).where(UserSession.pending_totp_sealed.is_not(None))
        ).all()
        assert secret not in row.pending_totp_sealed and row.pending_totp_secret == secret
    again = client.get("/account/two-step/authenticator?method=totp")
    assert totp_secret_on(again) == secret

    # It goes with the session.
    client.post("/logout")
    with db.session_factory() as session:
        assert session.get(UserSession, row.id).pending_totp_sealed is None


def test_switching_to_the_authenticator_and_logging_in_with_it(client, login):
    login(client, CLIENT)
    reauthenticate(client)
    setup = client.get("/account/two-step/authenticator?method=totp")
    assert "<svg" in setup.get_data(as_text=True)  # the QR code
    totp = pyotp.TOTP(totp_secret_on(setup))
    not_at_a_step_boundary()
    # The previous step's code (accepted one step either side), so that the login below can use
    # the current one: each time step is accepted once.
    previous = totp.at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))
    wrong = "000000" if previous != "000000" else "111111"
    refused = client.post(
        "/account/two-step/authenticator?method=totp",
        data={"method": "totp", "step": "totp_code", "code": wrong},
    )
    assert "De code is onjuist" in text(refused)
    done = client.post(
        "/account/two-step/authenticator?method=totp",
        data={"method": "totp", "step": "totp_code", "code": previous},
    )
    assert "De authenticator is ingesteld." in text(done)
    assert len(recovery_codes_on(done)) == 10
    assert user_named(CLIENT).second_factor == "totp"
    with db.session_factory() as session:  # confirmed: no longer kept as one being set up
        assert not session.scalars(
            select(UserSession).where(UserSession.pending_totp_sealed.is_not(None))
        ).all()
    page = text(client.get("/details"))
    assert "U logt in met een code uit uw authenticator-app." in page
    assert "+31 ••••••• 01" in page  # the number stays, as the fallback

    client.post("/logout")
    response = client.post("/login", data={"email": CLIENT, "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/login/code"
    response = client.post("/login/code", data={"code": totp.now()})
    assert response.status_code == 302
    assert "Welkom, Jan de Vries" in text(client.get("/home"))

    # And back to SMS: again only after the password.
    assert client.get("/account/two-step/sms").headers["Location"].startswith("/account/confirm")
    reauthenticate(client)
    assert "Terug naar SMS" in text(client.get("/account/two-step/sms"))
    client.post("/account/two-step/sms")
    user = user_named(CLIENT)
    assert (user.second_factor, user.totp_secret) == ("sms", None)
    assert "U logt voortaan in met een code per SMS." in text(client.get("/details"))


def test_new_recovery_codes_replace_the_old_ones(client, login):
    login(client, CLIENT)
    reauthenticate(client)
    assert "Uw huidige herstelcodes werken daarna niet meer" in text(
        client.get("/account/recovery-codes")
    )
    old = recovery_codes_on(client.post("/account/recovery-codes"))
    new = recovery_codes_on(client.post("/account/recovery-codes"))
    assert len(old) == len(new) == 10 and not set(old) & set(new)

    client.post("/logout")
    client.post("/login", data={"email": CLIENT, "password": DEMO_PASSWORD})
    refused = client.post("/login/code", data={"method": "recovery", "code": old[0]})
    assert refused.status_code == 200 and "De code is onjuist." in text(refused)
    accepted = client.post("/login/code", data={"method": "recovery", "code": new[0]})
    assert accepted.status_code == 302
    assert client.get("/details").status_code == 200


# --- notifications -------------------------------------------------------------------------------


def test_notification_preferences_are_saved_per_organisation(client, login):
    login(client, CLIENT)
    with db.session_factory() as session:
        [membership] = session.scalars(
            select(Membership).join(User).where(User.email == CLIENT)
        ).all()
        organisation_id = membership.organisation_id
    field = f"o{organisation_id}-{{}}".format
    assert is_checked(client.get("/details"), field("documents"))  # on, until one says no

    response = client.post(f"/account/notifications/{organisation_id}",
                           data={field("messages"): "y", field("uploads"): "y"})  # fmt: skip
    assert response.headers["Location"] == "/details#notifications"
    with db.session_factory() as session:
        membership = session.get(Membership, membership.id)
        assert notification_modules(membership) == {
            "documents": False, "messages": True, "questionnaires": False, "approvals": False,
            "uploads": True, "news": False,
        }  # fmt: skip
    page = client.get("/details")
    assert "Uw voorkeuren voor e-mailberichten zijn opgeslagen." in text(page)
    assert not is_checked(page, field("documents"))
    assert not is_checked(page, field("questionnaires"))
    assert is_checked(page, field("messages"))
    # Another organisation's (or none) is not the client's to set.
    assert client.post("/account/notifications/999999", data={}).status_code == 404


# --- password ------------------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions(client, login, web_app):
    other = web_app.test_client()
    login(other, CLIENT)
    login(client, CLIENT)
    form = {"current": DEMO_PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}

    wrong = client.post("/account/password", data={**form, "current": "fout"})
    assert "Uw huidige wachtwoord is onjuist." in text(wrong)
    mismatch = client.post("/account/password", data={**form, "repeat": "iets anders"})
    assert "De twee wachtwoorden zijn niet gelijk." in text(mismatch)
    weak = client.post(
        "/account/password", data={**form, "password": "Welkom2026!", "repeat": "Welkom2026!"}
    )
    assert "te makkelijk te raden" in text(weak)
    assert other.get("/details").status_code == 200  # nothing changed yet

    done = client.post("/account/password", data=form)
    assert done.headers["Location"] == "/details"
    assert "Uw wachtwoord is gewijzigd." in text(client.get("/details"))
    ended = other.get("/details")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")

    client.post("/logout")
    login(client, CLIENT, password=NEW_PASSWORD)
    assert client.get("/details").status_code == 200


# --- sessions ------------------------------------------------------------------------------------


def test_ending_a_session_from_the_list_logs_that_browser_out(client, login, web_app):
    other = web_app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = FIREFOX_ON_WINDOWS
    login(other, CLIENT)
    login(client, CLIENT)

    page = client.get("/details")
    assert "Firefox op Windows" in text(page)
    assert "(deze sessie)" in text(page)
    assert "127.0.0.1" in text(page)
    actions = re.findall(r'action="(/account/sessions/\d+/end)"', page.get_data(as_text=True))
    assert len(actions) == 1  # the other one; this one has no button

    response = client.post(actions[0])
    assert response.headers["Location"] == "/details#sessions"
    assert "De sessie is beëindigd" in text(client.get("/details"))
    ended = other.get("/home")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")
    assert client.get("/home").status_code == 200
    assert "Firefox op Windows" not in text(client.get("/details"))
    assert client.post(actions[0]).status_code == 404  # already ended


def test_a_session_of_someone_else_cannot_be_ended(client, login, web_app):
    other = web_app.test_client()
    login(other, STAFF)
    login(client, CLIENT)
    page = other.get("/account").get_data(as_text=True)
    assert not re.findall(r'action="(/account/sessions/\d+/end)"', page)
    with db.session_factory() as session:
        staff_sessions = session.scalars(
            select(UserSession.id).where(UserSession.user_id == user_named(STAFF).id)
        ).all()
    for session_id in staff_sessions:
        assert client.post(f"/account/sessions/{session_id}/end").status_code == 404
    assert other.get("/account").status_code == 200


def test_ending_all_other_sessions(client, login, web_app):
    others = [web_app.test_client(), web_app.test_client()]
    for other in others:
        login(other, CLIENT)
    login(client, CLIENT)
    response = client.post("/account/sessions/end-others")
    assert response.headers["Location"] == "/details#sessions"
    assert "2 andere sessies beëindigd." in text(client.get("/details"))
    for other in others:
        assert other.get("/home").headers["Location"].startswith("/login")
    assert client.get("/home").status_code == 200


# --- staff, and English --------------------------------------------------------------------------


def test_staff_reach_my_details_from_the_header(client, login):
    login(client, STAFF)
    office = client.get("/office/").get_data(as_text=True)
    assert 'href="/account"' in office
    page = text(client.get("/account"))
    assert "Sanne Jansen" in page and STAFF in page
    assert "U ontvangt bij het inloggen een code per SMS op +31 ••••••• 03." in page
    assert "Ingelogde apparaten" in page
    # Staff are told of what clients send them always: no choices per organisation.
    assert "Notificaties" not in page
    reauthenticate(client, email=STAFF)
    codes = recovery_codes_on(client.post("/account/recovery-codes"))
    assert len(codes) == 10
    assert 'href="/account"' in client.post("/account/recovery-codes").get_data(as_text=True)


def test_clients_asking_for_the_staff_page_land_on_theirs(client, login):
    login(client, CLIENT)
    assert client.get("/account").headers["Location"] == "/details"


def test_the_pages_in_english(client, login):
    login(client, CLIENT)
    client.post("/language", data={"locale": "en", "next": "/details"})
    page = text(client.get("/details"))
    for phrase in (
        "My details",
        "Two-step verification",
        "When you log in, you receive a code by text message on +31 ••••••• 01.",
        "Change mobile number",
        "Notifications",
        "New documents are ready for me",
        "Signed-in devices",
        "(this session)",
        "Change password",
    ):
        assert phrase in page, phrase
    asked = client.get("/account/recovery-codes")
    assert "Confirm it is you" in text(client.get(asked.headers["Location"]))
    wrong = reauthenticate(client, "fout")
    assert "The password is incorrect." in text(wrong)
    reauthenticate(client)
    assert "New recovery codes" in text(client.get("/account/recovery-codes"))
    assert "Current password" in text(client.get("/account/password"))
    with db.session_factory() as session:
        [organisation_id] = session.scalars(
            select(Membership.organisation_id).join(User).where(User.email == CLIENT)
        ).all()
    client.post(f"/account/notifications/{organisation_id}", data={})
    assert "Your e-mail preferences have been saved." in text(client.get("/details"))
