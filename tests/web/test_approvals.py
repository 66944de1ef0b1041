"""The approval pages (issue 15, sections 2, 6 and 7) through the whole portal, on SQLite and
PostgreSQL: the four steps with an SMS code, each refusal a clear message in the user's language
with nothing approved, "Vraag?", "Niet akkoord", the Overzicht's filters and the office's part.
The demo's 2024 accounts wait for the director's approval (devtools/seed.py)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from casemodel.filestore import FileStore
from casemodel.models import (
    ApprovalRequest,
    Document,
    Dossier,
    Membership,
    Message,
    OutboxMessage,
    User,
)
from casemodel.services.approvals import put_up, withdraw
from casemodel.services.documents import add_version, publish_document
from devtools.seed import DOCUMENTS, demo_pdf
from tests.files import PDF
from tests.fixtures.web import latest_sms_code
from tests.web.page_text import text

DIRECTOR = "directeur@example.nl"
CLIENT = "klant@example.nl"
STAFF = "medewerker@example.nl"
BOTH = pytest.mark.parametrize("locale", ["nl", "en"])


def tr(locale: str, nl: str, en: str) -> str:
    return en if locale == "en" else nl


@pytest.fixture
def director(web_app, login):
    client = web_app.test_client()
    login(client, DIRECTOR)
    return client


@pytest.fixture
def waiting(web_app, web_session) -> ApprovalRequest:
    """The demo's 2024 accounts, put up to the director; their bytes in this app's file store
    (the seed writes them elsewhere; the demo PDFs are the same bytes every time)."""
    request = web_session.scalar(select(ApprovalRequest).where(ApprovalRequest.state == "open"))
    store = FileStore(web_app.config["FILES_PATH"])
    for _dossier, _folder, title, _name, lines, recipient in DOCUMENTS:
        if recipient:
            stored = store.put(io.BytesIO(demo_pdf(title, lines)), max_bytes=10**6)
            assert stored.sha256 == request.document_sha256
    return request


def speak(client, locale: str) -> None:
    client.post("/language", data={"locale": locale})


def flashed(response_after_redirect) -> str:
    return text(response_after_redirect)


def confirmation_binding(client, approval_id: int) -> str:
    page = client.get(f"/approvals/{approval_id}/confirm")
    assert page.status_code == 200
    return re.search(r'name="binding" type="hidden" value="([0-9a-f]{64})"', page.text).group(1)


def challenge_of(client, approval_id: int) -> str:
    page = client.get(f"/approvals/{approval_id}/sign")
    return re.search(r'name="challenge_id" type="hidden" value="(\d+)"', page.text).group(1)


def sms_code(web_app) -> str:
    with web_app.app_context():
        return latest_sms_code(DIRECTOR)


def count_approved(web_session) -> int:
    web_session.expire_all()
    return web_session.scalar(
        select(func.count()).select_from(ApprovalRequest).where(ApprovalRequest.state == "approved")
    )


@BOTH
def test_the_four_steps_with_an_sms_code(web_app, director, waiting, web_session, locale):
    speak(director, locale)
    listed = text(director.get("/approvals"))
    assert "Jaarrekening 2024 Bakkerij Van Dam B.V." in listed
    assert tr(locale, "de Kamer van Koophandel", "the Chamber of Commerce") in listed
    page = director.get(f"/approvals/{waiting.id}")
    assert 'data-testid="agree"' in page.text and 'aria-disabled="true"' in page.text

    # Step 1 first: the server refuses "Akkoord" until this user opened this version.
    refused = director.get(f"/approvals/{waiting.id}/confirm", follow_redirects=True)
    assert tr(locale, "Open eerst het document.", "Please open the document first.") in text(
        refused
    )
    assert (
        director.post(f"/approvals/{waiting.id}/agree", data={"binding": "x" * 64}).status_code
        == 302
    )
    opened = director.get(f"/approvals/{waiting.id}/document")
    assert opened.status_code == 200 and opened.data.startswith(b"%PDF")
    assert opened.headers["Content-Disposition"].startswith("inline")
    assert opened.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert 'aria-disabled="true"' not in director.get(f"/approvals/{waiting.id}").text

    # Step 2: the confirmation names the document and the recipient.
    confirm = text(director.get(f"/approvals/{waiting.id}/confirm"))
    assert (
        tr(
            locale,
            "Ik heb Jaarrekening 2024 Bakkerij Van Dam B.V. (versie 1) bekeken",
            "I have looked at Jaarrekening 2024 Bakkerij Van Dam B.V. (version 1)",
        )
        in confirm
    )
    assert (
        tr(
            locale,
            "Accountantskantoor Tamek en de Kamer van Koophandel",
            "Accountantskantoor Tamek and the Chamber of Commerce",
        )
        in confirm
    )
    binding = confirmation_binding(director, waiting.id)
    agreed = director.post(f"/approvals/{waiting.id}/agree", data={"binding": binding})
    assert agreed.headers["Location"] == f"/approvals/{waiting.id}/sign"

    # Step 3: "Verstuur SMS-code"; the SMS names the document and the recipient.
    challenge = challenge_of(director, waiting.id)
    sent = director.post(
        f"/approvals/{waiting.id}/code", data={"challenge_id": challenge}, follow_redirects=True
    )
    assert tr(locale, "eindigt op 02", "ending in 02") in text(sent)
    sms = web_session.scalar(
        select(OutboxMessage.payload)
        .where(OutboxMessage.kind == "send_sms")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    assert '"Jaarrekening 2024 Bakkerij Van Dam B.V." ' in sms["text"]
    assert tr(locale, "de Kamer van Koophandel", "the Chamber of Commerce") in sms["text"]

    # Step 4: a wrong code, then the right one.
    wrong = director.post(
        f"/approvals/{waiting.id}/approve",
        follow_redirects=True,
        data={"challenge_id": challenge, "method": "sms", "code": "000000"},
    )
    assert tr(
        locale,
        "De code is onjuist. U kunt het nog 4 keer proberen.",
        "The code is wrong. You can try 4 more times.",
    ) in text(wrong)
    assert count_approved(web_session) == 0
    done = director.post(
        f"/approvals/{waiting.id}/approve",
        follow_redirects=True,
        data={"challenge_id": challenge, "method": "sms", "code": sms_code(web_app)},
    )
    assert tr(
        locale,
        "is goedgekeurd en wordt verzonden naar Accountantskantoor Tamek en de Kamer",
        "has been approved and is being sent to Accountantskantoor Tamek and the Chamber",
    ) in text(done)
    assert count_approved(web_session) == 1
    # A double click: the same post again approves nothing more.
    again = director.post(
        f"/approvals/{waiting.id}/approve",
        data={"challenge_id": challenge, "method": "sms", "code": "123456"},
    )
    assert again.status_code == 302 and count_approved(web_session) == 1
    sends = web_session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == "send_approved_document")
    )
    assert sends == 1
    overview = text(director.get("/approvals/overview"))
    assert tr(locale, "Geaccordeerd, wordt verzonden", "Approved, being sent") in overview
    badge = r'data-testid="nav-actions">[^<]*<span class="[^"]*\bbadge\b[^"]*"[^>]*>(\d+)<'
    assert "0" == re.search(badge, director.get("/home").text).group(1)


@BOTH
def test_bad_input_answers_in_the_users_language_and_approves_nothing(
    web_app, director, waiting, web_session, locale
):
    speak(director, locale)
    director.get(f"/approvals/{waiting.id}/document")
    # An empty reason for "Niet akkoord".
    empty = director.post(f"/approvals/{waiting.id}/reject", data={"reason": "   "})
    assert tr(
        locale,
        "Vul de reden in waarom u niet akkoord gaat.",
        "Please enter the reason why you do not approve.",
    ) in text(empty)
    # A code typed before any was sent for the challenge, and a code of another challenge.
    director.post(
        f"/approvals/{waiting.id}/agree",
        data={"binding": confirmation_binding(director, waiting.id)},
    )
    challenge = challenge_of(director, waiting.id)
    unsent = director.post(
        f"/approvals/{waiting.id}/approve",
        follow_redirects=True,
        data={"challenge_id": challenge, "method": "sms", "code": "123456"},
    )
    assert tr(locale, "Vraag eerst een SMS-code aan.", "Please ask for an SMS code first.") in text(
        unsent
    )
    foreign = director.post(
        f"/approvals/{waiting.id}/approve",
        data={"challenge_id": "999999", "method": "sms", "code": "123456"},
    )
    assert foreign.status_code == 404
    # A withdrawn request: the office took it back meanwhile.
    director.post(f"/approvals/{waiting.id}/code", data={"challenge_id": challenge})
    code = sms_code(web_app)
    staff = web_session.scalar(select(User).where(User.email == STAFF))
    withdraw(web_session, request=web_session.get(ApprovalRequest, waiting.id), actor=staff)
    web_session.commit()
    late = director.post(
        f"/approvals/{waiting.id}/approve",
        follow_redirects=True,
        data={"challenge_id": challenge, "method": "sms", "code": code},
    )
    assert tr(
        locale,
        "Het kantoor heeft dit verzoek om akkoord ingetrokken.",
        "The office has withdrawn this request for approval.",
    ) in text(late)
    assert count_approved(web_session) == 0


def test_without_the_right_nothing_is_offered_and_nothing_is_approved(
    web_app, director, waiting, web_session
):
    director.get(f"/approvals/{waiting.id}/document")
    binding = confirmation_binding(director, waiting.id)
    membership = web_session.scalar(select(Membership).join(User).where(User.email == DIRECTOR))
    membership.can_approve = False  # revoked: the next request knows
    web_session.commit()
    page = text(director.get(f"/approvals/{waiting.id}"))
    assert "U heeft geen recht om namens deze organisatie te accorderen." in page
    assert "Er wachten" not in text(director.get("/approvals"))
    refused = director.post(
        f"/approvals/{waiting.id}/agree", data={"binding": binding}, follow_redirects=True
    )
    assert "U heeft niet het recht om namens deze organisatie te accorderen." in text(refused)
    assert (
        director.post(f"/approvals/{waiting.id}/reject", data={"reason": "nee"}).status_code == 403
    )
    assert count_approved(web_session) == 0


def test_a_new_version_puts_the_new_one_up_and_ends_the_old_confirmation(
    web_app, director, waiting, web_session
):
    director.get(f"/approvals/{waiting.id}/document")
    director.post(
        f"/approvals/{waiting.id}/agree",
        data={"binding": confirmation_binding(director, waiting.id)},
    )
    challenge = challenge_of(director, waiting.id)
    director.post(f"/approvals/{waiting.id}/code", data={"challenge_id": challenge})
    code = sms_code(web_app)
    staff = web_session.scalar(select(User).where(User.email == STAFF))
    stored = FileStore(web_app.config["FILES_PATH"]).put(io.BytesIO(PDF), max_bytes=10**6)
    add_version(
        web_session,
        document=web_session.get(Document, waiting.document_id),
        stored=stored,
        filename="jaarrekening-v2.pdf",
        actor=staff,
    )
    web_session.commit()
    late = director.post(
        f"/approvals/{waiting.id}/approve",
        follow_redirects=True,
        data={"challenge_id": challenge, "method": "sms", "code": code},
    )
    assert "nieuwe versie" in text(late)
    assert count_approved(web_session) == 0
    newer = web_session.scalar(select(ApprovalRequest).where(ApprovalRequest.state == "open"))
    assert newer.version == 2 and newer.id != waiting.id
    assert "(versie 2)" in text(director.get("/approvals"))


def test_a_question_goes_to_the_handler_and_the_approval_stays_open(director, waiting, web_session):
    asked = director.post(
        f"/approvals/{waiting.id}/question",
        follow_redirects=True,
        data={"question": "Klopt de voorraad?", "contact_by": "phone", "phone": "0612345678"},
    )
    assert "Uw vraag is verstuurd aan Accountantskantoor Tamek." in text(asked)
    message = web_session.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert message.subject == "Vraag over Jaarrekening 2024 Bakkerij Van Dam B.V. (v1)"
    assert "Klopt de voorraad?" in message.body and "0612345678" in message.body
    web_session.expire_all()
    assert web_session.get(ApprovalRequest, waiting.id).state == "open"


def test_niet_akkoord_is_recorded_with_its_reason_and_shown_to_the_office(
    web_app, login, director, waiting, web_session
):
    director.post(f"/approvals/{waiting.id}/reject", data={"reason": "De voorraad klopt niet."})
    web_session.expire_all()
    assert web_session.get(ApprovalRequest, waiting.id).state == "rejected"
    assert "Niet akkoord" in text(director.get(f"/approvals/{waiting.id}"))
    office = web_app.test_client()
    login(office, STAFF)
    page = text(office.get(f"/office/dossiers/{waiting.dossier_id}"))
    assert "Niet akkoord" in page and "Reden: De voorraad klopt niet." in page


def test_the_overview_filters_by_year_and_status(director, waiting, web_session, web_app):
    staff = web_session.scalar(select(User).where(User.email == STAFF))
    dossier = web_session.get(Dossier, waiting.dossier_id)
    stored = FileStore(web_app.config["FILES_PATH"]).put(io.BytesIO(PDF), max_bytes=10**6)
    older = publish_document(
        web_session,
        dossier=dossier,
        folder="documents",
        title="Offerte 2025",
        stored=stored,
        filename="offerte.pdf",
        actor=staff,
    )
    last_year = put_up(
        web_session, dossier=dossier, document=older, recipient="office", actor=staff
    )
    last_year.created_at = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    withdraw(web_session, request=last_year, actor=staff)
    web_session.commit()
    this_year = web_session.get(ApprovalRequest, waiting.id).created_at.year

    def rows(query: str) -> list[str]:
        page = director.get(f"/approvals/overview{query}").text
        return re.findall(r'<tr data-status="(\w+)">', page)

    assert sorted(rows("")) == ["open", "withdrawn"]
    assert rows("?year=2025") == ["withdrawn"]
    assert rows(f"?year={this_year}") == ["open"]
    assert rows("?status=open") == ["open"]
    assert rows("?status=withdrawn&year=2025") == ["withdrawn"]
    assert rows(f"?status=withdrawn&year={this_year}") == []
    assert "Geen documenten met deze keuze." in text(
        director.get("/approvals/overview?status=rejected")
    )
    page = director.get("/approvals/overview").text
    assert '<option value="2025">' in page and f'<option value="{this_year}">' in page


def test_the_office_withdraws_changes_the_recipient_and_puts_a_document_up(
    web_app, login, waiting, web_session
):
    office = web_app.test_client()
    login(office, STAFF)
    page = text(office.get(f"/office/dossiers/{waiting.dossier_id}"))
    assert "Jaarrekening 2024 Bakkerij Van Dam B.V. v1" in page and "Te accorderen" in page
    office.post(f"/office/approvals/{waiting.id}/recipient", data={"recipient": "bank"})
    web_session.expire_all()
    assert web_session.get(ApprovalRequest, waiting.id).recipient == "bank"
    office.post(f"/office/approvals/{waiting.id}/withdraw")
    web_session.expire_all()
    assert web_session.get(ApprovalRequest, waiting.id).state == "withdrawn"
    put = office.post(
        f"/office/dossiers/{waiting.dossier_id}/approvals",
        follow_redirects=True,
        data={"document_id": waiting.document_id, "recipient": "office"},
    )
    assert "wacht nu op het akkoord van de cliënt" in text(put)
    again = web_session.scalar(select(ApprovalRequest).where(ApprovalRequest.state == "open"))
    assert (again.document_id, again.recipient, again.step_id) == (
        waiting.document_id,
        "office",
        None,
    )


def test_prefect_down_during_an_approval_loses_nothing(web_app, director, waiting, web_session):
    """No relay here (and RELAY_WAKE empty: Prefect, the mail
    server, the receiver all unreachable): the approval is recorded and the client sees it; the
    sending waits in the outbox for the relay."""
    web_session.get(ApprovalRequest, waiting.id).recipient = "office"
    web_session.commit()
    director.get(f"/approvals/{waiting.id}/document")
    director.post(
        f"/approvals/{waiting.id}/agree",
        data={"binding": confirmation_binding(director, waiting.id)},
    )
    challenge = challenge_of(director, waiting.id)
    director.post(f"/approvals/{waiting.id}/code", data={"challenge_id": challenge})
    done = director.post(
        f"/approvals/{waiting.id}/approve",
        follow_redirects=True,
        data={"challenge_id": challenge, "method": "sms", "code": sms_code(web_app)},
    )
    assert "is goedgekeurd en verzonden naar Accountantskantoor Tamek." in text(done)
    assert count_approved(web_session) == 1
