"""Every page the four demo users reach, in both languages, in real Chromium (issue 13, section
6): axe-core (vendored in tests/e2e/vendor, WCAG 2.1 A and AA rules) finds no violation, and at
375 px wide no page scrolls sideways. One browser and the one live portal serve the whole walk;
each user logs in once and switches language within the session.

The pages are found as a person finds them: from the start page, every link of the portal that
a page shows (menu, tiles, lists, tabs), breadth first, without downloads, logging out or the
demo's mailbox; and the pages only a form leads to (an approval's code page after "Akkoord")."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casemodel.db import make_engine, utcnow
from casemodel.models import (
    Dossier,
    MembershipInvitation,
    Office,
    OneTimeCode,
    Organisation,
    Questionnaire,
    User,
)
from casemodel.services.proposals import propose_person_changes, withdraw_proposal
from casemodel.services.questionnaires.sending import send_questionnaire, withdraw_questionnaire
from devtools.seed import DEMO_PASSWORD
from tests.e2e.test_browser_journeys import sign_in, sign_out
from tests.fixtures.browser import DROP_FILES, PDF_TEXT, LivePortal, chromium

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
USERS = ["klant@example.nl", "directeur@example.nl", "medewerker@example.nl", "manager@example.nl"]
PHONE_WIDTH = 375
DESKTOP_WIDTH = 1280
#: Links a walk does not follow: they leave the page (downloads: files, an approval's document
#: and certificate, a questionnaire's PDF), change who is signed in, or are the demo's own tools.
SKIPPED = ("/download", "/logout", "/dev/", "/static/", "/offices/", "/login", "/document",
           "/certificate", "/pdf", "/files/")  # fmt: skip
#: Pages each user's walk must reach (not vacuous: the features' pages are among those checked).
MUST_REACH = {
    "klant@example.nl": ("/actions", "/questionnaires/", "/beheer/", "/support", "/archive"),
    "directeur@example.nl": ("/approvals/overview", "/sign", "/beheer/users", "/actions"),
    "medewerker@example.nl": ("/office/questionnaires/", "/office/proposals/", "/office/failures",
                              "/office/organisations/", "/office/people/", "/office/tasks"),
    "manager@example.nl": ("/office/manage", "/office/settings/", "/office/failures"),
}
#: More than any demo user reaches (their walks end at 30-45 pages); a list's further pages
#: are the same page.
MAX_PAGES = 80

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
                   resultTypes: ["violations"]})
  .then(result => done(result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " + n.failureSummary)}))))
  .catch(error => done([{id: "axe-error", help: String(error), nodes: []}]));
"""

OVERFLOW = """
const root = document.documentElement;
const wide = [...document.querySelectorAll("body *")].filter(e => {
  const box = e.getBoundingClientRect();
  return box.width > 0 && box.right > root.clientWidth + 1;
}).slice(0, 5).map(e => e.tagName.toLowerCase()
                        + (e.className ? "." + String(e.className).split(" ").join(".") : ""));
return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide};
"""


@pytest.fixture(scope="module")
def walker(tmp_path_factory) -> Iterator[WebDriver]:
    """One Chromium for the whole walk (a fresh one per page would cost a second each)."""
    folder = tmp_path_factory.mktemp("walker")
    driver = chromium(folder)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(folder / "chromium-profile", ignore_errors=True)


