"""Journeys through the real portal in headless Chromium: what a client and the office see and
click, with the JavaScript that the other tiers cannot run (the live progress block, the live
password strength hint) and the mails as they arrive in the development mailbox."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from selenium.common.exceptions import (
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select, update

from casemodel.db import make_engine
from casemodel.models import User
from casemodel.sms.sink import read_sms
from devtools.seed import DEMO_PASSWORD
from tests.fixtures.browser import LivePortal

pytestmark = pytest.mark.browser

CLIENT = "klant@example.nl"
STAFF = "medewerker@example.nl"
GOOD_PASSWORD = "paardenbloem zonnig fietspad"
#: Mails leave right after the request's commit; the relay's first try at the queued flow
#: starts (Prefect is absent) happens in the same round, so allow for a little more than a page.
MAIL_TIMEOUT = 20


def sign_in(
    browser: WebDriver, portal: LivePortal, email: str, password: str, *, totp: str | None = None
) -> None:
    """Log in through the login form and the second factor, and wait for the start page (the
    only way tests log in): the code comes from the authenticator secret `totp` when given,
    else from the SMS the relay sent for this login (read from its SMS sink, as the demo's
    mailbox page shows it)."""
    login = portal.url("/login")
    browser.get(login)
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    earlier = None if totp else len(_sms_to(portal, email))
    browser.find_element(By.CSS_SELECTOR, "main form button.primary").click()
    _wait_for_heading(browser, "Code invullen")
    code = fresh_totp_code(totp) if totp else _new_sms_code(portal, email, earlier)
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "main form button.primary").click()
    _retrying_stale(browser, lambda b: "/login/code" not in b.current_url or _errors(b))
    if "/login/authenticator" in browser.current_url:  # offered after every SMS login
        browser.find_element(By.CSS_SELECTOR, "[data-testid=authenticator-later]").click()
    _retrying_stale(browser, lambda b: "/login" not in b.current_url or _errors(b))
    assert "/login" not in browser.current_url, (
        f"login of {email} did not reach a start page: at {browser.current_url}, "
        f"errors {_errors(browser)!r}"
    )


def fresh_totp_code(secret: str) -> str:
    """A code of a time step no earlier login used (the portal takes each step's code once)."""
    into_step = time.time() % 30
    time.sleep(30 - into_step + 0.5)
    return pyotp.TOTP(secret).now()


def _sms_to(portal: LivePortal, email: str) -> list[dict]:
    """The SMS sent to the person's mobile number, newest first."""
    engine = make_engine(portal.database_url)
    with engine.connect() as connection:
        number = connection.scalar(select(User.mobile_number).where(User.email == email))
    engine.dispose()
    return [sms for sms in read_sms(portal.instance / "sms") if sms["to"] == number]


def _new_sms_code(portal: LivePortal, email: str, earlier: int) -> str:
    """The code in the first SMS to the person after the `earlier` ones: the relay sends it
    once the login's commit woke it, so it may come a moment after the code page."""

    def code(_browser):
        sent = _sms_to(portal, email)
        return re.search(r"\b(\d{6})\b", sent[0]["text"])[1] if len(sent) > earlier else None

    return WebDriverWait(None, MAIL_TIMEOUT, poll_frequency=0.2).until(code)


def sign_out(browser: WebDriver) -> None:
    browser.find_element(By.XPATH, "//header//form//button[normalize-space()='Uitloggen']").click()
    WebDriverWait(browser, 10).until(EC.url_contains("/login"))


@pytest.fixture
def client_locale_restored(live_portal: LivePortal):
    """The language switch is stored on the account: put the client back to Dutch afterwards."""
    yield
    engine = make_engine(live_portal.database_url)
    with engine.begin() as connection:
        connection.execute(update(User).where(User.email == CLIENT).values(locale="nl"))
    engine.dispose()


def test_client_follows_a_dossier_and_switches_to_english(
    browser: WebDriver, live_portal: LivePortal, client_locale_restored
):
    sign_in(browser, live_portal, CLIENT, DEMO_PASSWORD)

    _wait_for_heading(browser, "Welkom, Jan de Vries")
    assert _text(browser, "[data-testid=dossiers-in-progress]") == "2"
    assert _text(browser, "[data-testid=dossiers-total]") == "2"

    browser.find_element(By.LINK_TEXT, "Dossiers").click()
    row = browser.find_element(
        By.XPATH, "//table//tr[td[normalize-space()='Levering Keizersgracht 12, Amsterdam']]"
    )
    assert "In behandeling" in row.text
    row.find_element(By.PARTIAL_LINK_TEXT, "Openen").click()
    _wait_for_heading(browser, "Levering Keizersgracht 12, Amsterdam")

    # Collapsed: the counter shows, the steps do not.
    assert _progress_summary(browser) == "Voortgang (0/11)"
    assert not _progress_open(browser)
    assert not browser.find_element(By.CSS_SELECTOR, "#progress ol.steps").is_displayed()

    browser.find_element(By.CSS_SELECTOR, "#progress details summary").click()
    steps = _visible_steps(browser)
    assert len(steps) == 11
    # The office's intake opened with the dossier; nothing further has begun.
    assert steps[0] == ("Intake en opdrachtbevestiging", "Wacht")
    assert all(state == "Nog niet begonnen" for _title, state in steps[1:])

    browser.find_element(By.CSS_SELECTOR, "header button[name=locale][value=en]").click()
    _retrying_stale(
        browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    )
    assert "/dossiers/" in browser.current_url  # the switch stays on the page
    assert _progress_summary(browser) == "Progress (0/11)"
    browser.find_element(By.CSS_SELECTOR, "#progress details summary").click()
    assert _visible_steps(browser)[:2] == [
        ("Intake and engagement letter", "Waiting"),
        ("Buyer's questionnaire", "Not started yet"),
    ]


def test_office_creates_an_account_and_the_client_activates_it(
    browser: WebDriver, live_portal: LivePortal
):
    address = f"nina.{uuid.uuid4().hex[:8]}@example.nl"
    sign_in(browser, live_portal, STAFF, DEMO_PASSWORD)

    browser.find_element(By.LINK_TEXT, "Accounts").click()
    _wait_for_heading(browser, "Account voor een cliënt")
    Select(browser.find_element(By.ID, "organisation_id")).select_by_visible_text(
        "J. de Vries (N-10231)"
    )
    browser.find_element(By.ID, "name").send_keys("Nina Nieuw")
    browser.find_element(By.ID, "email").send_keys(address)
    browser.find_element(By.XPATH, "//button[normalize-space()='Toegang geven']").click()
    assert _flash(browser).startswith(f"{address} krijgt een e-mail.")
    sign_out(browser)

    open_activation_link(browser, live_portal, address, office="Notariskantoor Lont & Lalmahomed")
    # The link's token has left the address bar (and the history) at once.
    assert browser.current_url.endswith("/account/activate")

    # The hint is fetched from the server as one types.
    password = browser.find_element(By.ID, "password")
    password.send_keys("wachtwoord")
    hint = _strength_hint(browser, acceptable=False)
    assert hint.startswith(("Zeer zwak", "Zwak")), hint
    assert "te makkelijk te raden" in hint

    password.clear()
    password.send_keys(GOOD_PASSWORD)
    hint = _strength_hint(browser, acceptable=True)
    assert hint.startswith(("Sterk", "Zeer sterk")), hint
    browser.find_element(By.ID, "repeat").send_keys(GOOD_PASSWORD)
    browser.find_element(By.XPATH, "//button[normalize-space()='Instellen wachtwoord']").click()
    # The office requires two-step verification: set up the authenticator first.
    secret = set_up_authenticator(browser)

    # First login: "Mijn gegevens" first (notary manual §1.1).
    _wait_for_heading(browser, "Mijn gegevens")
    assert browser.current_url == live_portal.url("/details")
    assert address in browser.find_element(By.CSS_SELECTOR, "dl.facts").text

    # Log out, and in again with the password and a code from the authenticator.
    sign_out(browser)
    sign_in(browser, live_portal, address, GOOD_PASSWORD, totp=secret)
    _wait_for_heading(browser, "Welkom, Nina Nieuw")


def open_activation_link(browser: WebDriver, portal: LivePortal, address: str, *,
                         office: str) -> None:  # fmt: skip
    """The first two mails of an activation: the invitation from the office, pointing at the
    page that asks for the e-mail address, and the link it sends to set the password; ends on
    that page."""
    _open_mail(browser, portal, address, count=1)
    assert office in browser.find_element(By.TAG_NAME, "h1").text
    _follow_link_in_mail(browser, portal)
    _wait_for_heading(browser, "Account instellen")
    browser.find_element(By.ID, "email").send_keys(address)
    browser.find_element(By.XPATH, "//button[normalize-space()='Verstuur']").click()
    _wait_for_heading(browser, "Kijk in uw e-mail")
    _open_mail(browser, portal, address, count=2)
    assert "Stel uw wachtwoord in" in browser.find_element(By.TAG_NAME, "h1").text
    _follow_link_in_mail(browser, portal)
    _wait_for_heading(browser, "Stel uw wachtwoord in")


def set_up_authenticator(browser: WebDriver) -> str:
    """From the set-up of a first second factor: an authenticator by its QR code's secret, and
    past the ten recovery codes. Returns the secret."""
    _wait_for_heading(browser, "2-staps verificatie instellen")
    browser.find_element(
        By.XPATH, "//button[normalize-space()='Met een authenticator-app']"
    ).click()
    _wait_for_heading(browser, "2-staps verificatie instellen")
    assert browser.find_elements(By.CSS_SELECTOR, ".qr svg"), "no QR code shown"
    secret = browser.find_element(By.CSS_SELECTOR, "[data-testid=totp-secret]").text
    browser.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
    browser.find_element(By.XPATH, "//button[normalize-space()='Bevestigen']").click()
    _wait_for_heading(browser, "Uw herstelcodes")
    codes = browser.find_elements(By.CSS_SELECTOR, "[data-testid=recovery-codes] code")
    assert len(codes) == 10
    browser.find_element(By.LINK_TEXT, "Ik heb de codes bewaard").click()
    return secret


def _wait_for_heading(browser: WebDriver, expected: str, timeout: float = 15) -> None:
    """Wait for the page whose h1 is expected: a click that submits a form returns before the
    next page has loaded, and the old page's elements go stale under the test's hands."""

    def heading(b: WebDriver):
        return b.find_element(By.TAG_NAME, "h1").text == expected

    try:
        _retrying_stale(browser, heading, timeout)
    except TimeoutException:
        found = _retrying_stale(browser, lambda b: [b.find_element(By.TAG_NAME, "h1").text])[0]
        raise AssertionError(
            f"expected the page {expected!r}, got {found!r} at {browser.current_url}"
        ) from None


def _text(browser: WebDriver, selector: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, selector).text


def _errors(browser: WebDriver) -> str:
    return " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".flash.error"))


def _flash(browser: WebDriver) -> str:
    return browser.find_element(By.CSS_SELECTOR, "main .flash").text


def _retrying_stale(browser: WebDriver, read, timeout: float = 10):
    """What read(browser) returns once truthy. progress.js swaps the progress block every few
    seconds, and a submitted form's next page replaces the document under the test's hands, so
    an element found a moment ago may be gone (Chromium then answers "stale element", "no such
    element" or "node does not belong to the document"): read again until the timeout."""
    return WebDriverWait(browser, timeout, ignored_exceptions=(WebDriverException,)).until(read)


def _progress_summary(browser: WebDriver) -> str:
    return _retrying_stale(
        browser, lambda b: b.find_element(By.CSS_SELECTOR, "#progress details summary").text
    )


def _progress_open(browser: WebDriver) -> bool:
    return (
        _retrying_stale(
            browser,
            lambda b: [b.find_element(By.CSS_SELECTOR, "#progress details").get_attribute("open")],
        )[0]
        is not None
    )


def _visible_steps(browser: WebDriver) -> list[tuple[str, str]]:
    """The steps of the opened progress block, as (title, state) once they show."""

    def read(b: WebDriver):
        steps = b.find_elements(By.CSS_SELECTOR, "#progress ol.steps li.step")
        if not steps or not steps[0].is_displayed():
            return None
        return [
            (
                s.find_element(By.CLASS_NAME, "title").text,
                s.find_element(By.CLASS_NAME, "state").text,
            )
            for s in steps
        ]

    return _retrying_stale(browser, read)


def _open_mail(browser: WebDriver, portal: LivePortal, address: str, *, count: int) -> None:
    """Wait in the development mailbox until `count` mails to address have come, then open the
    newest of them (the list shows the newest first)."""

    def rows(b: WebDriver):
        b.get(portal.url("/dev/mailbox"))
        found = b.find_elements(By.XPATH, f"//table//tr[td[normalize-space()='{address}']]")
        return found if len(found) >= count else None

    try:
        found = WebDriverWait(
            browser, MAIL_TIMEOUT, poll_frequency=0.5, ignored_exceptions=(WebDriverException,)
        ).until(rows)
    except Exception as exc:
        arrived = [m["To"] for m in portal.mailsink.messages()]
        raise AssertionError(
            f"{count} mail(s) to {address} did not arrive within {MAIL_TIMEOUT}s; the sink has "
            f"mails to {arrived}; server log: {portal.log}"
        ) from exc
    assert len(found) == count, f"expected {count} mails to {address}, found {len(found)}"
    found[0].find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "pre.mail")))


def _follow_link_in_mail(browser: WebDriver, portal: LivePortal) -> None:
    link = browser.find_element(By.CSS_SELECTOR, "pre.mail a")
    assert link.get_attribute("href").startswith(portal.base_url + "/"), link.get_attribute("href")
    link.click()


def _strength_hint(browser: WebDriver, *, acceptable: bool) -> str:
    """The hint's text once the server's verdict for what was typed has come in."""
    wanted = "ok" if acceptable else "error"

    def read(b: WebDriver):
        hint = b.find_element(By.ID, "strength")
        return hint.text if hint.get_attribute("class") == wanted and hint.text else None

    return _retrying_stale(browser, read)
