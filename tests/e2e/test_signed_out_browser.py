"""An ended session as each script of the portal sees it, in real Chromium (issue 16, section 2):
the progress poll, the message form and its uploads, the Upload folder, and the password
strength hint. Each page says "U bent uitgelogd" with a link to log in again, puts nothing of
the login page where its content was, and keeps what was typed; after logging in again in
another tab, the message typed before is sent."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select, update

from casemodel.db import make_engine
from casemodel.models import Message, User, UserSession
from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_archive_browser import DIRECTOR, _drop_and_upload
from tests.e2e.test_browser_journeys import CLIENT, sign_in
from tests.e2e.test_messages_browser import _dossier_id as dossier_id
from tests.fixtures.browser import DROP_FILES, PDF_TEXT, LivePortal, csp_errors

pytestmark = pytest.mark.browser

NOTICE = (By.CSS_SELECTOR, "[data-testid=signed-out]")


def end_sessions(portal: LivePortal, email: str) -> None:
    """What an idle time-out, a logout elsewhere or "end this session" does on the server."""
    engine = make_engine(portal.database_url)
    with engine.begin() as connection:
        user_id = connection.scalar(select(User.id).where(User.email == email))
        connection.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(ended_at=dt.datetime.now(dt.UTC), ended_reason="idle")
        )
    engine.dispose()


def notice(browser: WebDriver, timeout: float = 15):
    return WebDriverWait(browser, timeout).until(EC.visibility_of_element_located(NOTICE))


def assert_notice_names_the_way_back(browser: WebDriver) -> None:
    shown = notice(browser)
    assert "U bent uitgelogd." in shown.text
    link = shown.find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href").endswith("/login")
    assert link.get_attribute("target") == "_blank"  # this page, and what is typed, stays


def test_the_progress_poll_shows_the_notice_not_the_login_page(
    browser: WebDriver, live_portal: LivePortal
):
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    target = dossier_id(live_portal, "Levering Keizersgracht 12, Amsterdam")
    browser.get(live_portal.url(f"/dossiers/{target}"))
    assert "Voortgang" in browser.find_element(By.ID, "progress").text
    end_sessions(live_portal, CLIENT)
    assert_notice_names_the_way_back(browser)
    progress = browser.find_element(By.ID, "progress")
    assert "Voortgang" in progress.text and "Wachtwoord" not in progress.text
    assert csp_errors(browser) == []


def test_the_message_form_keeps_the_text_and_sends_it_after_logging_in_again(
    browser: WebDriver, live_portal: LivePortal
):
    target = dossier_id(live_portal, "Levering garagebox Prinsengracht 3a, Amsterdam")
    subject = f"Na het inloggen {uuid.uuid4().hex[:6]}"
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    browser.get(live_portal.url(f"/dossiers/{target}/messages/new"))
    browser.find_element(By.ID, "subject").send_keys(subject)
    browser.find_element(By.ID, "body").send_keys("Een lange tekst die niet verloren mag gaan.")
    end_sessions(live_portal, CLIENT)
    browser.find_element(By.XPATH, "//button[normalize-space()='Versturen']").click()
    assert_notice_names_the_way_back(browser)
    assert f"/dossiers/{target}/messages/new" in browser.current_url
    assert browser.find_element(By.ID, "subject").get_attribute("value") == subject
    assert "niet verloren" in browser.find_element(By.ID, "body").get_attribute("value")

    # The link opens the login in a new tab; this tab waits with the text.
    form_tab = browser.current_window_handle
    notice(browser).find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 10).until(lambda b: len(b.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != form_tab))
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    browser.close()
    browser.switch_to.window(form_tab)
    browser.execute_script("window.dispatchEvent(new Event('focus'))")  # back in this tab
    WebDriverWait(browser, 10).until(EC.invisibility_of_element_located(NOTICE))
    browser.find_element(By.XPATH, "//button[normalize-space()='Versturen']").click()
    WebDriverWait(browser, 10).until(EC.url_contains("tab=messages"))
    assert "Uw bericht is verstuurd." in browser.find_element(By.TAG_NAME, "main").text
    engine = make_engine(live_portal.database_url)
    with engine.connect() as connection:
        assert connection.scalar(select(Message.body).where(Message.subject == subject)) == (
            "Een lange tekst die niet verloren mag gaan."
        )
    engine.dispose()


def test_an_attachment_upload_shows_the_notice_and_keeps_the_file_and_text(
    browser: WebDriver, live_portal: LivePortal
):
    target = dossier_id(live_portal, "Levering garagebox Prinsengracht 3a, Amsterdam")
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    browser.get(live_portal.url(f"/dossiers/{target}/messages/new"))
    browser.find_element(By.ID, "subject").send_keys("Met bijlage")
    end_sessions(live_portal, CLIENT)
    browser.find_element(By.CSS_SELECTOR, "[data-add-attachments]").click()
    WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".uppy-Dashboard-inner"))
    )
    browser.execute_script(DROP_FILES, ".uppy-Dashboard-inner", ["paspoort.pdf"], PDF_TEXT)
    WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".uppy-StatusBar-actionBtn--upload"))
    ).click()
    WebDriverWait(browser, 15).until(
        lambda b: "U bent uitgelogd." in b.find_element(By.TAG_NAME, "body").get_attribute(
            "innerHTML")
    )  # fmt: skip
    # The dialog still holds the file, to upload once logged in; the form its subject.
    assert browser.find_elements(By.CSS_SELECTOR, ".uppy-Dashboard-Item")
    assert browser.find_element(By.ID, "subject").get_attribute("value") == "Met bijlage"
    assert browser.find_elements(By.CSS_SELECTOR, "[data-staged-list] li") == []


def test_the_upload_folder_shows_the_notice(browser: WebDriver, live_portal: LivePortal):
    sign_in(browser, live_portal, DIRECTOR, DEMO_PASSWORD)
    browser.get(live_portal.url("/archive?folder=upload"))
    before = len(browser.find_elements(By.CSS_SELECTOR, "#archive-uploads tbody tr"))
    end_sessions(live_portal, DIRECTOR)
    _drop_and_upload(browser, ["jaaropgave.pdf"], PDF_TEXT)
    assert_notice_names_the_way_back(browser)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#archive-uploads tbody tr")) == before


def test_the_strength_hint_shows_the_notice_and_keeps_the_password_typed(
    browser: WebDriver, live_portal: LivePortal
):
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    browser.get(live_portal.url("/account/password"))
    browser.find_element(By.ID, "current").send_keys(DEMO_PASSWORD)
    browser.find_element(By.ID, "password").send_keys("paardenbloem")
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "strength").text)
    end_sessions(live_portal, CLIENT)
    browser.find_element(By.ID, "password").send_keys(" zonnig")
    assert_notice_names_the_way_back(browser)
    assert browser.find_element(By.ID, "password").get_attribute("value") == "paardenbloem zonnig"
    assert browser.find_element(By.ID, "current").get_attribute("value") == DEMO_PASSWORD
