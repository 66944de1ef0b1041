"""Approving a document in real Chromium, the whole journey of the accountancy manual's four
steps: from the menu "Accordering" to the document in the page's viewer ("Akkoord" enabled only
once it is open), the confirmation naming the document and the recipient, the code (by SMS, and
from an authenticator app), "Verzend document", the result, and the folder "Accordering"."""

from __future__ import annotations

import io
import re
import secrets

import pyotp
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from casemodel.db import make_engine, make_session_factory, session_scope
from casemodel.filestore import FileStore
from casemodel.models import Dossier, Organisation, User
from casemodel.services.accounts import add_membership, create_user
from casemodel.services.approvals import put_up
from casemodel.services.documents import publish_document
from casemodel.services.rights import Rights
from casemodel.sms.sink import read_sms
from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_browser_journeys import fresh_totp_code, sign_in
from tests.files import pdf_bytes
from tests.fixtures.browser import LivePortal, csp_errors

pytestmark = pytest.mark.browser

DIRECTOR = "directeur@example.nl"
DOSSIER = "Jaarrekening 2025 en IB-aangifte directeur"


def _wait(browser: WebDriver, condition, timeout: float = 15):
    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)


def put_up_document(portal: LivePortal, title: str, recipient: str) -> int:
    """The office puts a new document of the director's 2025 dossier up for approval."""
    engine = make_engine(portal.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            dossier = session.scalar(select(Dossier).where(Dossier.description == DOSSIER))
            staff = session.scalar(select(User).where(User.email == "medewerker@example.nl"))
            stored = FileStore(portal.instance / "files").put(
                io.BytesIO(pdf_bytes(title)), max_bytes=10**6
            )
            document = publish_document(session, dossier=dossier, folder="documents",
                                        title=title, stored=stored, filename=f"{title}.pdf",
                                        actor=staff)  # fmt: skip
            return put_up(session, dossier=dossier, document=document, recipient=recipient,
                          actor=staff).id  # fmt: skip
    finally:
        engine.dispose()


def approver_with_authenticator(portal: LivePortal) -> tuple[str, str]:
    """A second person of the director's company, who approves with an authenticator app."""
    email, secret = f"totp-{secrets.token_hex(3)}@example.nl", pyotp.random_base32()
    engine = make_engine(portal.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            organisation = session.scalar(
                select(Organisation).where(Organisation.client_number == "A-2044")
            )
            user = create_user(session, email=email, name="Pieter van Dam",
                               password=DEMO_PASSWORD)  # fmt: skip
            user.second_factor, user.totp_secret = "totp", secret
            add_membership(session, user=user, organisation=organisation,
                       rights=Rights(approve=True))  # fmt: skip
    finally:
        engine.dispose()
    return email, secret


def step_1_open_the_document(browser: WebDriver, portal: LivePortal, title: str) -> None:
    browser.find_element(By.CSS_SELECTOR, "[data-testid=nav-approvals]").click()
    row = _wait(browser, lambda b: b.find_element(
        By.XPATH, f"//table[@data-testid='waiting']//tr[contains(., '{title}')]"))  # fmt: skip
    row.find_element(By.LINK_TEXT, "Bekijken en accorderen").click()
    agree = _wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "[data-testid=agree]"))
    assert agree.get_attribute("aria-disabled") == "true"
    # Going to the confirmation anyway: the server refuses it until the document was opened.
    page = browser.current_url
    browser.get(agree.get_attribute("href"))
    _wait(browser, lambda b: "Open eerst het document." in b.page_source)
    assert browser.current_url == page
    agree = browser.find_element(By.CSS_SELECTOR, "[data-testid=agree]")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=open-document]").click()
    viewer = browser.find_element(By.ID, "viewer")
    _wait(browser, lambda b: viewer.get_attribute("open") is not None)
    frame = browser.find_element(By.CSS_SELECTOR, "[data-testid=viewer-frame]")
    assert frame.get_attribute("src").endswith("/document")
    _wait(browser, lambda b: agree.get_attribute("aria-disabled") is None)
    viewer.find_element(By.CSS_SELECTOR, "[data-close]").click()
    _wait(browser, lambda b: viewer.get_attribute("open") is None)


