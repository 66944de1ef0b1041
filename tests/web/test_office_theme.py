"""Issue 13: an office's own look (its managers set name, colour checked for contrast, logo,
contact line, the authenticator offer), worn by its clients' pages, mails and letters; the
header that says who is signed in for whom; what to do next said plainly (who acts, the logbook
in words, tries left); the organisation used last."""

from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from casemodel import mail
from casemodel.filestore import FileStore
from casemodel.letters import engagement_letter_pdf
from casemodel.models import (
    AuditEvent,
    Dossier,
    Membership,
    Office,
    Organisation,
    OutboxMessage,
    Step,
    User,
)
from casemodel.services.account_links import queue_mail
from casemodel.services.office_settings import office_logo_bytes
from casemodel.services.steps import open_human_task
from casemodel.stepkinds.staff_task import complete_staff_task
from casemodel.stepkinds.upload_request import open_upload_request
from devtools.mailsink import MailSink
from tests.files import PDF, PNG
from tests.fixtures.web import latest_sms_code
from tests.web.page_text import text

CLIENT = "klant@example.nl"
DIRECTOR = "directeur@example.nl"
STAFF = "medewerker@example.nl"
MANAGER = "manager@example.nl"
TRANSFER = "Levering Keizersgracht 12, Amsterdam"
BOTH = pytest.mark.parametrize("locale", ["nl", "en"])


def office(session, kind: str) -> Office:
    session.expire_all()
    return session.scalar(select(Office).where(Office.kind == kind))


def colours(response) -> str:
    """The office's colours as the page's style block sets them."""
    return re.search(r"<style nonce=\"[^\"]+\">([^<]*)</style>", response.text)[1]


def settings_form(notary: Office, **changes) -> dict:
    """The settings page's form as a browser posts it, with the office's values (a checkbox
    left off is not posted)."""
    form = {"name": notary.name, "primary_colour": notary.primary_colour or "",
            "contact_line": notary.contact_line or "", "support_name": notary.support_name or "",
            "support_phone": notary.support_phone or "",
            "support_email": notary.support_email or ""}  # fmt: skip
    form |= {"changes_need_review": "y"} if notary.changes_need_review else {}
    return form | changes


# --- the office's settings ------------------------------------------------------------------


@BOTH
def test_a_colour_with_too_little_contrast_is_refused_saying_why(
    client, login, web_session, locale
):
    login(client, MANAGER)
    client.post("/language", data={"locale": locale})
    notary = office(web_session, "notary")
    before = notary.primary_colour
    refused = client.post(f"/office/settings/{notary.id}",
                          data=settings_form(notary, primary_colour="#ff0000"))  # fmt: skip
    assert refused.status_code == 422
    page = text(refused)
    if locale == "nl":
        assert "te weinig contrast met wit: 4:1, en minstens 4,5:1 is nodig" in page
    else:
        assert "This colour has too little contrast with white: 4:1, and at least 4.5:1" in page
    assert 'aria-invalid="true"' in refused.text  # the field itself is marked, and named
    assert office(web_session, "notary").primary_colour == before  # nothing changed
    unreadable = client.post(f"/office/settings/{notary.id}",
                             data=settings_form(notary, primary_colour="donkerblauw"))  # fmt: skip
    assert unreadable.status_code == 422
    assert "#1f4e79" in text(unreadable)


def test_a_managers_theme_is_what_the_offices_clients_see(client, login, web_session, web_app):
    login(client, MANAGER)
    notary = office(web_session, "notary")
    saved = client.post(f"/office/settings/{notary.id}", data=settings_form(
        notary, name="Notariaat Lont", primary_colour="#0B6E4F",
        contact_line="Keizersgracht 1, Amsterdam · 020 000 00 00"))  # fmt: skip
    assert saved.status_code == 302
    notary = office(web_session, "notary")
    assert (notary.name, notary.primary_colour) == ("Notariaat Lont", "#0b6e4f")
    assert not notary.offer_authenticator
    event = web_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "office.settings_changed")
    )
    assert event.detail["changed"]["primary_colour"] == "#0b6e4f"

    reader = web_app.test_client()
    login(reader, CLIENT)
    home = reader.get("/home")
    assert "--df-primary:#0b6e4f;" in colours(home)
    assert "Notariaat Lont" in text(home)
    assert "Keizersgracht 1, Amsterdam · 020 000 00 00" in text(home)
    nonce = re.search(r'<style nonce="([^"]+)"', home.text)[1]
    assert f"style-src 'self' 'nonce-{nonce}'" in home.headers["Content-Security-Policy"]
    # The other office's client keeps the other office's look.
    other = web_app.test_client()
    login(other, DIRECTOR)
    assert f"--df-primary:{office(web_session, 'accountancy').primary_colour};" in colours(
        other.get("/home")
    )