@pytest.fixture(scope="module")
def pages_the_demo_lacks(live_portal: LivePortal) -> Iterator[None]:
    """What the demo data has none of, so that its pages are walked too: a questionnaire the
    notary office sent the client (its pages, and the office's view of it), an invitation to
    another client organisation (on Home), a change of details waiting for the office's review
    (the proposal's page). Taken away again afterwards, for the other browser tests."""
    engine = make_engine(live_portal.database_url)
    with Session(engine) as session:
        client = session.scalar(select(User).where(User.email == "klant@example.nl"))
        staff = session.scalar(select(User).where(User.email == "medewerker@example.nl"))
        organisation_ids = [m.organisation_id for m in client.memberships]
        dossier = session.scalar(
            select(Dossier).join(Dossier.office)
            .where(Office.kind == "notary", Dossier.organisation_id.in_(organisation_ids))
            .order_by(Dossier.id).limit(1)
        )  # fmt: skip
        questionnaire = send_questionnaire(session, dossier=dossier, definition_key="intake-koper",
                                           actor=staff)  # fmt: skip
        elsewhere = session.scalar(select(Organisation).where(
            Organisation.office_id != dossier.office_id).limit(1))  # fmt: skip
        invitation = MembershipInvitation(user_id=client.id, organisation_id=elsewhere.id,
                                          created_at=utcnow(),
                                          expires_at=utcnow() + dt.timedelta(days=1))  # fmt: skip
        session.add(invitation)
        office = dossier.office
        reviewed = office.changes_need_review
        office.changes_need_review = True
        proposal = propose_person_changes(
            session, person=client, organisation_id=dossier.organisation_id,
            values={"phone_number": "020 123 4567"}, actor=client, fields=("phone_number",),
        )  # fmt: skip
        session.commit()
        client_id, staff_id, office_id = client.id, staff.id, office.id
        questionnaire_id, proposal_id, invitation_id = questionnaire.id, proposal.id, invitation.id
    try:
        yield
    finally:
        with Session(engine) as session:
            client = session.get(User, client_id)
            sent = session.get(Questionnaire, questionnaire_id)
            withdraw_questionnaire(session, questionnaire=sent, actor=session.get(User, staff_id))
            withdraw_proposal(session, proposal_id=proposal_id, actor=client)
            session.delete(session.get(MembershipInvitation, invitation_id))
            session.get(Office, office_id).changes_need_review = reviewed
            session.commit()
        engine.dispose()


def allow_a_new_sms_code(portal: LivePortal, email: str) -> None:
    """As if the user's last SMS code was sent a minute ago: the portal sends a new one at most
    every 30 seconds, and the walk logs in users other tests logged in a moment before."""
    engine = make_engine(portal.database_url)
    with engine.begin() as connection:
        user_id = connection.scalar(select(User.id).where(User.email == email))
        connection.execute(
            update(OneTimeCode)
            .where(OneTimeCode.user_id == user_id)
            .values(created_at=utcnow() - dt.timedelta(minutes=1))
        )
    engine.dispose()


def set_locale(portal: LivePortal, email: str, locale: str) -> None:
    engine = make_engine(portal.database_url)
    with engine.begin() as connection:
        connection.execute(update(User).where(User.email == email).values(locale=locale))
    engine.dispose()


def axe_violations(browser: WebDriver) -> list[dict]:
    if not browser.execute_script("return typeof window.axe !== 'undefined'"):
        browser.execute_script(AXE.read_text(encoding="utf-8"))
    browser.set_script_timeout(30)
    return browser.execute_async_script(RUN_AXE)


def overflow(browser: WebDriver) -> dict | None:
    """What sticks out of the viewport to the right, or None."""
    found = browser.execute_script(OVERFLOW)
    return found if found["scroll"] > found["client"] else None


def portal_links(browser: WebDriver, portal: LivePortal) -> list[str]:
    found = []
    for link in browser.find_elements(By.CSS_SELECTOR, "a[href]"):
        href = urldefrag(link.get_attribute("href") or "")[0]
        if not href.startswith(portal.base_url) or any(part in href for part in SKIPPED):
            continue
        if "page=" in urlparse(href).query:
            continue
        found.append(href)
    return found


def walk(browser: WebDriver, portal: LivePortal, check) -> list[str]:
    """Visit every page reachable by links from the start page; check(url) on each."""
    start = browser.current_url
    queue, seen = [start], {start}
    visited = []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        browser.get(url)
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.TAG_NAME, "main")))
        visited.append(url)
        check(url)
        for href in portal_links(browser, portal):
            if href not in seen:
                seen.add(href)
                queue.append(href)
    return visited


