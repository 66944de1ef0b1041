"""Questionnaires in the portal and the office (notary manual "Acties" and §2.1.2): the count on
every page, filling in page by page with stop and resume on another device, "Vorige" without
losing what was typed, errors next to each field in the client's language, two people on one
page, the summary, completing into a PDF under "Door mij aangeleverd", the office's ad-hoc
questionnaire and rework loop, and nobody else's questionnaire. Both languages."""

from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from casemodel.models import (
    ApprovalRequest,
    AuditEvent,
    Document,
    Dossier,
    HumanTask,
    Notification,
    Office,
    OutboxMessage,
    Questionnaire,
    QuestionnairePage,
    Step,
    User,
)
from casemodel.services.accounts import add_membership, create_user
from casemodel.services.approvals import withdraw
from casemodel.stepkinds.questionnaire import open_for_step
from devtools.seed import DEMO_PASSWORD
from tests.files import PDF  # a real PDF: the store parses uploads
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)
from tests.questionnaire_forms import buyer_pages
from tests.web.page_text import text

STAFF = "medewerker@example.nl"
CLIENT = "klant@example.nl"
OTHER_CLIENT = "directeur@example.nl"
TRANSFER = "Levering Keizersgracht 12, Amsterdam"

BOTH = pytest.mark.parametrize("locale", ["nl", "en"])


def tr(locale: str, nl: str, en: str) -> str:
    return en if locale == "en" else nl


def speak(browser, locale: str) -> None:
    assert browser.post("/language", data={"locale": locale}).status_code == 302


def by_testid(response, testid: str) -> str:
    """The text of the element with this data-testid (up to the first closing tag of its kind:
    none of them holds another of its kind)."""
    found = re.search(
        rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', response.get_data(as_text=True), re.S
    )
    assert found, f"no {testid} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())


def field_value(response, name: str) -> str:
    match = re.search(
        rf'name="{re.escape(name)}"\s+value="([^"]*)"', response.get_data(as_text=True)
    )
    assert match, f"no field {name}"
    return html.unescape(match.group(1))


def version_of(response) -> str:
    return re.search(r'name="version" value="(-?\d+)"', response.get_data(as_text=True)).group(1)


@pytest.fixture
def transfer(web_session) -> Dossier:
    return web_session.scalar(select(Dossier).where(Dossier.description == TRANSFER))


@pytest.fixture
def intake(web_session, transfer) -> Questionnaire:
    """The transfer's buyer questionnaire, sent as the flow does when it reaches the step."""
    questionnaire = open_for_step(
        web_session, dossier_id=transfer.id, step_key="buyer-questionnaire"
    )
    web_session.commit()
    return questionnaire


@pytest.fixture
def client_browser(web_app, login):
    browser = web_app.test_client()
    login(browser, CLIENT)
    return browser


@pytest.fixture
def office(web_app, login):
    browser = web_app.test_client()
    login(browser, STAFF)
    return browser


def page_url(questionnaire, key: str) -> str:
    return f"/questionnaires/{questionnaire.id}/pages/{key}"


def post_page(browser, questionnaire, key, form, *, action="next", version=None, files=None):
    """Post a page as the browser does, with the version of the page as it shows it now."""
    if version is None:
        version = version_of(browser.get(page_url(questionnaire, key)))
    data = {**form, "version": version, "action": action, **(files or {})}
    return browser.post(page_url(questionnaire, key), data=data)


def fill(browser, questionnaire, *, mortgage=True, until=None):
    """Every page through "Volgende" (up to and without `until`)."""
    for key, form in buyer_pages(mortgage=mortgage).items():
        if key == until:
            return
        response = post_page(browser, questionnaire, key, form)
        assert response.status_code == 302, (key, text(response))


def complete(browser, questionnaire):
    summary = browser.get(f"/questionnaires/{questionnaire.id}/summary")
    revision = re.search(r'name="revision" value="(\d+)"', summary.get_data(as_text=True)).group(1)
    return browser.post(f"/questionnaires/{questionnaire.id}/complete", data={"revision": revision})