def test_the_logo_is_checked_shown_and_served_to_the_offices_people_only(
    client, login, web_session, web_app
):
    login(client, MANAGER)
    notary = office(web_session, "notary")
    refused = client.post(f"/office/settings/{notary.id}/logo",
                          data={"logo": (io.BytesIO(PDF), "logo.pdf")},
                          content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 422
    assert "Kies een PNG- of JPEG-afbeelding als logo." in text(refused)
    uploaded = client.post(f"/office/settings/{notary.id}/logo",
                           data={"logo": (io.BytesIO(PNG), "logo.png")},
                           content_type="multipart/form-data")  # fmt: skip
    assert uploaded.status_code == 302
    notary = office(web_session, "notary")
    url = f"/offices/{notary.id}/logo?v={notary.logo_sha256[:16]}"

    reader = web_app.test_client()
    login(reader, CLIENT)
    assert f'<img class="df-brand__logo" src="{url}" alt="">' in reader.get("/home").text
    logo = reader.get(url)
    assert logo.status_code == 200 and logo.data == PNG and logo.mimetype == "image/png"
    assert logo.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    stranger = web_app.test_client()
    login(stranger, DIRECTOR)
    assert stranger.get(url).status_code == 404


def test_staff_who_are_no_manager_do_not_change_the_settings(client, login, web_session):
    login(client, STAFF)
    notary = office(web_session, "notary")
    assert 'data-testid="nav-manage"' not in client.get("/office/").text
    assert client.get(f"/office/settings/{notary.id}").status_code == 403
    refused = client.post(f"/office/settings/{notary.id}",
                          data=settings_form(notary, name="Overgenomen"))  # fmt: skip
    assert refused.status_code == 403
    assert office(web_session, "notary").name == "Notariskantoor Lont & Lalmahomed"
    assert client.get("/office/manage").status_code == 403  # staff know it is there


def test_the_managers_menu_entry_leads_to_their_page(client, login, web_session):
    login(client, MANAGER)
    page = client.get("/office/")
    assert 'data-testid="nav-manage"' in page.text
    manage = client.get("/office/manage")
    assert manage.status_code == 200
    for kind in ("notary", "accountancy"):
        assert f'data-testid="office-settings-{office(web_session, kind).id}"' in manage.text
    assert 'href="http://127.0.0.1:4200/runs"' in manage.text  # the Prefect UI's runs


# --- mails and letters ------------------------------------------------------------------------


def test_a_mail_wears_the_office_theme_with_its_logo_inline(web_app, web_session, tmp_path):
    client = web_session.scalar(select(User).where(User.email == DIRECTOR))
    tamek = office(web_session, "accountancy")
    # The logo in the store the relay sends from (this test's instance folder).
    logo = FileStore(web_app.config["FILES_PATH"]).put(io.BytesIO(PNG), max_bytes=10**6)
    tamek.logo_sha256, tamek.logo_content_type = logo.sha256, logo.content_type
    queue_mail(web_session, template="password_set", user=client, dedupe="theme-test",
               link="http://127.0.0.1:5000/")  # fmt: skip
    web_session.flush()
    payload = web_session.scalar(
        select(OutboxMessage.payload).where(OutboxMessage.dedupe_key == "mail:theme-test")
    )
    assert payload["sender_name"] == tamek.name
    assert tamek.primary_colour in payload["html"] and tamek.contact_line in payload["text"]
    assert f'src="cid:{mail.LOGO_CID}"' in payload["html"]
    with MailSink(tmp_path / "mailbox") as sink:
        mail.send(payload, mail.smtp_settings() | {"host": sink.host, "port": sink.port})
        sent = sink.messages()[0]
    logo = next(part for part in sent.walk() if part.get_content_type() == "image/png")
    assert logo["Content-ID"] == f"<{mail.LOGO_CID}>"
    stored = FileStore(web_app.config["FILES_PATH"]).path(tamek.logo_sha256).read_bytes()
    assert logo.get_content() == stored


def test_the_engagement_letter_is_on_the_office_letterhead(web_app, web_session):
    dossier = web_session.scalar(select(Dossier).where(Dossier.template_key == "jaarrekening-ib"))
    tamek = dossier.office
    store = FileStore(web_app.config["FILES_PATH"])
    tamek.logo_sha256 = store.put(io.BytesIO(PNG), max_bytes=10**6).sha256
    logo = office_logo_bytes(tamek, store)
    assert logo == PNG
    with_logo = PdfReader(io.BytesIO(engagement_letter_pdf(dossier, "nl", logo=logo)))
    without = PdfReader(io.BytesIO(engagement_letter_pdf(dossier, "nl")))
    page = with_logo.pages[0]
    assert tamek.contact_line in page.extract_text()
    assert len(page.images) == 1 and len(without.pages[0].images) == 0


# --- the header, what to do next ----------------------------------------------------------------


@BOTH
def test_the_header_says_who_is_signed_in_and_for_whom(client, login, web_app, locale):
    login(client, CLIENT)
    client.post("/language", data={"locale": locale})
    who = re.search(r'<dl class="df-who"[^>]*>(.*?)</dl>', client.get("/home").text, re.S)[1]
    words = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", who).split()))
    if locale == "nl":
        assert words.startswith("Ingelogd als Jan de Vries Cliënt J. de Vries")
    else:
        assert words.startswith("Signed in as Jan de Vries Client J. de Vries")
    staff = web_app.test_client()
    login(staff, STAFF)
    who = re.search(r'<dl class="df-who"[^>]*>(.*?)</dl>', staff.get("/office/").text, re.S)[1]
    words = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", who).split()))
    assert words == ("Ingelogd als Sanne Jansen Werkt voor Accountantskantoor Tamek, "
                     "Notariskantoor Lont & Lalmahomed")  # fmt: skip


def test_the_client_sees_who_acts_next_and_the_way_to_their_action(
    client, login, web_session
):
    transfer = web_session.scalar(select(Dossier).where(Dossier.description == TRANSFER))
    login(client, CLIENT)
    listing = client.get("/dossiers")
    assert "Uw actie" not in text(listing) and text(listing).count("Kantoor is bezig") == 2
    task = open_upload_request(web_session, dossier_id=transfer.id, step_key="client-documents")
    web_session.commit()
    listing = client.get("/dossiers")
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{TRANSFER}(?:(?!</tr>).)*</tr>", listing.text,
                    re.S)[0]  # fmt: skip
    assert f'href="/dossiers/{transfer.id}#requests" data-testid="your-action"' in row
    assert "Uw actie" in row and task.step.title("nl") in row
    progress = client.get(f"/dossiers/{transfer.id}/progress").text
    assert f'href="/dossiers/{transfer.id}#requests" data-testid="step-your-action"' in progress