def behind_forms(browser: WebDriver, visited: list[str], check) -> list[str]:
    """The pages a form leads to: an open approval's code page ("Bevestiging & verzending"),
    after the document was opened (as its viewer does) and "Akkoord" on its confirmation page
    (this opens a code challenge, nothing more)."""
    reached = []
    for url in visited:
        if not urlparse(url).path.endswith("/confirm"):
            continue
        browser.get(url.removesuffix("/confirm"))
        browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin'}).then(() => done(), () => done());",
            url.removesuffix("/confirm") + "/document",
        )
        browser.get(url)
        agree = browser.find_elements(By.CSS_SELECTOR, "[data-testid=confirm-agree]")
        if not agree:
            continue
        agree[0].click()
        WebDriverWait(browser, 10).until(EC.url_contains("/sign"))
        reached.append(browser.current_url)
        check(browser.current_url)
    return reached


@pytest.mark.parametrize("email", USERS)
def test_every_page_of_a_demo_user_passes_axe_and_fits_a_phone(
    walker: WebDriver, live_portal: LivePortal, pages_the_demo_lacks, email: str
):
    browser = walker
    browser.set_window_size(DESKTOP_WIDTH, 900)
    browser.delete_all_cookies()
    allow_a_new_sms_code(live_portal, email)
    sign_in(browser, live_portal, email, DEMO_PASSWORD)
    problems: list[str] = []
    pages: dict[str, list[str]] = {}
    try:
        for locale in ("nl", "en"):
            set_locale(live_portal, email, locale)

            def check(url: str, locale=locale) -> None:
                assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == locale
                for violation in axe_violations(browser):
                    nodes = json.dumps(violation["nodes"], ensure_ascii=False)
                    problems.append(f"{locale} {url}: axe {violation['id']} "
                                    f"({violation['help']}) {nodes}")  # fmt: skip
                browser.set_window_size(PHONE_WIDTH, 800)
                try:
                    sideways = overflow(browser)
                    if sideways:
                        problems.append(f"{locale} {url}: scrolls sideways at {PHONE_WIDTH}px "
                                        f"{sideways}")  # fmt: skip
                finally:
                    browser.set_window_size(DESKTOP_WIDTH, 900)

            browser.get(live_portal.url("/"))
            pages[locale] = walk(browser, live_portal, check)
            pages[locale] += behind_forms(browser, pages[locale], check)
    finally:
        set_locale(live_portal, email, "nl")
        browser.get(live_portal.url("/"))  # in Dutch again, for sign_out's "Uitloggen"
        sign_out(browser)
    # Not vacuous: the walk reached the user's pages, in both languages.
    assert len(pages["nl"]) >= 6 and len(pages["en"]) == len(pages["nl"]), pages
    missed = [part for part in MUST_REACH[email] if not any(part in url for url in pages["nl"])]
    assert missed == [], pages["nl"]
    assert problems == [], "\n".join(problems)


def test_the_upload_dialog_passes_axe_after_an_upload(walker: WebDriver, live_portal: LivePortal):
    """Archief → Upload after a file went up: Uppy's Dashboard as our integration sets it up."""
    browser = walker
    browser.set_window_size(DESKTOP_WIDTH, 900)
    browser.delete_all_cookies()
    email = "directeur@example.nl"
    allow_a_new_sms_code(live_portal, email)
    sign_in(browser, live_portal, email, DEMO_PASSWORD)
    browser.get(live_portal.url("/archive?folder=upload"))
    WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#archive-upload .uppy-Dashboard-inner"))
    )
    browser.execute_script(DROP_FILES, "#archive-upload .uppy-Dashboard-inner",
                           ["axe-check.pdf"], PDF_TEXT)  # fmt: skip
    WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".uppy-StatusBar-actionBtn--upload"))
    ).click()
    WebDriverWait(browser, 15).until(
        lambda b: "axe-check.pdf" in b.find_element(By.ID, "archive-uploads").text
    )
    violations = axe_violations(browser)
    sign_out(browser)
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)