def saved(web_session, questionnaire, page_key):
    web_session.expire_all()
    return web_session.scalar(
        select(QuestionnairePage).where(
            QuestionnairePage.questionnaire_id == questionnaire.id,
            QuestionnairePage.page_key == page_key,
        )
    )


# --- Acties ----------------------------------------------------------------------------------


@BOTH
def test_acties_lists_the_questionnaire_with_its_dossier_and_due_date_on_every_page(
    client_browser, intake, transfer, locale
):
    speak(client_browser, locale)
    for path in ("/home", "/dossiers", f"/dossiers/{transfer.id}", "/details", "/archive"):
        response = client_browser.get(path)
        assert response.status_code == 200, path
        assert by_testid(response, "nav-actions") == tr(locale, "Acties 1", "Actions 1"), path
    assert by_testid(client_browser.get("/home"), "actions") == "1"

    actions = client_browser.get("/actions")
    listed = by_testid(actions, "actions")
    assert tr(locale, "Intake koper woning", "Intake for the buyer of a home") in text(actions)
    assert TRANSFER in text(actions) and transfer.number in text(actions)
    due = intake.due_date
    assert str(due.day) in text(actions) and str(due.year) in text(actions)
    assert f'href="/questionnaires/{intake.id}"' in actions.get_data(as_text=True)
    assert tr(locale, "Invullen", "Fill in") in text(actions), listed

    # The dossier page lists it too; the other client's count stays 0.
    assert tr(locale, "Vragenlijsten", "Questionnaires") in text(
        client_browser.get(f"/dossiers/{transfer.id}")
    )


def test_the_count_is_zero_when_nothing_is_left(web_app, login, web_session):
    # The director's one action in the demo is the approval of the 2024 accounts: withdrawn.
    staff = web_session.scalar(select(User).where(User.email == "medewerker@example.nl"))
    for request in web_session.scalars(select(ApprovalRequest)).all():
        withdraw(web_session, request=request, actor=staff)
    web_session.commit()
    other = web_app.test_client()
    login(other, OTHER_CLIENT)
    assert by_testid(other.get("/home"), "nav-actions") == "Acties 0"
    assert "U hoeft op dit moment niets te doen." in text(other.get("/actions"))


# --- filling in, stopping, resuming ----------------------------------------------------------


def test_filling_stops_and_resumes_at_the_same_page_on_another_device(
    web_app, login, client_browser, intake, web_session
):
    fill(client_browser, intake, until="marital")
    assert client_browser.post("/logout").status_code == 302

    laptop = web_app.test_client()  # another device, another session
    login(laptop, CLIENT)
    resume = laptop.get(f"/questionnaires/{intake.id}")
    assert resume.headers["Location"] == page_url(intake, "marital")
    page = laptop.get(resume.headers["Location"])
    assert by_testid(page, "step-count") == "Stap 3 van 7"
    assert "Verder invullen" in text(laptop.get("/actions"))

    # Every saved answer is kept: the first page shows them again.
    first = laptop.get(page_url(intake, "buyer"))
    assert field_value(first, "buyer_first_names") == "Zoë Anna"
    assert field_value(first, "buyer_bsn") == "111222333"
    assert field_value(first, "buyer_address.postcode") == "1016 GV"
    assert saved(web_session, intake, "identity").answers["id_number"] == "NW92BD8F1"


def test_vorige_goes_back_without_losing_what_was_typed(client_browser, intake, web_session):
    fill(client_browser, intake, until="identity")
    typed = {"id_type": "passport", "id_number": "NW 92!", "id_expiry": "2031-05-01"}

    back = post_page(client_browser, intake, "identity", typed, action="previous")

    assert back.status_code == 302 and back.headers["Location"] == page_url(intake, "buyer")
    assert saved(web_session, intake, "identity").answers == {}  # a mistake is never saved
    again = client_browser.get(page_url(intake, "identity"))
    assert field_value(again, "id_number") == "NW 92!"
    assert "nog niet opgeslagen" in by_testid(again, "draft")
    assert "zonder spaties" in by_testid(again, "error-id_number")
    # A right page is saved on the way back.
    good = {**typed, "id_number": "NW92BD8F1"}
    assert post_page(client_browser, intake, "identity", good, action="previous").status_code == 302
    row = saved(web_session, intake, "identity")
    assert row.answers["id_number"] == "NW92BD8F1" and row.draft is None


