"""The home buyer's intake in real Chromium: the office sends it from the dossier page, the
client finds it under Acties, fills in three pages, logs out, logs in again and resumes at the
fourth, sees questions appear as the answers call for them (the page's script), uploads the
mortgage offer, completes the summary, and downloads the PDF the portal rendered."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_browser_journeys import CLIENT, STAFF, sign_in, sign_out
from tests.e2e.test_messages_browser import _dossier_id
from tests.fixtures.browser import PDF_TEXT, LivePortal, csp_errors

pytestmark = pytest.mark.browser

GARAGE = "Levering garagebox Prinsengracht 3a, Amsterdam"


def _wait(browser: WebDriver, condition, timeout: float = 15):
    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)


def _step(browser: WebDriver) -> str:
    return browser.find_element(By.CSS_SELECTOR, "[data-testid=step-count]").text


def _next(browser: WebDriver, expected_step: str | None = None) -> None:
    """ "Volgende", and wait for the next page (or the summary when no step is expected)."""
    before = browser.current_url
    button = browser.find_element(By.CSS_SELECTOR, "form.questionnaire button.primary")
    button.click()
    _wait(browser, lambda b: b.current_url != before)
    if expected_step:
        _wait(browser, lambda b: _step(b) == expected_step)


def _refused(browser: WebDriver, field: str) -> str:
    """ "Volgende" on a page with a mistake: the same page again, the message at the field."""
    button = browser.find_element(By.CSS_SELECTOR, "form.questionnaire button.primary")
    button.click()
    _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, f"[data-testid=error-{field}]"))
    return browser.find_element(By.CSS_SELECTOR, f"[data-testid=error-{field}]").text


def _type(browser: WebDriver, **fields: str) -> None:
    for name, value in fields.items():
        field = browser.find_element(By.NAME, name.replace("__", "."))
        if field.get_attribute("type") == "date":  # the picker's typing order depends on locale
            browser.execute_script(
                "arguments[0].value = arguments[1]; "
                "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
                field, value,
            )  # fmt: skip
        else:
            field.clear()
            field.send_keys(value)


def _choose(browser: WebDriver, name: str, value: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"input[name={name}][value={value}]").click()


def _shown(browser: WebDriver, key: str) -> bool:
    return browser.find_element(By.ID, f"q-{key}").is_displayed()


def _open_from_actions(browser: WebDriver, portal: LivePortal, button: str) -> None:
    browser.get(portal.url("/actions"))
    row = browser.find_element(
        By.XPATH, f"//table[@data-testid='actions']//tr[.//a[normalize-space()='{GARAGE}']]"
    )
    assert "Intake koper woning" in row.text
    row.find_element(By.LINK_TEXT, button).click()
    _wait(browser, lambda b: "/pages/" in b.current_url)


def test_the_home_buyers_intake_over_two_logins_and_its_pdf(
    browser: WebDriver, live_portal: LivePortal, tmp_path: Path
):
    dossier_id = _dossier_id(live_portal, GARAGE)
    sign_in(browser, live_portal, STAFF, DEMO_PASSWORD)
    browser.get(live_portal.url(f"/office/dossiers/{dossier_id}"))
    Select(browser.find_element(By.ID, "definition_key")).select_by_value("intake-koper")
    browser.find_element(By.CSS_SELECTOR, "form.send-questionnaire button").click()
    _wait(browser, lambda b: "staat nu bij de cliënt onder Acties" in b.page_source)
    sign_out(browser)

    # The first login: three pages, then the client stops.
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    badge = browser.find_element(By.CSS_SELECTOR, "[data-testid=nav-actions] .badge").text
    assert int(badge) >= 1
    _open_from_actions(browser, live_portal, "Invullen")
    assert _step(browser) == "Stap 1 van 7"
    _type(browser, buyer_first_names="Zoë Anna", buyer_surname="Kowalczyk-Yılmaz",
          buyer_birth_date="1990-04-12", buyer_birth_place="Gdańsk", buyer_bsn="11122233",
          buyer_street="Prinsengracht 263", buyer_address__postcode="1016 GV",
          buyer_address__house_number="263", buyer_city="Amsterdam",
          buyer_email="zoe@example.nl", buyer_phone="06 12345678")  # fmt: skip
    # An eight-digit BSN fails the eleven test: the message is next to the field, the rest kept.
    assert "BSN" in _refused(browser, "buyer_bsn")
    assert browser.find_element(By.NAME, "buyer_first_names").get_attribute("value") == "Zoë Anna"
    _type(browser, buyer_bsn="111222333")
    _next(browser, "Stap 2 van 7")
    _choose(browser, "id_type", "passport")
    _type(browser, id_number="NW92BD8F1", id_expiry="2031-05-01")
    _next(browser, "Stap 3 van 7")
    assert not _shown(browser, "spouse_name")
    _choose(browser, "marital_status", "married")
    assert _shown(browser, "spouse_name") and _shown(browser, "property_regime")  # at once
    _choose(browser, "marital_status", "unmarried")
    assert not _shown(browser, "spouse_name")
    _next(browser, "Stap 4 van 7")
    sign_out(browser)

    # The second login resumes where the client stopped.
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    _open_from_actions(browser, live_portal, "Verder invullen")
    assert _step(browser) == "Stap 4 van 7"
    _choose(browser, "buying_together", "no")
    _next(browser, "Stap 5 van 7")
    _type(browser, property_street="Prinsengracht 3a", property_address__postcode="1015 DK",
          property_address__house_number="3", property_city="Amsterdam",
          purchase_price="28.500")  # fmt: skip
    _choose(browser, "property_kind", "house")
    _choose(browser, "movables", "no")
    assert not _shown(browser, "starter_exemption")
    _choose(browser, "own_residence", "yes")
    _choose(browser, "starter_exemption", "no")
    _next(browser, "Stap 6 van 7")
    assert not _shown(browser, "lender")
    _choose(browser, "mortgage", "yes")
    assert _shown(browser, "lender") and _shown(browser, "mortgage_offer")
    _type(browser, lender="ING", mortgage_amount="20.000", refund_iban="NL91 ABNA 0417 1643 00")
    _choose(browser, "nhg", "no")
    _choose(browser, "family_money", "no")
    offer = tmp_path / "Hypotheekaanbod ING.pdf"
    offer.write_text(PDF_TEXT)
    browser.find_element(By.NAME, "mortgage_offer").send_keys(str(offer))
    _next(browser, "Stap 7 van 7")
    _choose(browser, "selling_current_home", "no")
    _choose(browser, "understands_dutch", "yes")
    _choose(browser, "attends_signing", "yes")
    _next(browser)

    _wait(browser, lambda b: "/summary" in b.current_url)
    summary = browser.find_element(By.TAG_NAME, "main").text
    for answer in ("Zoë Anna", "Kowalczyk-Yılmaz", "1016 GV", "€ 28.500,00", "ING",
                   "Hypotheekaanbod ING.pdf", "NL91 ABNA 0417 1643 00"):  # fmt: skip
        assert answer in summary, answer
    browser.find_element(By.XPATH, "//button[normalize-space()='Voltooien']").click()
    _wait(browser, lambda b: "/result" in b.current_url)
    assert "Voltooid door Jan de Vries" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.CSS_SELECTOR, "[data-print]").is_displayed()
    assert not csp_errors(browser)

    # The PDF, downloaded by the browser itself.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    browser.find_element(By.CSS_SELECTOR, "[data-testid=pdf]").click()
    deadline = time.monotonic() + 20
    while not (done := [p for p in downloads.glob("*.pdf")]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done, f"no PDF downloaded: {list(downloads.iterdir())}"
    text = "\n".join(page.extract_text() for page in PdfReader(done[0]).pages)
    expected = ("Intake koper woning", "Zoë Anna", "Kowalczyk-Yılmaz", "Gdańsk",
                "Hypotheekaanbod ING.pdf", "Ingevuld door Jan de Vries", "Pagina 1")  # fmt: skip
    for answer in expected:
        assert answer in text, answer

    # And under "Door mij aangeleverd" in the dossier.
    browser.get(live_portal.url(f"/dossiers/{dossier_id}?tab=supplied"))
    assert "Intake koper woning" in browser.find_element(By.TAG_NAME, "main").text
