"""The IDOR matrix (SECURITY.md "Access"): every route with an id in its URL, called with the ids
of another organisation's dossier, document, message, file or task, answers 404, for every
method it takes; and, so that the matrix is not vacuous, the owner's side reaches every such
page itself. The routes come from the app's URL map (tests/fixtures/routes.py)."""

from __future__ import annotations

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
        if intruder == OTHER_OFFICE_STAFF and audiences(rule) == {"client"}:
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
        assert response.status_code == 200, f"GET {url} as {who}: {response.status_code}"
        reached.append(rule.endpoint)
    assert len(reached) >= (1 if who == "manager" else 5), reached