BAD_BUYER = {
    "buyer_bsn": "123456789",
    "buyer_address.postcode": "1234 A",
    "buyer_birth_date": "2026-02-31",
    "buyer_email": "zoe@",
    "buyer_phone": "12",
}


@BOTH
def test_bad_input_is_refused_next_to_each_field_in_the_clients_language(
    client_browser, intake, web_session, locale
):
    speak(client_browser, locale)
    form = {**buyer_pages()["buyer"], **BAD_BUYER}

    response = post_page(client_browser, intake, "buyer", form)

    assert response.status_code == 200
    errors = {
        name: by_testid(response, f"error-{name}")
        for name in ("buyer_bsn", "buyer_address", "buyer_birth_date", "buyer_email", "buyer_phone")
    }
    assert "elfproef" in errors["buyer_bsn"] or "eleven test" in errors["buyer_bsn"]
    assert (
        tr(locale, "Deze datum bestaat niet", "This date does not exist")
        in errors["buyer_birth_date"]
    )
    assert tr(locale, "postcode", "postcode") in errors["buyer_address"].lower()
    for message in errors.values():
        assert message  # each wrong field has its own message
    # Everything typed stays, right and wrong alike.
    assert field_value(response, "buyer_bsn") == "123456789"
    assert field_value(response, "buyer_address.postcode") == "1234 A"
    assert field_value(response, "buyer_first_names") == "Zoë Anna"
    assert tr(locale, "niet goed ingevuld", "not filled in correctly") in by_testid(
        response, "error-summary"
    )
    assert saved(web_session, intake, "buyer").answers == {}


@BOTH
def test_money_iban_and_files_are_refused_with_a_message_and_nothing_kept(
    client_browser, intake, web_session, locale
):
    fill(client_browser, intake, until="financing")
    speak(client_browser, locale)
    form = {
        **buyer_pages()["financing"],
        "refund_iban": "NL91 ABNA 0417 1643 01",
        "own_funds": "-500",
        "mortgage_amount": "twee ton",
    }
    files = {"mortgage_offer": (io.BytesIO(b"MZ\x90\x00 not a document"), "aanbod.exe")}

    response = post_page(client_browser, intake, "financing", form, files=files)

    assert response.status_code == 200
    assert tr(locale, "controlecijfers", "check digits") in by_testid(response, "error-refund_iban")
    assert by_testid(response, "error-own_funds")
    assert by_testid(response, "error-mortgage_amount")
    assert "PDF" in by_testid(response, "error-mortgage_offer")
    assert field_value(response, "own_funds") == "-500"
    assert field_value(response, "lender") == "ING"
    assert saved(web_session, intake, "financing").answers == {}

    # Too big: the question allows 20 MB.
    big = {"mortgage_offer": (io.BytesIO(PDF + b"0" * (20 * 1024 * 1024)), "aanbod.pdf")}
    response = post_page(client_browser, intake, "financing", buyer_pages()["financing"], files=big)
    assert tr(locale, "te groot", "too large") in by_testid(response, "error-mortgage_offer")

    # A good file is kept and shown by name; the page saves with it.
    good = {"mortgage_offer": (io.BytesIO(PDF), "Hypotheekaanbod ING.pdf")}
    response = post_page(
        client_browser, intake, "financing", buyer_pages()["financing"], files=good
    )
    assert response.status_code == 302
    offer = saved(web_session, intake, "financing").answers["mortgage_offer"]
    assert offer["filename"] == "Hypotheekaanbod ING.pdf" and offer["size"] == len(PDF)
    shown = client_browser.get(page_url(intake, "financing"))
    assert "Hypotheekaanbod ING.pdf" in by_testid(shown, "kept-mortgage_offer")


