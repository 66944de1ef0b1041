"""No GET changes state (SECURITY.md "Access"): every GET route of the app's URL map, called by a
visitor, a client and staff, leaves every table as it was; the only exceptions are what opening
something means (a read mark, the audit trail of a download, the secret an authenticator's
set-up page draws) and the session's last-seen time, which keeps the idle time-out."""

from __future__ import annotations

from sqlalchemy import select

from casemodel.db import Base
from tests.fixtures.routes import OWNER, STAFF, fill

#: What a GET may change: opening a document or a message marks it read, and a download is
#: audited (the hash-chained trail and its chain heads).
OPENING = {
    "documents.download_document": {"document_reads", "audit_events", "audit_chain_heads"},
    "archive.download_archived_file": {"audit_events", "audit_chain_heads"},
    "messages.show_message": {"message_reads"},
    "questionnaires.download_pdf": {"document_reads", "audit_events", "audit_chain_heads"},
    "questionnaires.download_file": {
        "document_reads", "audit_events", "audit_chain_heads",
    },
    # Opening the version put up for approval (what lets "Akkoord" through), and the audited
    # download of a certificate.
    "approvals.view_document": {"approval_views", "audit_events", "audit_chain_heads"},
    "approvals.download_certificate": {"audit_events", "audit_chain_heads"},
}
#: Columns every signed-in request may move: the idle time-out counts from the last request.
EVERY_REQUEST = {("user_sessions", "last_seen_at")}
#: Showing an authenticator's set-up draws its secret for this login session, kept sealed on the
#: session's row so that the QR code stays the same until a code confirms it
#: (services.second_factor.totp_secret_being_set_up): what opening that page means, as a read
#: mark is for a message. Forced from another site it sets up nothing: only a code from the app
#: the QR code went into does. (It was in the session cookie before, which this walk cannot see.)
DRAWS_A_SECRET = {
    "auth.setup_second_factor", "auth.offer_authenticator", "auth.set_up_second_factor",
    "auth.switch_to_authenticator",
}
SECRET_DRAWN = ("user_sessions", "pending_totp_sealed")


def snapshot(session, ignored=frozenset(EVERY_REQUEST)) -> dict[str, set[tuple]]:
    """Every row of every table, as comparable tuples (without the ignored columns)."""
    rows = {}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in ignored]
        rows[table.name] = {tuple(map(repr, row)) for row in session.execute(select(*columns))}
    return rows


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            yield rule


def test_no_get_changes_state(web_app, client, login, owned_ids, web_session):
    routes = list(get_routes(web_app))
    assert len(routes) >= 30, [rule.rule for rule in routes]  # the whole map, not a sample
    walked = 0
    for who in (None, OWNER, STAFF):
        browser = web_app.test_client()
        if who:
            login(browser, who)
        for rule in routes:
            url = fill(rule, owned_ids)
            ignored = EVERY_REQUEST | ({SECRET_DRAWN} if rule.endpoint in DRAWS_A_SECRET else set())
            web_session.expire_all()
            before = snapshot(web_session, ignored)
            web_session.rollback()
            response = browser.get(url)
            assert response.status_code < 500, f"GET {url} as {who}: {response.status_code}"
            after = snapshot(web_session, ignored)
            web_session.rollback()
            changed = changed_tables(before, after) - OPENING.get(rule.endpoint, set())
            assert not changed, f"GET {url} as {who or 'a visitor'} changed {sorted(changed)}"
            walked += 1
    assert walked == 3 * len(routes)


def test_a_state_change_on_get_would_be_seen(web_app, client, login, owned_ids, web_session):
    """The walk can fail: opening an unread message does change a table, which only OPENING
    allows (the client wrote it, so it is unread for staff)."""
    login(client, STAFF)
    rule = next(r for r in get_routes(web_app) if r.endpoint == "messages.show_message")
    before = snapshot(web_session)
    web_session.rollback()
    client.get(fill(rule, owned_ids))
    assert changed_tables(before, snapshot(web_session)) == {"message_reads"}


def test_state_changing_routes_refuse_get(client):
    assert client.get("/logout").status_code == 405
    assert client.get("/language?locale=en").status_code == 405
