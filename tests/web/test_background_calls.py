"""Background calls neither keep a session alive nor miss its end (issue 16, section 2), with a
frozen clock: a dossier page left open and polling still ends its session at the idle limit;
what a person does renews it; every script's call after the end gets 401 and a small JSON body,
never the login page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select, update

from casemodel.models import Dossier, User, UserSession
from tests.files import PDF
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)

CLIENT = "klant@example.nl"
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SCRIPT = {"Accept": "application/json", "X-Requested-With": "fetch"}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dossier(web_session) -> Dossier:
    return web_session.scalar(select(Dossier).where(Dossier.description.like("Levering Keizer%")))


@pytest.fixture
def portal(web_app, login, clock):
    client = web_app.test_client()
    login(client, CLIENT)
    return client


def live_session(web_session) -> UserSession:
    user_id = web_session.scalar(select(User.id).where(User.email == CLIENT))
    return web_session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.stage == "full")
        .order_by(UserSession.id.desc())
        .execution_options(populate_existing=True)
    ).first()


def poll(portal, dossier):
    return portal.get(f"/dossiers/{dossier.id}/progress", headers={"Accept": "text/html",
                                                                  "X-Requested-With": "fetch"})


def test_a_page_left_open_and_polling_ends_its_session_at_the_idle_limit(
    portal, dossier, clock, web_session
):
    assert portal.get(f"/dossiers/{dossier.id}").status_code == 200
    opened = live_session(web_session).last_seen_at
    for _ in range(7):  # every four minutes to 28, as a very slow poll would
        clock.shift(dt.timedelta(minutes=4))
        answer = poll(portal, dossier)
        assert answer.status_code == 200 and "Voortgang" in answer.get_data(as_text=True)
    assert live_session(web_session).last_seen_at == opened  # no poll renewed it
    clock.shift(dt.timedelta(minutes=3))  # 31 minutes after the page was opened
    ended = poll(portal, dossier)
    assert ended.status_code == 401
    assert ended.json == {"error": "signed_out", "message": "U bent uitgelogd.",
                          "login_url": "/login"}  # fmt: skip
    row = live_session(web_session)
    assert (row.ended_reason, row.ended_at is not None) == ("idle", True)
    # A person's request after that goes to the login page, as before.
    page = portal.get(f"/dossiers/{dossier.id}")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_what_a_person_does_renews_the_session(portal, dossier, clock, web_session):
    portal.get(f"/dossiers/{dossier.id}")
    clock.shift(dt.timedelta(minutes=20))
    portal.get(f"/dossiers/{dossier.id}?tab=messages")  # the person clicks a tab
    clock.shift(dt.timedelta(minutes=20))
    assert poll(portal, dossier).status_code == 200  # 40 minutes in, 20 since the click


def test_the_strength_hint_is_a_background_call_and_knows_the_end(
    portal, clock, web_session
):
    portal.get("/account/password")
    before = live_session(web_session).last_seen_at
    clock.shift(dt.timedelta(minutes=10))
    hint = portal.post("/password/strength", data={"password": "klant", "purpose": "change"},
                        headers=SCRIPT)  # fmt: skip
    # Judged with the account's own name as context: "klant" is refused.
    assert hint.status_code == 200 and hint.json["acceptable"] is False
    assert live_session(web_session).last_seen_at == before
    clock.shift(dt.timedelta(minutes=21))
    ended = portal.post("/password/strength", data={"password": "x", "purpose": "change"},
                         headers=SCRIPT)  # fmt: skip
    assert ended.status_code == 401 and ended.json["error"] == "signed_out"


def test_uploads_and_bins_after_the_end_get_401_json_not_the_login_page(
    portal, dossier, web_session
):
    staged = portal.post(f"/dossiers/{dossier.id}/attachments", data=PDF,
                          headers=SCRIPT | {"X-File-Name": "a.pdf"})  # fmt: skip
    assert staged.status_code == 201
    web_session.execute(update(UserSession).values(ended_at=START, ended_reason="ended_by_user"))
    web_session.commit()
    for answer in (
        portal.post(f"/dossiers/{dossier.id}/attachments", data=PDF,
                     headers=SCRIPT | {"X-File-Name": "b.pdf"}),
        portal.post(f"/dossiers/{dossier.id}/attachments/{staged.json['id']}/delete",
                     headers=SCRIPT),
        portal.post("/archive/uploads", data=PDF, headers=SCRIPT | {"X-File-Name": "c.pdf"}),
    ):  # fmt: skip
        assert answer.status_code == 401, answer.status_code
        assert answer.json["error"] == "signed_out"


def test_a_logout_elsewhere_also_answers_scripts_401(web_app, login, dossier):
    """Logging out clears the form token's secret: the CSRF check refuses first, and is
    answered as signed out too."""
    web_app.config["WTF_CSRF_ENABLED"] = True
    browser = web_app.test_client()
    login_with_csrf(browser)
    page = browser.get(f"/dossiers/{dossier.id}/messages/new").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post("/logout", data={"csrf_token": token})
    headers = SCRIPT | {"X-File-Name": "a.pdf", "X-CSRFToken": token}
    refused = browser.post(f"/dossiers/{dossier.id}/attachments", data=PDF, headers=headers)
    assert refused.status_code == 401 and refused.json["error"] == "signed_out"
    # A form posted by a person still gets the usual 400 for a missing token.
    assert browser.post(f"/dossiers/{dossier.id}/messages", data={}).status_code == 400


def login_with_csrf(browser) -> None:
    from devtools.seed import DEMO_PASSWORD

    def token(path):
        return browser.get(path).get_data(as_text=True).split(
            'name="csrf_token" value="')[1].split('"')[0]  # fmt: skip

    browser.post("/login", data={"email": CLIENT, "password": DEMO_PASSWORD,
                                 "csrf_token": token("/login")})  # fmt: skip
    browser.post("/login/code", data={"code": latest_sms_code(CLIENT),
                                      "csrf_token": token("/login/code")})  # fmt: skip


def test_the_session_check_gives_a_fresh_form_token_or_401(portal, web_session):
    state = portal.get("/session", headers=SCRIPT)
    assert state.status_code == 200 and state.json["signed_in"] is True
    assert state.json["csrf_token"]
    web_session.execute(update(UserSession).values(ended_at=START, ended_reason="logout"))
    web_session.commit()
    assert portal.get("/session", headers=SCRIPT).status_code == 401
