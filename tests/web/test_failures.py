"""A failed dossier as each person sees it: delayed for the client, never the error; failed,
with its error and a retry, for staff (on the dossier and under Storingen); outbox messages
given up, with a retry, never their content."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemodel.db import utcnow
from casemodel.models import Dossier, OutboxMessage
from casemodel.services.failures import fail_step
from casemodel.services.outbox import enqueue
from tests.web.test_pages import (
    BOTH,
    CLIENT,
    STAFF,
    TRANSFER_KEEP,
    dossier_by_description,
    speak,
    text,
    tr,
)

MANAGER = "manager@example.nl"
ERROR = "KeyError: 'registers_check'\nFile \"casemodel/actions.py\", line 42"


@pytest.fixture
def failed(web_session) -> Dossier:
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)
    fail_step(web_session, dossier_id=dossier.id, step_key="intake", error=ERROR)
    web_session.commit()
    return dossier


@BOTH
def test_the_client_sees_a_failed_dossier_as_delayed_and_never_the_error(
    client, login, failed, locale
):
    login(client, CLIENT)
    speak(client, locale)

    for path in (f"/dossiers/{failed.id}", "/dossiers", f"/dossiers/{failed.id}/progress"):
        page = text(client.get(path))
        assert tr(locale, "Vertraagd", "Delayed") in page, path
        assert "KeyError" not in page and "registers_check" not in page and "line 42" not in page
        assert tr(locale, "Mislukt", "Failed") not in page
    home = text(client.get("/home"))
    assert "KeyError" not in home


@BOTH
def test_staff_see_the_failure_with_its_error_and_retry_from_the_failed_step(
    client, login, failed, web_session, locale
):
    login(client, STAFF)
    speak(client, locale)

    page = text(client.get(f"/office/dossiers/{failed.id}"))
    assert tr(locale, "Dit dossier staat stil", "This dossier has stopped") in page
    assert "KeyError: 'registers_check'" in page
    assert tr(locale, "De cliënt ziet het dossier als vertraagd.",
              "The client sees the dossier as delayed.") in page  # fmt: skip
    listing = text(client.get("/office/failures"))
    assert failed.number in listing and "KeyError: 'registers_check'" in listing
    assert text(client.get("/office/?status=failed")).count(f"/office/dossiers/{failed.id}") == 1

    response = client.post(f"/office/dossiers/{failed.id}/retry",
                           data={"next": "/office/failures"})  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/office/failures"
    web_session.expire_all()
    dossier = web_session.get(Dossier, failed.id)
    assert dossier.status == "open"
    assert [s.state for s in dossier.steps if s.key == "intake"] == ["pending"]
    restart = web_session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "retry_flow_run")
    )
    assert restart.payload == {"dossier_id": failed.id}
    after = text(client.get("/office/failures"))
    assert 'data-testid="failed-dossiers"' not in after
    assert tr(locale, "Geen dossiers die stilstaan.", "No dossiers have stopped.") in after
    # A second press (another tab) changes nothing.
    client.post(f"/office/dossiers/{failed.id}/retry")
    assert (
        len(
            web_session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "retry_flow_run")
            ).all()
        )
        == 1
    )


def test_clients_cannot_reach_the_failures_nor_retry(client, login, failed):
    login(client, CLIENT)
    assert client.get("/office/failures").status_code == 404
    assert client.post(f"/office/dossiers/{failed.id}/retry").status_code == 404


def test_a_message_given_up_is_listed_without_its_content_and_sent_again(
    client, login, web_session
):
    message = enqueue(
        web_session, kind="send_mail", dedupe_key="mail:given-up",
        payload={"to": "klant@example.nl", "subject": "Wachtwoord instellen",
                 "text": "https://portal.example/set-password/SECRET-TOKEN", "html": ""},
    )  # fmt: skip
    message.attempts, message.last_error = 20, "SMTPConnectError(421, 'try later')"
    message.dead_at = utcnow()
    web_session.commit()
    login(client, MANAGER)  # a manager sees the mails of no dossier

    page = text(client.get("/office/failures"))
    assert "klant@example.nl" in page and "Wachtwoord instellen" in page
    assert "SMTPConnectError(421, 'try later')" in page and "20" in page
    assert "SECRET-TOKEN" not in page

    response = client.post(f"/office/outbox/{message.id}/retry")
    assert response.status_code == 302
    web_session.expire_all()
    again = web_session.get(OutboxMessage, message.id)
    assert (again.dead_at, again.attempts) == (None, 0)
    assert client.post("/office/outbox/999999/retry").status_code == 404