def step_2_agree(browser: WebDriver, title: str, recipient_words: str) -> None:
    browser.find_element(By.CSS_SELECTOR, "[data-testid=agree]").click()
    text = _wait(browser, lambda b: b.find_element(
        By.CSS_SELECTOR, "[data-testid=confirmation-text]")).text  # fmt: skip
    assert f"Ik heb {title} (versie 1) bekeken" in text and recipient_words in text
    browser.find_element(By.CSS_SELECTOR, "[data-testid=confirm-agree]").click()
    _wait(browser, lambda b: "/sign" in b.current_url)
    assert "Bevestiging & verzending" in browser.find_element(By.TAG_NAME, "h1").text


def step_4_send(browser: WebDriver, code: str) -> str:
    browser.find_element(By.CSS_SELECTOR, "[data-testid=code]").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=send-document]").click()
    return _wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "[data-testid=result]")).text


def sms_for(portal: LivePortal, number: str, title: str) -> dict:
    def found(_browser) -> dict | None:
        for sms in read_sms(portal.instance / "sms"):
            if sms["to"] == number and title in sms["text"]:
                return sms
        return None

    return found


def test_the_director_approves_with_an_sms_code_and_it_is_mailed_on(
    browser: WebDriver, live_portal: LivePortal
):
    title = f"Jaarrekening ter akkoord {secrets.token_hex(2)}"
    put_up_document(live_portal, title, "kvk")
    sign_in(browser, live_portal, DIRECTOR, DEMO_PASSWORD)
    step_1_open_the_document(browser, live_portal, title)
    step_2_agree(browser, title, "Accountantskantoor Tamek en de Kamer van Koophandel")
    # Step 3: "Verstuur SMS-code"; the SMS names the document and the recipient.
    browser.find_element(By.CSS_SELECTOR, "[data-testid=send-sms]").click()
    _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "[data-testid=code]"))
    sms = _wait(browser, sms_for(live_portal, "+31612340002", title), timeout=20)
    assert "de Kamer van Koophandel" in sms["text"] and "5 minuten" in sms["text"]
    code = re.search(r"\b(\d{6})\b", sms["text"])[1]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    browser.find_element(By.CSS_SELECTOR, "[data-testid=code]").send_keys(wrong)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=send-document]").click()
    _wait(browser, lambda b: "De code is onjuist" in b.page_source)
    result = step_4_send(browser, code)
    assert f"{title} is goedgekeurd en" in result and "de Kamer van Koophandel" in result
    assert not csp_errors(browser)

    # Sent on by mail, with the document and its certificate attached.
    mail = _wait(browser, lambda b: next(
        (m for m in live_portal.mailsink.messages() if title in str(m["Subject"])), None),
        timeout=20)  # fmt: skip
    assert mail["To"] == "deponeringen@kvk.example"
    names = {part.get_filename() for part in mail.iter_attachments()}
    certificate = next(name for name in names if name.startswith("accorderingsbewijs-"))
    assert names == {f"{title}.pdf", certificate}
    # The folder "Accordering" lists it, with its certificate.
    browser.get(live_portal.url("/archive?folder=approved"))
    row = browser.find_element(
        By.XPATH, f"//table[@data-testid='approved']//tr[contains(., '{title}')]"
    )
    assert row.find_element(By.LINK_TEXT, "Accorderingsbewijs").get_attribute("href")


def test_an_approver_with_an_authenticator_approves_for_the_office(
    browser: WebDriver, live_portal: LivePortal
):
    title = f"Offerte {secrets.token_hex(2)}"
    email, secret = approver_with_authenticator(live_portal)
    put_up_document(live_portal, title, "office")
    sign_in(browser, live_portal, email, DEMO_PASSWORD, totp=secret)
    step_1_open_the_document(browser, live_portal, title)
    step_2_agree(browser, title, "Accountantskantoor Tamek")
    # The authenticator: the code field at once (the login used this step's code already).
    assert browser.find_element(By.CSS_SELECTOR, "label[for=code]").text == (
        "Code uit uw authenticator-app"
    )
    result = step_4_send(browser, fresh_totp_code(secret))
    assert result == f"{title} is goedgekeurd en verzonden naar Accountantskantoor Tamek."
    browser.get(live_portal.url("/approvals/overview?status=processed"))
    assert title in browser.find_element(By.CSS_SELECTOR, "[data-testid=overview]").text
