"""The relay delivers each lane in a thread of its own (relay.delivery.LANES): a mail server that
accepts the connection and then says nothing holds up the mails, not a client's login code (nor
their next step, which goes to Prefect in a lane of its own). With the real relay process and a
real socket that hangs. And a lane whose server is not reached at all ends its round there,
instead of waiting for it once per message."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from casemodel.config import PROJECT_ROOT
from casemodel.db import make_engine, make_session_factory, session_scope
from casemodel.migrate import upgrade
from casemodel.models import OutboxMessage
from casemodel.services.outbox import enqueue
from casemodel.sms.sink import read_sms
from relay.delivery import HANDLERS, LANES, deliver_due
from tests.fixtures.prefect import wait_for


def test_every_kind_is_in_exactly_one_lane():
    kinds = [kind for lane in LANES.values() for kind in lane]
    assert sorted(kinds) == sorted(HANDLERS)


MAIL = {"to": "klant@example.nl", "subject": "Nieuw document",
        "text": "Er staat een document voor u klaar.",
        "html": "<p>Er staat een document voor u klaar.</p>"}  # fmt: skip
SMS = {"to": "+31612345678", "text": "Uw code is 123456", "reference": "login-1"}


@pytest.fixture
def portal_factory(tmp_path):
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield url, make_session_factory(engine)
    engine.dispose()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once it is closed


def test_a_mail_server_not_reached_ends_the_mail_round_not_the_others(
    portal_factory, tmp_path, monkeypatch
):
    url, factory = portal_factory
    monkeypatch.setenv("DOSSIERFLOW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DOSSIERFLOW_SMTP_PORT", str(closed_port()))
    monkeypatch.setenv("DOSSIERFLOW_SMS_GATEWAY", "sink")
    monkeypatch.setenv("DOSSIERFLOW_SMS_FOLDER", str(tmp_path / "sms"))
    with session_scope(factory) as session:
        mails = [enqueue(session, kind="send_mail", dedupe_key=f"mail:{n}", payload=MAIL).id
                 for n in range(3)]  # fmt: skip
        sms = enqueue(session, kind="send_sms", dedupe_key="sms:1", payload=SMS).id

    deliver_due(factory)

    with session_scope(factory) as session:
        tried = [session.get(OutboxMessage, id_) for id_ in mails]
        assert [m.attempts for m in tried] == [1, 0, 0]
        assert "Connection refused" in tried[0].last_error
        assert all(m.done_at is None and m.claimed_until is None for m in tried)
        assert session.get(OutboxMessage, sms).done_at is not None
    assert read_sms(tmp_path / "sms")[0]["text"] == "Uw code is 123456"


@pytest.fixture
def silent_mail_server():
    """Accepts SMTP connections and never greets: smtplib waits for its 30 s timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], held
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()


def test_a_login_code_goes_out_while_the_mail_server_hangs(
    portal_factory, tmp_path, silent_mail_server
):
    port, held = silent_mail_server
    url, factory = portal_factory
    with session_scope(factory) as session:
        mail_id = enqueue(session, kind="send_mail", dedupe_key="mail:1", payload=MAIL).id
        # The mail is the older: one queue would send it first.
        sms_id = enqueue(session, kind="send_sms", dedupe_key="sms:1", payload=SMS).id
    env = {
        **os.environ,
        "DOSSIERFLOW_DATABASE_URL": url,
        "DOSSIERFLOW_INSTANCE": str(tmp_path / "instance"),
        "DOSSIERFLOW_SMTP_HOST": "127.0.0.1",
        "DOSSIERFLOW_SMTP_PORT": str(port),
        "DOSSIERFLOW_SMS_GATEWAY": "sink",
        "DOSSIERFLOW_SMS_FOLDER": str(tmp_path / "sms"),
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    relay = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "webapp", "outbox", "relay", "--interval", "0.2",
         "--wake-address", "off"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: held, timeout=60, what="the relay's connection to the mail server")
        hung_at = time.monotonic()
        wait_for(lambda: read_sms(tmp_path / "sms"), timeout=20,
                 what="the login code, while the mail server hangs")  # fmt: skip
        assert time.monotonic() - hung_at < 20  # well within smtplib's 30 s
        with session_scope(factory) as session:
            assert session.get(OutboxMessage, sms_id).done_at is not None
            assert session.get(OutboxMessage, mail_id).done_at is None  # still waiting
        assert read_sms(tmp_path / "sms")[0]["text"] == "Uw code is 123456"
    finally:
        for connection in held:  # the mail lane's send fails now, so the relay stops at once
            connection.close()
        relay.terminate()
        relay.wait(60)
