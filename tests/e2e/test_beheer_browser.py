"""Beheer in real Chromium (issue 17, section 6): the bakery's administrator adds a colleague
under "Mijn gebruikers" with the right to see dossiers only; the colleague activates the account
through the three mails, sets up two-step verification, and sees the dossiers but nothing they
were not given: no "Nieuw bericht", no Upload area, no "Mijn gebruikers", and the page itself
refused when typed into the address bar."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_browser_journeys import (
    GOOD_PASSWORD,
    _flash,
    _open_mail,
    _wait_for_heading,
    open_activation_link,
    set_up_authenticator,
    sign_in,
    sign_out,
)
from tests.fixtures.browser import LivePortal, csp_errors

pytestmark = pytest.mark.browser

DIRECTOR = "directeur@example.nl"


def test_an_administrator_invites_a_colleague_who_sees_only_what_was_granted(
    browser: WebDriver, live_portal: LivePortal
):
    address = f"kees.{uuid.uuid4().hex[:8]}@example.nl"
    sign_in(browser, live_portal, DIRECTOR, DEMO_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=nav-beheer]").click()
    _wait_for_heading(browser, "Beheer")
    browser.find_element(By.LINK_TEXT, "Mijn gebruikers").click()
    browser.find_element(By.LINK_TEXT, "Gebruiker toevoegen").click()
    browser.find_element(By.ID, "name").send_keys("Kees Boekhouder")
    browser.find_element(By.ID, "email").send_keys(address)
    for right in ("upload", "fill"):  # on by default; only "Dossiers inzien" stays
        box = browser.find_element(By.ID, right)
        if box.is_selected():
            box.click()
    assert browser.find_element(By.ID, "view").is_selected()
    assert not browser.find_element(By.ID, "administer").is_selected()
    browser.find_element(By.XPATH, "//button[normalize-space()='Uitnodigen']").click()
    assert _flash(browser).startswith(f"{address} krijgt een e-mail.")
    assert address in browser.find_element(By.CSS_SELECTOR, "[data-testid=invited]").text
    sign_out(browser)

    # The existing activation, with its three mails: the start page, the set-password link,
    # and the confirmation.
    open_activation_link(browser, live_portal, address, office="Accountantskantoor Tamek")
    browser.find_element(By.ID, "password").send_keys(GOOD_PASSWORD)
    browser.find_element(By.ID, "repeat").send_keys(GOOD_PASSWORD)
    browser.find_element(By.XPATH, "//button[normalize-space()='Instellen wachtwoord']").click()
    set_up_authenticator(browser)
    _wait_for_heading(browser, "Mijn gegevens")
    assert "alleen een beheerder van uw organisatie" in browser.find_element(
        By.ID, "two-step"
    ).text  # the mobile number is an administrator's to change
    handle = browser.current_window_handle
    _open_mail(browser, live_portal, address, count=3)  # the confirmation
    browser.switch_to.window(handle)

    # The dossiers: seen, with nothing to send.
    browser.get(live_portal.url("/dossiers"))
    _wait_for_heading(browser, "Dossiers")
    listed = browser.find_element(By.TAG_NAME, "main").text
    assert "Jaarrekening 2025 en IB-aangifte directeur" in listed
    browser.find_element(
        By.XPATH, "//tr[td[normalize-space()='Jaarrekening 2025 en IB-aangifte directeur']]//a"
    ).click()
    browser.get(browser.current_url.split("?")[0] + "?tab=messages")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Aanlevering stukken 2025" in main  # the messages are there to read
    assert not browser.find_elements(By.LINK_TEXT, "Nieuw bericht")

    browser.get(live_portal.url("/archive?folder=upload"))
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=no-upload-right]")
    assert not browser.find_elements(By.ID, "archive-upload")

    browser.find_element(By.CSS_SELECTOR, "[data-testid=nav-beheer]").click()
    _wait_for_heading(browser, "Beheer")
    assert not browser.find_elements(By.LINK_TEXT, "Mijn gebruikers")
    browser.get(live_portal.url("/beheer/users"))
    _wait_for_heading(browser, "Geen toegang")
    assert csp_errors(browser) == []
    sign_out(browser)