def test_the_office_reads_the_logbook_in_words(client, login, web_session):
    transfer = web_session.scalar(select(Dossier).where(Dossier.description == TRANSFER))
    staff = web_session.scalar(select(User).where(User.email == STAFF))
    transfer.flow_run_id = "6f1c9a52-1b2c-4d3e-8f90-123456789abc"
    step = web_session.scalar(
        select(Step).where(Step.dossier_id == transfer.id, Step.kind == "staff_task")
        .order_by(Step.position).limit(1)
    )  # fmt: skip
    task = open_human_task(web_session, dossier_id=transfer.id, step_key=step.key)
    complete_staff_task(web_session, task_id=task.id, actor=staff)
    web_session.commit()
    login(client, STAFF)
    page = client.get(f"/office/dossiers/{transfer.id}").text
    logbook = re.search(r'data-testid="logbook">(.*?)</ol>', page, re.S)[1]
    words = html.unescape(re.sub(r"<[^>]+>", " ", logbook))
    assert f"{step.title('nl')} afgerond door S. Jansen" in words
    assert "Dossier geopend door S. Jansen" in words
    assert "step.done" not in words and "dossier.opened" not in words
    technical = re.search(r'data-testid="technical">(.*?)</details>', page, re.S)[1]
    assert ('href="http://127.0.0.1:4200/runs/flow-run/6f1c9a52-1b2c-4d3e-8f90-123456789abc"'
            in technical)  # fmt: skip
    assert "<code>step.done</code>" in technical


@BOTH
def test_a_wrong_code_says_how_many_tries_are_left(client, locale):
    client.post("/language", data={"locale": locale})
    client.post("/login", data={"email": CLIENT, "password": "Dossierflow-demo-2026"})
    wrong = client.post("/login/code", data={"code": "000000"}, follow_redirects=True)
    expected = ("De code is onjuist. Nog 4 pogingen voordat uw account 15 minuten wordt "
                "geblokkeerd." if locale == "nl" else
                "4 more tries before your account is locked for 15 minutes.")  # fmt: skip
    assert expected in text(wrong)
    for _ in range(2):
        wrong = client.post("/login/code", data={"code": "000000"}, follow_redirects=True)
    assert ("Nog 2 pogingen" if locale == "nl" else "2 more tries") in text(wrong)
    assert client.post("/login/code", data={"code": latest_sms_code(CLIENT)}).status_code == 302