@BOTH
def test_required_patterns_dates_numbers_and_choices_are_refused_with_a_message(
    client_browser, intake, web_session, locale
):
    fill(client_browser, intake, until="identity")
    speak(client_browser, locale)
    identity = {"id_number": "NW 92!", "id_expiry": "2020-01-01", "id_type": "boat"}

    response = post_page(client_browser, intake, "identity", identity)

    assert tr(locale, "mogelijkheden", "options") in by_testid(response, "error-id_type")
    assert tr(locale, "zonder spaties", "without spaces") in by_testid(response, "error-id_number")
    assert tr(locale, "in het verleden", "in the past") in by_testid(response, "error-id_expiry")
    assert field_value(response, "id_number") == "NW 92!"
    response = post_page(client_browser, intake, "identity", {})
    assert tr(locale, "Maak een keuze.", "Please make a choice.") == by_testid(
        response, "error-id_type"
    )
    assert by_testid(response, "error-id_number") and by_testid(response, "error-id_expiry")
    assert saved(web_session, intake, "identity").answers == {}

    assert (
        post_page(client_browser, intake, "identity", buyer_pages()["identity"]).status_code == 302
    )
    fill(client_browser, intake, until="marital")
    assert post_page(client_browser, intake, "marital", buyer_pages()["marital"]).status_code == 302
    co_buyer = {
        "buying_together": "maybe",
        "co_buyer_relation": "spouse",
        "ownership_split": "other",
        "ownership_share": "150",
    }
    response = post_page(client_browser, intake, "co_buyer", co_buyer)
    assert by_testid(response, "error-buying_together")
    co_buyer["buying_together"] = "yes"
    response = post_page(client_browser, intake, "co_buyer", co_buyer)
    assert "99" in by_testid(response, "error-ownership_share")
    assert field_value(response, "ownership_share") == "150"
    assert by_testid(response, "error-co_buyer_surname")  # required once it shows


def test_an_answer_to_a_hidden_question_is_not_kept(client_browser, intake, web_session):
    fill(client_browser, intake, until="financing")
    form = {**buyer_pages(mortgage=False)["financing"], "lender": "ING", "mortgage_amount": "1"}
    assert post_page(client_browser, intake, "financing", form).status_code == 302
    answers = saved(web_session, intake, "financing").answers
    assert answers["mortgage"] is False and "lender" not in answers


