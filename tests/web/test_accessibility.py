"""What a screen reader and Lighthouse notice, on every page the demo users reach (issue 16,
section 4): each page is walked from the start pages by following its links, as a person
would, and each must give every table column a name, say its language, have a title and a
description, and name its icon; and every table is one of the design system's, which become
cards on a phone (class df-cards, issue 13). Plus: the favicon is there, and what is
compressed."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)

#: Never followed: they change state on GET-less forms anyway, leave the site's pages, or send
#: files rather than pages.
SKIPPED = re.compile(
    r"^/(logout|static/|dev/)|/download|/dossiers/\d+/progress$|^/session$"
    r"|^/approvals/\d+/(document|certificate)$"
)
MAX_PAGES = 400


class PageFacts(HTMLParser):
    """The parts of a page this test checks."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.headers: list[str] = []  # each <th>'s accessible name
        self.lang = None
        self.title = ""
        self.description = None
        self.icons: list[str] = []
        self.tables: list[str] = []  # each <table>'s classes
        self._th: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "table":
            self.tables.append(attributes.get("class") or "")
        elif tag == "th":
            self._th = [attributes.get("aria-label") or ""]
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and attributes.get("name") == "description":
            self.description = attributes.get("content")
        elif tag == "link" and attributes.get("rel") == "icon":
            self.icons.append(attributes.get("href", ""))
        elif tag == "img" and self._th is not None:
            self._th.append(attributes.get("alt") or "")

    def handle_endtag(self, tag):
        if tag == "th" and self._th is not None:
            self.headers.append(" ".join("".join(self._th).split()))
            self._th = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._th is not None:
            self._th.append(data)
        if self._in_title:
            self.title += data


def walk(client, starts: list[str]) -> dict[str, PageFacts]:
    """Every page reachable from the starts by links on the site (GET only), with its facts."""
    seen: dict[str, PageFacts] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or SKIPPED.search(urlsplit(path).path):
            continue
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        facts = PageFacts()
        facts.feed(response.get_data(as_text=True))
        seen[path] = facts
        for link in facts.links:
            target, _fragment = urldefrag(link)
            parts = urlsplit(target)
            if not parts.netloc and target.startswith("/") and target not in seen:
                queue.append(target)
    return seen


def problems_of(path: str, facts: PageFacts) -> list[str]:
    found = [f"{path}: a table column without a name (column {i + 1})"
             for i, name in enumerate(facts.headers) if not name]  # fmt: skip
    if facts.lang not in ("nl", "en"):
        found.append(f"{path}: no language on <html>")
    if not facts.title.strip(" ·"):
        found.append(f"{path}: no title")
    if not facts.description:
        found.append(f"{path}: no meta description")
    if not facts.icons:
        found.append(f"{path}: no icon")
    found += [
        f"{path}: table {i + 1} does not become cards on a phone (no df-cards)"
        for i, classes in enumerate(facts.tables)
        if "df-cards" not in classes.split()
    ]
    return found


@pytest.mark.parametrize(
    ("email", "starts"),
    [
        (None, ["/login", "/password/forgot", "/account/start"]),
        ("klant@example.nl", ["/home", "/dossiers", "/archive", "/details"]),
        ("directeur@example.nl", ["/home", "/dossiers", "/archive?folder=upload",
                                  "/archive?folder=approved", "/archive?folder=online"]),
        ("medewerker@example.nl", ["/office/", "/office/tasks", "/office/messages",
                                   "/office/archive", "/office/accounts/new", "/account"]),
        ("manager@example.nl", ["/office/", "/office/manage", "/office/failures"]),
    ],
)  # fmt: skip
def test_every_page_of_the_demo_users_names_its_table_columns(web_app, login, email, starts):
    client = web_app.test_client()
    if email:
        login(client, email)
    pages = walk(client, starts)
    assert len(pages) >= len(starts)
    problems = [problem for path, facts in pages.items() for problem in problems_of(path, facts)]
    assert problems == []
    if email:  # the walk saw tables at all
        assert any(facts.headers for facts in pages.values())


def test_the_check_finds_an_empty_column_header():
    facts = PageFacts()
    facts.feed('<html lang="nl"><title>x</title><table><tr><th>Naam</th><th> </th>'
               '<th><span class="visually-hidden">Openen</span></th></tr></table>')  # fmt: skip
    assert facts.headers == ["Naam", "", "Openen"]
    assert problems_of("/x", facts)[0] == "/x: a table column without a name (column 2)"


def test_the_favicon_is_there_and_what_is_compressed(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in page.headers  # pages carry form tokens: not compressed
    stylesheet = re.search(r'href="(/static/portal\.css\?v=\w+)"', page.get_data(as_text=True))[1]
    css = client.get(stylesheet, headers={"Accept-Encoding": "br, gzip"})
    assert css.headers["Content-Encoding"] in ("br", "gzip", "zstd")
    assert css.headers["Cache-Control"] == "public, max-age=31536000"
