"""The links in mails composed outside a request (casemodel/links.py) lead to real pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import NotFound

from casemodel import links


@pytest.mark.parametrize(
    "link",
    [
        links.dossier_link(7, for_staff=False),
        links.dossier_link(7, for_staff=False, tab="messages"),
        links.dossier_link(7, for_staff=True),
        links.archive_link(for_staff=False),
        links.archive_link(for_staff=True),
        links.inbox_link(),
        links.proposals_link(),
        links.my_account_link(),
        links.login_link(),
    ],
)
def test_each_mail_link_is_a_route_of_the_portal(web_app, link):
    adapter = web_app.url_map.bind("127.0.0.1:5000")
    parts = urlsplit(link)
    try:
        endpoint, _values = adapter.match(parts.path, method="GET")
    except NotFound:
        pytest.fail(f"{link} is no page of the portal")
    assert endpoint != "static"
    if parts.query:
        tab = parts.query.removeprefix("tab=")
        from webapp.portal.routes import TABS

        assert tab in TABS