def test_a_repeating_group_gets_a_row_without_javascript(office, client_browser, transfer):
    response = office.post(
        f"/office/dossiers/{transfer.id}/questionnaires", data={"definition_key": "testament"}
    )
    assert response.status_code == 302
    url = re.search(r'href="(/questionnaires/\d+)"', client_browser.get("/actions").get_data(
        as_text=True)).group(1)  # fmt: skip
    form = {"has_children": "yes", "children-0-child_first_names": "Anna"}
    page = client_browser.post(f"{url}/pages/children", data={**form, "action": "add:children"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="children-1-child_first_names"' in body
    assert field_value(page, "children-0-child_first_names") == "Anna"
    assert 'data-testid="error-' not in body  # adding a row is not a check


# --- refusals that change nothing -------------------------------------------------------------


def test_a_page_that_does_not_exist_answers_404_and_changes_nothing(
    client_browser, intake, web_session
):
    before = web_session.scalar(select(Questionnaire.revision).where(Questionnaire.id == intake.id))
    assert client_browser.post(page_url(intake, "nope"), data={"version": "0"}).status_code == 404
    assert client_browser.get(page_url(intake, "nope")).status_code == 404
    web_session.expire_all()
    assert web_session.get(Questionnaire, intake.id).revision == before


def test_another_organisations_questionnaire_answers_404_everywhere(
    web_app, login, client_browser, intake, web_session
):
    fill(client_browser, intake)
    assert complete(client_browser, intake).status_code == 302
    web_session.expire_all()
    other = web_app.test_client()
    login(other, OTHER_CLIENT)
    base = f"/questionnaires/{intake.id}"
    for path in ("", "/pages/buyer", "/summary", "/result", "/pdf"):
        assert other.get(base + path).status_code == 404, path
    for path in ("/pages/buyer", "/complete"):
        assert other.post(base + path, data={"version": "1", "revision": "1"}).status_code == 404
    for path in (f"/office/questionnaires/{intake.id}", "/actions"):
        assert other.get(path).status_code in (404, 200) and "Keizersgracht" not in text(
            other.get(path)
        )
    assert other.post(f"/office/questionnaires/{intake.id}/rework").status_code == 404

    # Staff of another office do not find it either.
    accountancy = web_session.scalar(select(Office).where(Office.kind == "accountancy"))
    bookkeeper = create_user(
        web_session, email="boekhouder@example.nl", name="Boekhouder", role="staff",
        office_ids=[accountancy.id], password=DEMO_PASSWORD,
    )  # fmt: skip
    bookkeeper.mobile_number, bookkeeper.second_factor = "+31612349999", "sms"
    web_session.commit()
    staff = web_app.test_client()
    login(staff, "boekhouder@example.nl")
    assert staff.get(f"/office/questionnaires/{intake.id}").status_code == 404
    assert staff.get(f"{base}/pdf").status_code == 404
    assert staff.post(f"/office/questionnaires/{intake.id}/rework",
                      data={"remark": "x"}).status_code == 404  # fmt: skip
    # Office pages are no client's business, client pages no staff member's.
    assert client_browser.get(f"/office/questionnaires/{intake.id}").status_code == 404
    assert staff.get(f"{base}/pages/buyer").status_code == 404


@BOTH
def test_posting_to_a_completed_questionnaire_changes_nothing(
    client_browser, intake, web_session, locale
):
    fill(client_browser, intake)
    assert complete(client_browser, intake).status_code == 302
    speak(client_browser, locale)
    row = saved(web_session, intake, "buyer")
    before = (dict(row.answers), row.version)

    response = post_page(
        client_browser, intake, "buyer", {**buyer_pages()["buyer"], "buyer_city": "Utrecht"},
        version="1",
    )  # fmt: skip

    assert response.status_code == 302
    assert response.headers["Location"] == f"/questionnaires/{intake.id}/result"
    row = saved(web_session, intake, "buyer")
    assert (row.answers, row.version) == before
    followed = text(client_browser.get(response.headers["Location"]))
    assert tr(locale, "al voltooid", "already been completed") in followed
    again = client_browser.post(f"/questionnaires/{intake.id}/complete", data={"revision": "99"})
    assert again.headers["Location"].endswith("/result")  # completing again: nothing new
    web_session.expire_all()
    assert web_session.get(Document, intake.document_id).latest_version == 1


# --- two people, one page ---------------------------------------------------------------------


@pytest.fixture
def colleague(web_app, login, web_session, transfer):
    """A second person of the client organisation, signed in on their own device."""
    user = create_user(web_session, email="partner@example.nl", name="Sanne de Vries",
                       password=DEMO_PASSWORD)  # fmt: skip
    user.mobile_number, user.second_factor = "+31612340099", "sms"
    add_membership(web_session, user=user, organisation=transfer.organisation)
    web_session.commit()
    browser = web_app.test_client()
    login(browser, "partner@example.nl")
    return browser


@BOTH
def test_the_later_save_of_a_page_does_not_silently_overwrite(
    client_browser, colleague, intake, web_session, locale
):
    fill(client_browser, intake, until="property")
    speak(colleague, locale)
    opened_by_both = version_of(client_browser.get(page_url(intake, "property")))
    assert version_of(colleague.get(page_url(intake, "property"))) == opened_by_both
    mine = {**buyer_pages()["property"], "purchase_price": "450.000"}
    theirs = {**buyer_pages()["property"], "purchase_price": tr(locale, "455.000", "455,000")}

    assert (
        post_page(client_browser, intake, "property", mine, version=opened_by_both).status_code
        == 302
    )
    late = post_page(colleague, intake, "property", theirs, version=opened_by_both)

    assert late.status_code == 200
    conflict = by_testid(late, "conflict")
    assert tr(locale, "intussen gewijzigd", "changed in the meantime") in conflict
    assert "Jan de Vries" in conflict and "450.000" in text(late).replace("450,000", "450.000")
    assert field_value(late, "purchase_price") in ("455.000", "455,000")  # what they typed
    assert saved(web_session, intake, "property").answers["purchase_price"] == "450000.00"
    # Their next "Volgende" saves theirs, deliberately.
    again = post_page(colleague, intake, "property", theirs, version=version_of(late))
    assert again.status_code == 302
    assert saved(web_session, intake, "property").answers["purchase_price"] == "455000.00"


def test_different_pages_at_once_both_save(client_browser, colleague, intake, web_session):
    fill(client_browser, intake, until="property")
    property_version = version_of(client_browser.get(page_url(intake, "property")))
    other_version = version_of(colleague.get(page_url(intake, "other")))
    assert post_page(client_browser, intake, "property", buyer_pages()["property"],
                     version=property_version).status_code == 302  # fmt: skip
    assert post_page(colleague, intake, "other", buyer_pages()["other"],
                     version=other_version).status_code == 302  # fmt: skip
    assert (
        saved(web_session, intake, "property").answers
        and saved(web_session, intake, "other").answers
    )


# --- summary, completion, the PDF --------------------------------------------------------------


@BOTH
def test_completing_puts_the_pdf_in_door_mij_aangeleverd_and_tells_the_office(
    client_browser, office, intake, transfer, web_session, locale
):
    speak(client_browser, locale)
    fill(client_browser, intake, mortgage=False)
    summary = client_browser.get(f"/questionnaires/{intake.id}/summary")
    assert "Zoë Anna" in text(summary) and "NL91 ABNA 0417 1643 00" in text(summary)
    change = f'href="/questionnaires/{intake.id}/pages/buyer#q-buyer_bsn"'
    assert change in summary.get_data(as_text=True)
    assert tr(locale, "Wijzigen", "Change") in text(summary)
    assert tr(locale, "Hypotheekakte", "Lender") not in text(summary)  # hidden, not listed

    done = complete(client_browser, intake)

    assert done.headers["Location"] == f"/questionnaires/{intake.id}/result"
    result = client_browser.get(done.headers["Location"])
    assert "questionnaires.css" in result.get_data(as_text=True)  # the print view's stylesheet
    assert "Zoë Anna" in text(result) and "Jan de Vries" in by_testid(result, "completed")
    web_session.expire_all()
    questionnaire = web_session.get(Questionnaire, intake.id)
    assert questionnaire.state == "completed" and questionnaire.language == locale
    pdf = client_browser.get(f"/questionnaires/{intake.id}/pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    extracted = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Zoë Anna" in extracted and "Kowalczyk-Yılmaz" in extracted
    assert transfer.number in extracted and "NL91 ABNA 0417 1643 00" in extracted
    assert tr(locale, "Pagina 1 van", "Page 1 of") in extracted

    # Under "Door mij aangeleverd" for the client, and in the office's view of the dossier.
    title = tr(locale, "Intake koper woning", "Intake for the buyer of a home")
    assert title in text(client_browser.get(f"/dossiers/{transfer.id}?tab=supplied"))
    assert title in text(office.get(f"/office/dossiers/{transfer.id}"))
    answers = office.get(f"/office/questionnaires/{intake.id}")
    assert "Zoë Anna" in text(answers)
    assert f"/questionnaires/{intake.id}/pdf?version=1" in answers.get_data(as_text=True)
    assert office.get(f"/questionnaires/{intake.id}/pdf").data == pdf.data

    # The step is done, the flow's resumption queued, the handler told.
    assert web_session.get(Step, questionnaire.step_id).state == "done"
    assert web_session.get(HumanTask, questionnaire.task_id).state == "done"
    resumes = web_session.scalars(select(OutboxMessage.payload).where(
        OutboxMessage.kind == "resume_flow_run")).all()  # fmt: skip
    assert {"dossier_id": transfer.id, "step_key": "buyer-questionnaire"} in resumes
    told = web_session.scalars(select(Notification.kind).where(
        Notification.user_id == transfer.handler_id)).all()  # fmt: skip
    assert "questionnaire_done" in told
    assert by_testid(client_browser.get("/home"), "nav-actions").endswith(" 0")


def test_completing_with_an_answer_missing_is_refused_and_says_what(client_browser, intake):
    fill(client_browser, intake, until="other")
    summary = client_browser.get(f"/questionnaires/{intake.id}/summary")
    assert "Overige vragen" in by_testid(summary, "problems")
    # "Voltooien" looks disabled and says why (the design system's disabled_button).
    button = re.search(r"<button [^>]*disabled[^>]*>", summary.get_data(as_text=True))[0]
    assert "Voltooien" not in button and 'aria-describedby="complete-why"' in button
    refused = complete(client_browser, intake)
    assert refused.headers["Location"] == f"/questionnaires/{intake.id}/summary"
    assert "Nog niet alle vragen" in text(client_browser.get(refused.headers["Location"]))


def test_a_save_after_the_summary_was_shown_stops_completion(client_browser, colleague, intake):
    fill(client_browser, intake)
    summary = client_browser.get(f"/questionnaires/{intake.id}/summary")
    revision = re.search(r'name="revision" value="(\d+)"', summary.get_data(as_text=True)).group(1)
    changed = {**buyer_pages()["other"], "remarks": "Graag na 17 uur bellen."}
    assert post_page(colleague, intake, "other", changed).status_code == 302

    refused = client_browser.post(f"/questionnaires/{intake.id}/complete",
                                  data={"revision": revision})  # fmt: skip

    assert refused.headers["Location"] == f"/questionnaires/{intake.id}/summary"
    again = client_browser.get(refused.headers["Location"])
    assert "Intussen is een pagina opgeslagen" in text(again)
    assert "Graag na 17 uur bellen." in text(again)
    assert complete(client_browser, intake).headers["Location"].endswith("/result")


# --- the office: ad hoc, rework, withdraw -----------------------------------------------------


@BOTH
def test_the_office_sends_back_for_rework_and_the_client_completes_again(
    client_browser, office, intake, transfer, web_session, locale
):
    fill(client_browser, intake, mortgage=False)
    assert complete(client_browser, intake).status_code == 302
    speak(office, locale)
    speak(client_browser, locale)

    refused = office.post(f"/office/questionnaires/{intake.id}/rework", data={"remark": " "})
    assert refused.status_code == 302
    web_session.expire_all()
    assert web_session.get(Questionnaire, intake.id).state == "completed"

    remark = "Het documentnummer van uw paspoort klopt niet."
    sent_back = office.post(f"/office/questionnaires/{intake.id}/rework", data={"remark": remark})
    assert sent_back.status_code == 302
    assert tr(locale, "weer open", "open again") in text(office.get(sent_back.headers["Location"]))

    web_session.expire_all()
    questionnaire = web_session.get(Questionnaire, intake.id)
    assert questionnaire.state == "open"
    assert web_session.get(Step, questionnaire.step_id).state == "waiting"
    assert by_testid(client_browser.get("/home"), "nav-actions").endswith(" 1")
    resume = client_browser.get(f"/questionnaires/{intake.id}")
    assert resume.headers["Location"] == f"/questionnaires/{intake.id}/summary"
    summary = client_browser.get(resume.headers["Location"])
    assert "Het documentnummer van uw paspoort klopt niet." in by_testid(summary, "rework-remark")
    assert "Zoë Anna" in text(summary)  # every answer kept

    identity = {**buyer_pages()["identity"], "id_number": "NX11BD8F2"}
    assert post_page(client_browser, intake, "identity", identity).status_code == 302
    assert complete(client_browser, intake).status_code == 302

    web_session.expire_all()
    questionnaire = web_session.get(Questionnaire, intake.id)
    document = web_session.get(Document, questionnaire.document_id)
    assert questionnaire.state == "completed" and document.latest_version == 2
    assert [v.version for v in document.versions] == [1, 2]
    second = client_browser.get(f"/questionnaires/{intake.id}/pdf")
    assert "NX11BD8F2" in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(second.data)).pages
    )
    first = client_browser.get(f"/questionnaires/{intake.id}/pdf?version=1")
    assert "NW92BD8F1" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(first.data)).pages)
    events = select(AuditEvent).where(AuditEvent.dossier_id == transfer.id).order_by(AuditEvent.id)
    actions = [event.action for event in web_session.scalars(events)]
    assert actions.count("questionnaire.completed") == 2
    assert "questionnaire.sent_back" in actions and "step.reopened" in actions


