"""Issue 13 in real Chromium: a whole journey with the keyboard only (log in, open a dossier,
send a message with an attachment, log out), the form that opens with the cursor in its first
field, "Authenticator later installeren" a few Tab presses from the top, and a double click on
"Versturen" that sends one message."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select, update

from casemodel.db import make_engine
from casemodel.models import Dossier, Message, User
from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_accessibility import allow_a_new_sms_code, axe_violations
from tests.e2e.test_browser_journeys import _new_sms_code, _sms_to, sign_in, sign_out
from tests.files import PDF
from tests.fixtures.browser import LivePortal

pytestmark = pytest.mark.browser

CLIENT = "klant@example.nl"
DIRECTOR = "directeur@example.nl"
DOSSIER = "Levering garagebox Prinsengracht 3a, Amsterdam"

ACTIVE = """
const e = document.activeElement;
return {tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || e.value || "").trim(),
        testid: e.getAttribute("data-testid") || "", href: e.getAttribute("href") || ""};
"""


def active(browser: WebDriver) -> dict:
    return browser.execute_script(ACTIVE)


def press(browser: WebDriver, *keys: str) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def tab_to(browser: WebDriver, wanted, limit: int = 60) -> int:
    """Press Tab until the focused element is the wanted one; how many presses it took."""
    for presses in range(1, limit + 1):
        press(browser, Keys.TAB)
        if wanted(active(browser)):
            return presses
    raise AssertionError(f"not reached with {limit} Tab presses; focus is on {active(browser)}")


def wait_for_heading(browser: WebDriver, text: str) -> None:
    """The next page, once loaded (the old one's elements go stale meanwhile)."""
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda b: text in b.find_element(By.TAG_NAME, "h1").text
    )


def test_a_whole_journey_with_the_keyboard_only(
    browser: WebDriver, live_portal: LivePortal, tmp_path: Path
):
    subject = f"Toetsenbord {uuid.uuid4().hex[:6]}"
    attachment = tmp_path / "identiteitsbewijs.pdf"
    attachment.write_bytes(PDF)
    allow_a_new_sms_code(live_portal, CLIENT)
    browser.get(live_portal.url("/login"))
    assert active(browser)["id"] == "email"  # the login form opens in its first field
    earlier = len(_sms_to(live_portal, CLIENT))
    press(browser, CLIENT, Keys.TAB, DEMO_PASSWORD, Keys.ENTER)
    wait_for_heading(browser, "Code invullen")
    assert active(browser)["id"] == "code"
    press(browser, _new_sms_code(live_portal, CLIENT, earlier), Keys.ENTER)
    wait_for_heading(browser, "Welkom")

    tab_to(browser, lambda e: e["text"] == "Dossiers" and e["tag"] == "a")
    press(browser, Keys.ENTER)
    wait_for_heading(browser, "Dossiers")
    tab_to(browser, lambda e: e["text"].startswith("Openen") and DOSSIER in e["text"])
    press(browser, Keys.ENTER)
    wait_for_heading(browser, DOSSIER)
    tab_to(browser, lambda e: e["text"].startswith("Berichten"))
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.url_contains("tab=messages"))
    tab_to(browser, lambda e: e["text"] == "Nieuw bericht")
    press(browser, Keys.ENTER)
    wait_for_heading(browser, "Nieuw bericht")

    # The form opens with the cursor in "Onderwerp".
    WebDriverWait(browser, 5).until(lambda b: active(b)["id"] == "subject")
    press(browser, subject, Keys.TAB, "Hierbij mijn identiteitsbewijs.")
    tab_to(browser, lambda e: "Bijlagen" in e["text"])
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".uppy-Dashboard-inner"))
    )
    # The file chooser is the operating system's: a path typed into it, as a person would.
    browser.find_element(By.CSS_SELECTOR, ".uppy-Dashboard-input").send_keys(str(attachment))
    WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".uppy-StatusBar-actionBtn--upload"))
    )
    tab_to(browser, lambda e: e["text"].startswith("Upload"))
    press(browser, Keys.ENTER)
    staged = (By.CSS_SELECTOR, "[data-staged-list]")
    WebDriverWait(browser, 15).until(
        lambda b: "identiteitsbewijs.pdf" in b.find_element(*staged).text
    )
    WebDriverWait(browser, 10).until(
        EC.invisibility_of_element_located((By.CSS_SELECTOR, ".uppy-Dashboard-inner"))
    )
    tab_to(browser, lambda e: e["text"] == "Versturen")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.url_contains("tab=messages"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Uw bericht is verstuurd." in main and subject in main

    tab_to(browser, lambda e: e["text"] == "Uitloggen")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))
    assert "U bent uitgelogd." in browser.find_element(By.TAG_NAME, "main").text

    engine = make_engine(live_portal.database_url)
    with engine.connect() as connection:
        sent = connection.execute(
            select(Message.id, func.count()).where(Message.subject == subject).group_by(Message.id)
        ).all()
    engine.dispose()
    assert len(sent) == 1


