"""Limits on what one account may send, as the client and the office see them, with a frozen
clock: the message form keeps what was typed and says from when; the upload dialog's endpoint
answers 429 with the reason and Retry-After; a form with files goes back to its page with the
reason; the office sees who hit a limit. And two portal processes share one count."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from sqlalchemy import func, select

from casemodel.models import ArchivedFile, Dossier, Message, Organisation, User
from tests.files import PDF
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)
from tests.web.test_messages import CLIENT, STAFF, send, text, upload

#: 10:15 UTC on 1 December is 11:15 in Amsterdam.
MORNING = dt.datetime(2026, 12, 1, 10, 15, tzinfo=dt.UTC)
DIRECTOR = "directeur@example.nl"


@pytest.fixture
def transfer(web_session) -> Dossier:
    return web_session.scalar(select(Dossier).where(Dossier.description.like("Levering Keizer%")))


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def test_the_message_form_says_from_when_and_keeps_the_text(
    web_app, login, transfer, web_session, clock, limits
):
    limits(messages_per_user=2)
    browser = web_app.test_client()
    login(browser, CLIENT)
    for number in range(2):
        assert send(browser, transfer, subject=f"Vraag {number}").status_code == 302
    refused = send(browser, transfer, subject="Nog een vraag", body="Mijn tekst blijft staan.")
    assert refused.status_code == 429
    page = text(refused)
    # 11:00:01 UTC is 12:00 in Amsterdam.
    assert "U heeft het maximum bereikt van 2 berichten per uur. Vanaf 12:00 kunt u verder." in page
    assert 'value="Nog een vraag"' in refused.get_data(as_text=True)
    assert "Mijn tekst blijft staan." in refused.get_data(as_text=True)
    assert web_session.scalar(select(func.count()).select_from(Message)
                              .where(Message.subject == "Nog een vraag")) == 0  # fmt: skip
    browser.post("/language", data={"locale": "en"})
    english = text(send(browser, transfer, subject="Nog een vraag"))
    assert "You have reached the maximum of 2 messages per hour. You can go on from 12:00." in (
        english
    )
    clock.move_to(dt.datetime(2026, 12, 1, 11, 0, 1, tzinfo=dt.UTC))
    assert send(browser, transfer, subject="Nog een vraag").status_code == 302


def test_the_upload_dialog_gets_429_with_the_reason_and_retry_after(
    web_app, login, transfer, clock, limits
):
    limits(uploads_per_user=1)
    browser = web_app.test_client()
    login(browser, CLIENT)
    headers = {"Accept": "application/json"}
    assert upload(browser, transfer).status_code == 201
    refused = browser.post(f"/dossiers/{transfer.id}/attachments", data=PDF,
                           headers=headers | {"X-File-Name": "b.pdf"})  # fmt: skip
    assert refused.status_code == 429
    assert refused.json["error"] == (
        "U heeft het maximum bereikt van 1 bestanden per uur. Vanaf 12:00 kunt u verder."
    )
    assert refused.json["retry_at"] == "2026-12-01T11:00:01+00:00"
    assert refused.headers["Retry-After"] == str(45 * 60 + 1)


def test_the_folder_form_goes_back_with_the_reason_and_archives_nothing(
    web_app, login, web_session, clock, limits
):
    limits(uploads_per_user=2)
    browser = web_app.test_client()
    login(browser, DIRECTOR)
    files = [(PDF, f"{n}.pdf", "application/pdf") for n in range(3)]
    refused = browser.post(
        "/archive/uploads/form", data={"files": [(io.BytesIO(c), n, t) for c, n, t in files]},
        headers={"Referer": "http://localhost/archive?folder=upload"},
    )
    assert refused.status_code == 303
    assert refused.headers["Location"] == "/archive?folder=upload"
    page = text(browser.get("/archive?folder=upload"))
    assert "U heeft het maximum bereikt van 2 bestanden per uur." in page
    assert web_session.scalar(select(func.count()).select_from(ArchivedFile)) == 0


def test_the_office_sees_who_hit_a_limit(web_app, login, transfer, web_session, clock, limits):
    limits(messages_per_user=1)
    client = web_app.test_client()
    login(client, CLIENT)
    send(client, transfer)
    assert send(client, transfer).status_code == 429
    office = web_app.test_client()
    login(office, STAFF)
    page = office.get("/office/accounts/new")
    rows = re.findall(r'<tr data-testid="limit-hit">(.*?)</tr>', page.get_data(as_text=True),
                      flags=re.S)  # fmt: skip
    assert len(rows) == 1
    who = web_session.scalar(select(User).where(User.email == CLIENT))
    organisation = web_session.get(Organisation, transfer.organisation_id)
    row = " ".join(re.sub(r"<[^>]+>", " ", rows[0]).split())
    assert who.name in row and CLIENT in row and organisation.name in row
    assert "Berichten per uur" in row
