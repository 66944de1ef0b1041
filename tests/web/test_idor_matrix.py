"""The IDOR matrix (SECURITY.md "Access"): every route with an id in its URL, called with the ids
of another organisation's dossier, document, message, file or task, answers 404, for every
method it takes; and, so that the matrix is not vacuous, the owner's side reaches every such
page itself. The routes come from the app's URL map (tests/fixtures/routes.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.fixtures.routes import (
    MANAGER,
    OTHER_CLIENT,
    OTHER_OFFICE_STAFF,
    OWNER,
    STAFF,
    audiences,
    fill,
    id_routes,
)


@pytest.mark.parametrize("intruder", [OTHER_CLIENT, OTHER_OFFICE_STAFF])
def test_every_id_route_answers_404_to_another_organisation(
    web_app, client, login, owned_ids, intruder
):
    login(client, intruder)
    checked = []
    for rule, method in id_routes(web_app):
        url = fill(rule, owned_ids)
        response = client.open(url, method=method, data={"subject": "x", "body": "y"})
        if intruder == OTHER_OFFICE_STAFF and rule.endpoint.startswith("portal."):
            # The client portal's own pages send staff to the office's, whatever the id: that
            # tells nothing about it.
            assert (response.status_code, response.headers.get("Location")) == (302, "/office/")
            continue
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        checked.append(f"{method} {rule.rule}")
    assert len(checked) >= 15, checked


@pytest.mark.parametrize("who", ["client", "staff", "manager"])
def test_the_owners_side_reaches_every_page_of_the_matrix(web_app, client, login, owned_ids, who):
    """Not vacuous: with the same ids, the organisation's client, its office's staff and
    managers get the page itself (200, not a redirect to a login or elsewhere) on every GET
    route of the matrix that is theirs."""
    login(client, {"client": OWNER, "staff": STAFF, "manager": MANAGER}[who])
    reached = []
    for rule, method in id_routes(web_app):
        if method != "GET" or who not in audiences(rule) or "session_id" in rule.arguments:
            continue
        url = fill(rule, owned_ids)
        response = client.get(url)
        if response.status_code == 302 and same_feature(web_app, rule, response):
            # A page that leads on within its own feature (a questionnaire opens where the
            # client stopped; a completed one shows its result): where it leads must be there.
            response = client.get(response.headers["Location"])
        elif response.status_code == 302 and asks_to_confirm(response):
            # A page behind a fresh password (changing someone's e-mail address): it asks for
            # the password first, and leads back to itself.
            response = client.get(response.headers["Location"])
        assert response.status_code == 200, f"GET {url} as {who}: {response.status_code}"
        reached.append(rule.endpoint)
    assert len(reached) >= (1 if who == "manager" else 5), reached


def asks_to_confirm(response) -> bool:
    return urlsplit(response.headers["Location"]).path == "/account/confirm"


def same_feature(app, rule, response) -> bool:
    """Whether a redirect stays in the rule's blueprint (never to a login page)."""
    location = urlsplit(response.headers["Location"])
    endpoint, _arguments = app.url_map.bind("localhost").match(location.path)
    return endpoint.rpartition(".")[0] == rule.endpoint.rpartition(".")[0]
