"""The "Upload" folder in real Chromium: Uppy's Dashboard inline on the page, two files dropped
and uploaded as raw bodies with the CSRF header, listed at once; a refused file shows the portal's
own message; and no Content-Security-Policy errors."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_browser_journeys import sign_in, sign_out
from tests.fixtures.browser import DROP_FILES, PDF_TEXT, LivePortal, csp_errors

pytestmark = pytest.mark.browser

DIRECTOR = "directeur@example.nl"


def _drop_and_upload(browser: WebDriver, names: list[str], content: str) -> None:
    dashboard = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#archive-upload .uppy-Dashboard-inner"))
    )
    browser.execute_script(DROP_FILES, "#archive-upload .uppy-Dashboard-inner", names, content)
    WebDriverWait(browser, 10).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, ".uppy-Dashboard-Item")) >= len(names)
    )
    assert dashboard.is_displayed()
    WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".uppy-StatusBar-actionBtn--upload"))
    ).click()


def test_client_uploads_two_files_into_the_upload_folder(
    browser: WebDriver, live_portal: LivePortal
):
    tag = uuid.uuid4().hex[:6]
    names = [f"jaaropgave-{tag}.pdf", f"loonstrook-{tag}.pdf"]
    sign_in(browser, live_portal, DIRECTOR, DEMO_PASSWORD)
    browser.get(live_portal.url("/archive?folder=upload"))
    assert "krijgt hiervan automatisch bericht" in browser.find_element(By.TAG_NAME, "main").text
    before = len(browser.find_elements(By.CSS_SELECTOR, "#archive-uploads tbody tr"))

    _drop_and_upload(browser, names, PDF_TEXT)
    # Each accepted file is added to the list without a reload.
    WebDriverWait(browser, 15).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "#archive-uploads tbody tr")) == before + 2
    )
    listed = browser.find_element(By.ID, "archive-uploads").text
    assert names[0] in listed and names[1] in listed and "Annelies van Dam" in listed
    # The new rows' cells are named by their columns, as the server's are (cards on a phone).
    new_row = browser.find_element(By.CSS_SELECTOR, "#archive-uploads tbody tr")
    labels = [cell.get_attribute("data-label") for cell in
              new_row.find_elements(By.TAG_NAME, "td")]  # fmt: skip
    assert labels == ["Bestand", "Datum", "Door", "Downloaden"], labels
    assert csp_errors(browser) == []

    browser.refresh()  # and they stay: they are in the organisation's archive
    listed = browser.find_element(By.ID, "archive-uploads").text
    assert names[0] in listed and names[1] in listed
    sign_out(browser)


def test_a_refused_file_shows_the_portals_message(browser: WebDriver, live_portal: LivePortal):
    sign_in(browser, live_portal, DIRECTOR, DEMO_PASSWORD)
    browser.get(live_portal.url("/archive?folder=upload"))
    before = len(browser.find_elements(By.CSS_SELECTOR, "#archive-uploads tbody tr"))
    _drop_and_upload(browser, ["notities.pdf"], "gewoon tekst")
    # Why, as text under the file's name (not only behind Uppy's "?").
    refusal = WebDriverWait(browser, 15).until(
        EC.visibility_of_element_located(
            (By.CSS_SELECTOR, "#archive-upload .uppy-Dashboard-Item [data-testid=file-refused]")
        )
    )
    assert refusal.text.startswith("Dit soort bestand kan niet worden geplaatst")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#archive-uploads tbody tr")) == before
    assert csp_errors(browser) == []
    sign_out(browser)