@BOTH
def test_the_office_sends_a_questionnaire_ad_hoc_and_may_withdraw_it(
    office, client_browser, transfer, web_session, locale
):
    speak(office, locale)
    page = office.get(f"/office/dossiers/{transfer.id}")
    assert tr(locale, "Vragenlijst versturen", "Send questionnaire") in text(page)
    assert "Intake testament" in text(page) or "Intake for a last will" in text(page)
    assert "aangifte" not in text(page).lower()  # the accountancy firm's is not offered here

    past = office.post(f"/office/dossiers/{transfer.id}/questionnaires",
                       data={"definition_key": "testament", "due_date": "2020-01-01"})  # fmt: skip
    assert past.status_code == 302
    assert (
        web_session.scalar(select(Questionnaire).where(Questionnaire.dossier_id == transfer.id))
        is None
    )

    sent = office.post(f"/office/dossiers/{transfer.id}/questionnaires",
                       data={"definition_key": "testament", "due_date": "2099-03-01"})  # fmt: skip
    assert sent.status_code == 302
    questionnaire = web_session.scalar(
        select(Questionnaire).where(Questionnaire.dossier_id == transfer.id)
    )
    assert questionnaire.step_id is None and questionnaire.definition_key == "testament"
    actions = client_browser.get("/actions")
    assert "Intake testament" in text(actions) and "2099" in text(actions)
    assert by_testid(actions, "nav-actions") == "Acties 1"
    told = web_session.scalars(select(Notification.kind).where(
        Notification.user_id == web_session.scalar(select(User.id).where(User.email == CLIENT))
    )).all()  # fmt: skip
    assert "questionnaire" in told

    withdrawn = office.post(f"/office/questionnaires/{questionnaire.id}/withdraw")
    assert withdrawn.status_code == 302
    assert by_testid(client_browser.get("/home"), "nav-actions") == "Acties 0"
    assert client_browser.get(f"/questionnaires/{questionnaire.id}").status_code == 302