def test_later_installeren_is_a_few_tab_presses_away(
    browser: WebDriver, live_portal: LivePortal
):
    engine = make_engine(live_portal.database_url)
    with engine.begin() as connection:  # offered at most once a day: as if not yet today
        connection.execute(
            update(User).where(User.email == DIRECTOR).values(authenticator_offered_at=None)
        )
    engine.dispose()
    allow_a_new_sms_code(live_portal, DIRECTOR)
    browser.get(live_portal.url("/login"))
    earlier = len(_sms_to(live_portal, DIRECTOR))
    press(browser, DIRECTOR, Keys.TAB, DEMO_PASSWORD, Keys.ENTER)
    wait_for_heading(browser, "Code invullen")
    press(browser, _new_sms_code(live_portal, DIRECTOR, earlier), Keys.ENTER)
    wait_for_heading(browser, "Inloggen met een Authenticator")
    assert axe_violations(browser) == []
    presses = tab_to(browser, lambda e: e["testid"] == "authenticator-later", limit=10)
    assert presses <= 6, presses
    press(browser, Keys.ENTER)
    wait_for_heading(browser, "Welkom")
    sign_out(browser)


POST_TWICE = """
const done = arguments[arguments.length - 1];
const form = document.querySelector("form[data-message-form]");
const post = () => fetch(form.action, {method: "POST", body: new FormData(form),
                                       credentials: "same-origin", redirect: "manual"});
Promise.all([post(), post()]).then(answers => done(answers.map(a => a.type)))
  .catch(error => done(String(error)));
"""


def test_a_double_click_on_versturen_sends_one_message(
    browser: WebDriver, live_portal: LivePortal
):
    engine = make_engine(live_portal.database_url)
    with engine.connect() as connection:
        dossier_id = connection.scalar(select(Dossier.id).where(Dossier.description == DOSSIER))

    def count(subject: str) -> int:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).where(Message.subject == subject))

    def compose(subject: str) -> None:
        browser.get(live_portal.url(f"/dossiers/{dossier_id}/messages/new"))
        browser.find_element(By.ID, "subject").send_keys(subject)
        browser.find_element(By.ID, "body").send_keys("Eén keer, ook na een dubbelklik.")

    allow_a_new_sms_code(live_portal, CLIENT)
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)
    # The gesture itself.
    clicked = f"Dubbelklik {uuid.uuid4().hex[:6]}"
    compose(clicked)
    send = browser.find_element(By.XPATH, "//button[normalize-space()='Versturen']")
    ActionChains(browser).double_click(send).perform()
    WebDriverWait(browser, 10).until(EC.url_contains("tab=messages"))
    assert count(clicked) == 1
    assert browser.find_element(By.TAG_NAME, "main").text.count(clicked) == 1

    # When both clicks reach the server (a slow line: the browser sends the form again before
    # the first answer), at the same moment: still one message.
    posted = f"Dubbel verstuurd {uuid.uuid4().hex[:6]}"
    compose(posted)
    posts_before = _posts(live_portal, dossier_id)
    browser.set_script_timeout(20)
    answers = browser.execute_async_script(POST_TWICE)
    assert answers == ["opaqueredirect", "opaqueredirect"], answers  # both answered as sent
    assert _posts(live_portal, dossier_id) - posts_before == 2
    assert count(posted) == 1
    engine.dispose()
    sign_out(browser)


def _posts(portal: LivePortal, dossier_id: int) -> int:
    """How many times the message form was posted (the portal's request log)."""
    log = portal.log.read_text(errors="replace")
    return len(re.findall(rf'"POST /dossiers/{dossier_id}/messages HTTP', log))
