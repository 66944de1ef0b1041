"""Berichten in real Chromium: the client writes a message, drops two files into the upload
dialog (Uppy), uploads and sends them; the office sees the message unread in its inbox with both
attachments. The script's parts the web tier cannot run: the live counter, the dialog, the
uploads as raw bodies with the CSRF header, and a page without Content-Security-Policy errors."""

from __future__ import annotations

import re
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from casemodel.db import make_engine
from casemodel.models import Dossier
from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_browser_journeys import CLIENT, STAFF, sign_in, sign_out
from tests.fixtures.browser import DROP_FILES, PDF_TEXT, LivePortal, csp_errors

pytestmark = pytest.mark.browser


def _dossier_id(portal: LivePortal, description: str) -> int:
    engine = make_engine(portal.database_url)
    with engine.connect() as connection:
        found = connection.scalar(select(Dossier.id).where(Dossier.description == description))
    engine.dispose()
    return found


def _tab_total(browser: WebDriver, name: str) -> int:
    label = browser.find_element(By.CSS_SELECTOR, f"nav.tabs a[data-tab={name}]").text
    return int(re.search(r"\((\d+)\)", label)[1])


def test_client_sends_a_message_with_two_dropped_files_and_the_office_sees_it(
    browser: WebDriver, live_portal: LivePortal
):
    dossier_id = _dossier_id(live_portal, "Levering garagebox Prinsengracht 3a, Amsterdam")
    subject = f"Kopie stukken {uuid.uuid4().hex[:6]}"
    names = [f"paspoort-{subject[-6:]}.pdf", f"koopakte-{subject[-6:]}.pdf"]
    # The office's side before: its unread badge and the dossier's message count.
    sign_in(browser, live_portal, STAFF, DEMO_PASSWORD)
    office_before = _office_counts(browser, live_portal, dossier_id)
    sign_out(browser)

    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)

    browser.get(live_portal.url(f"/dossiers/{dossier_id}?tab=messages"))
    messages_before = _tab_total(browser, "messages")
    supplied_before = _tab_total(browser, "supplied")
    browser.find_element(By.LINK_TEXT, "Nieuw bericht").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "body")))

    browser.find_element(By.ID, "subject").send_keys(subject)
    browser.find_element(By.ID, "body").send_keys("Beste,\n\nHierbij zend ik ")
    counter = browser.find_element(By.ID, "body-counter")
    assert counter.text == "24 van 4000 tekens"  # the manual's example, a line break as one
    assert not browser.find_element(By.CSS_SELECTOR, "[data-max-notice]").is_displayed()

    browser.find_element(By.CSS_SELECTOR, "[data-add-attachments]").click()
    dialog = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".uppy-Dashboard-inner"))
    )
    assert "Sleep bestanden hier heen" in dialog.text  # Uppy in Dutch
    browser.execute_script(DROP_FILES, ".uppy-Dashboard-inner", names, PDF_TEXT)
    WebDriverWait(browser, 10).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, ".uppy-Dashboard-Item")) == 2
    )
    upload = browser.find_element(By.CSS_SELECTOR, ".uppy-StatusBar-actionBtn--upload")
    assert upload.text == "Upload 2 bestanden"
    upload.click()
    # Uploaded: the dialog closes and both files are listed under the form with a bin.
    WebDriverWait(browser, 15).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "[data-staged-list] li")) == 2
    )
    WebDriverWait(browser, 10).until(
        EC.invisibility_of_element_located((By.CSS_SELECTOR, ".uppy-Dashboard-inner"))
    )
    listed = browser.find_element(By.CSS_SELECTOR, "[data-staged-list]").text
    assert names[0] in listed and names[1] in listed
    assert not browser.find_element(By.CSS_SELECTOR, "[data-upload-error]").is_displayed()

    browser.find_element(By.XPATH, "//button[normalize-space()='Versturen']").click()
    WebDriverWait(browser, 10).until(EC.url_contains("tab=messages"))
    assert "Uw bericht is verstuurd." in browser.find_element(By.TAG_NAME, "main").text
    assert _tab_total(browser, "messages") == messages_before + 1
    assert _tab_total(browser, "supplied") == supplied_before + 2
    assert csp_errors(browser) == []
    sign_out(browser)

    sign_in(browser, live_portal, STAFF, DEMO_PASSWORD)
    browser.get(live_portal.url("/office/messages"))
    row = browser.find_element(
        By.XPATH, f"//tr[@data-testid='inbox-row'][.//a[contains(., '{subject}')]]"
    )
    assert "unread" in row.get_attribute("class")
    assert row.find_element(By.CSS_SELECTOR, "a strong").text == subject  # bold: unread
    assert names[0] in row.text and names[1] in row.text
    unread, total = _office_counts(browser, live_portal, dossier_id)
    assert (unread, total) == (office_before[0] + 1, office_before[1] + 1)
    office_page = browser.find_element(By.TAG_NAME, "main").text
    assert names[0] in office_page and names[1] in office_page  # under "Door mij aangeleverd"
    assert csp_errors(browser) == []


def _office_counts(browser: WebDriver, portal: LivePortal, dossier_id: int) -> tuple[int, int]:
    """The office menu's unread badge and the office dossier page's "Berichten (n)"."""
    browser.get(portal.url(f"/office/dossiers/{dossier_id}"))
    badge = re.search(
        r"(\d+)", browser.find_element(By.CSS_SELECTOR, "[data-testid=nav-messages]").text
    )
    heading = browser.find_element(By.ID, "messages").text
    return (int(badge[1]) if badge else 0, int(re.search(r"\((\d+)\)", heading)[1]))


def test_a_refused_file_shows_why_in_the_dialog_and_under_the_form(
    browser: WebDriver, live_portal: LivePortal
):
    dossier_id = _dossier_id(live_portal, "Levering garagebox Prinsengracht 3a, Amsterdam")
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    browser.get(live_portal.url(f"/dossiers/{dossier_id}/messages/new"))
    browser.find_element(By.CSS_SELECTOR, "[data-add-attachments]").click()
    WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".uppy-Dashboard-inner"))
    )
    browser.execute_script(DROP_FILES, ".uppy-Dashboard-inner", ["notities.txt"], "gewoon tekst")
    WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".uppy-StatusBar-actionBtn--upload"))
    ).click()
    # In the dialog, as text under the file (not only behind Uppy's "?")...
    refusal = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located(
            (By.CSS_SELECTOR, ".uppy-Dashboard-Item [data-testid=file-refused]")
        )
    )
    assert refusal.text.startswith("Dit soort bestand kan niet worden geplaatst.")
    # ...and under the form once the dialog is closed.
    browser.find_element(By.CSS_SELECTOR, ".uppy-Dashboard-close").click()
    error = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-upload-error]"))
    )
    assert error.text.startswith("notities.txt: Dit soort bestand kan niet worden geplaatst.")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-staged-list] li") == []