def test_the_notification_preference_for_questionnaires_in_mijn_gegevens(
    client_browser, office, transfer, web_session
):
    details = text(client_browser.get("/details"))
    assert "formulier (vragenlijst)" in details
    client = web_session.scalar(select(User).where(User.email == CLIENT))
    organisation_id = transfer.organisation_id
    prefix = f"o{organisation_id}-"
    client_browser.post(f"/account/notifications/{organisation_id}",
                        data={prefix + "documents": "y", prefix + "messages": "y"})  # fmt: skip
    office.post(f"/office/dossiers/{transfer.id}/questionnaires",
                data={"definition_key": "testament"})  # fmt: skip
    web_session.expire_all()
    assert client.memberships[0].notify_questionnaires is False
    assert (
        "questionnaire"
        not in web_session.scalars(
            select(Notification.kind).where(Notification.user_id == client.id)
        ).all()
    )


def test_flask_forms_check_lists_every_definition(web_app):
    result = web_app.test_cli_runner().invoke(args=["forms", "check"])
    assert result.exit_code == 0, result.output
    assert "intake-koper v1:" in result.output and "intake-koper v2:" in result.output
    assert "testament v1:" in result.output and "aangifte-ib v1:" in result.output


def test_flask_forms_check_names_the_file_and_question_of_a_mistake(web_app, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    import shutil

    from casemodel.config import PROJECT_ROOT

    for path in (PROJECT_ROOT / "forms" / "definitions").glob("*.yaml"):
        shutil.copy(path, tmp_path)
    broken = (tmp_path / "testament.v1.yaml").read_text(encoding="utf-8")
    (tmp_path / "testament.v1.yaml").write_text(
        broken.replace("type: bsn", "type: burgerservicenummer", 1), encoding="utf-8"
    )
    monkeypatch.setenv("DOSSIERFLOW_FORMS", str(tmp_path))

    result = web_app.test_cli_runner().invoke(args=["forms", "check"])

    assert result.exit_code == 1
    assert "testament.v1.yaml: question 'bsn' (page 'testator'): unknown type" in result.output