@BOTH
def test_an_empty_login_form_says_what_is_missing(client, locale):
    client.post("/language", data={"locale": locale})
    page = text(client.post("/login", data={"email": "", "password": ""}))
    if locale == "nl":
        assert "Vul uw e-mailadres in." in page and "Vul uw wachtwoord in." in page
    else:
        assert "Fill in your e-mail address." in page and "Fill in your password." in page


def test_a_person_with_several_organisations_lands_in_the_one_used_last(
    client, login, web_session
):
    klant = web_session.scalar(select(User).where(User.email == CLIENT))
    bakery = web_session.scalar(select(Organisation).where(Organisation.client_number == "A-2044"))
    web_session.add(Membership(user_id=klant.id, organisation_id=bakery.id))
    web_session.commit()
    login(client, CLIENT)
    person = web_session.scalar(select(Organisation).where(Organisation.client_number == "N-10231"))
    # At first the first by name, the bakery; the client switches to their own file.
    assert f'<option value="{bakery.id}" selected>' in client.get("/home").text
    client.post("/organisation", data={"organisation_id": person.id})
    assert f'<option value="{person.id}" selected>' in client.get("/home").text
    client.post("/logout")

    login(client, CLIENT)
    home = client.get("/home")
    assert f'<option value="{person.id}" selected>' in home.text
    assert "Notariskantoor Lont & Lalmahomed" in text(home)  # and it wears that office's look


def test_an_open_questionnaire_and_approval_are_the_clients_action_too(
    web_app, client, login, web_session
):
    """Who acts next names what Acties lists: a questionnaire of a step leads to its page, an
    approval waiting for the approver to the approval's page (TASK_PAGES)."""
    from casemodel.models import ApprovalRequest
    from casemodel.stepkinds.questionnaire import open_for_step

    transfer = web_session.scalar(select(Dossier).where(Dossier.description == TRANSFER))
    questionnaire = open_for_step(web_session, dossier_id=transfer.id,
                                  step_key="buyer-questionnaire")  # fmt: skip
    web_session.commit()
    login(client, CLIENT)
    listing = client.get("/dossiers").text
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{TRANSFER}(?:(?!</tr>).)*</tr>", listing, re.S)[0]
    assert f'href="/questionnaires/{questionnaire.id}" data-testid="your-action"' in row
    progress = client.get(f"/dossiers/{transfer.id}/progress").text
    assert (f'href="/questionnaires/{questionnaire.id}" data-testid="step-your-action"'
            in progress)  # fmt: skip

    approval = web_session.scalar(select(ApprovalRequest).where(ApprovalRequest.state == "open"))
    director = web_app.test_client()
    login(director, DIRECTOR)
    listing = director.get("/dossiers").text
    assert f'href="/approvals/{approval.id}" data-testid="your-action"' in listing
    dossier = director.get(f"/dossiers/{approval.dossier_id}").text
    marker = "step-your-action" if approval.step_id else "your-action"  # the demo's: ad hoc
    assert f'href="/approvals/{approval.id}" data-testid="{marker}"' in dossier


def test_the_questionnaire_pdf_has_the_office_logo(web_app, web_session):
    from casemodel.models import Document, Questionnaire
    from casemodel.stepkinds.questionnaire import open_for_step
    from tests.questionnaire_forms import complete_intake

    transfer = web_session.scalar(select(Dossier).where(Dossier.description == TRANSFER))
    client = web_session.scalar(select(User).where(User.email == CLIENT))
    store = FileStore(web_app.config["FILES_PATH"])
    transfer.office.logo_sha256 = store.put(io.BytesIO(PNG), max_bytes=10**6).sha256
    transfer.office.logo_content_type = "image/png"
    questionnaire = open_for_step(web_session, dossier_id=transfer.id,
                                  step_key="buyer-questionnaire")  # fmt: skip
    complete_intake(web_session, questionnaire, client, store)
    web_session.commit()
    completed = web_session.get(Questionnaire, questionnaire.id)
    document = web_session.get(Document, completed.document_id)
    pdf = PdfReader(store.path(document.versions[-1].sha256))
    assert len(pdf.pages[0].images) == 1  # the logo, top right
