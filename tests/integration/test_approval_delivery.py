"""Sending approved documents on (both backends, real commits): the HTTP connector against a
real receiver in its own process, the e-mail connector against a real SMTP sink, failures
retried, bytes that no longer match refused, and a relay killed half-way through a sending that
does not make the receiver keep the document twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from casemodel.config import PROJECT_ROOT
from casemodel.filestore import FileStore
from casemodel.models import ApprovalDelivery, ApprovalRequest, AuditEvent, OutboxMessage, User
from casemodel.services.approvals import (
    Outcome,
    change_recipient,
    retry,
)
from casemodel.services.steps import get_step
from devtools.mailsink import MailSink
from flows.relay import deliver_due
from tests.approvals import (
    APPROVAL_STEP,
    accountancy_case,
    approved_with_authenticator,
    own_file_store,
)
from tests.fixtures.prefect import wait_for


@pytest.fixture
def store(tmp_path, monkeypatch) -> FileStore:
    return own_file_store(tmp_path, monkeypatch)


def approved(factory, store, name: str, recipient: str) -> int:
    """A request approved (with the authenticator) and committed; its id."""
    with factory() as session:
        case = accountancy_case(session, store, name)
        if recipient != "kvk":
            change_recipient(session, request=case.request, recipient=recipient,
                             actor=case.firm.staff)  # fmt: skip
        result = approved_with_authenticator(session, case.request, case.firm.client, store)
        assert result.outcome is Outcome.APPROVED
        session.commit()
        return case.request.id


def delivery_of(factory, request_id: int) -> tuple[ApprovalDelivery, OutboxMessage]:
    with factory() as session:
        delivery = session.scalar(
            select(ApprovalDelivery).where(ApprovalDelivery.request_id == request_id)
        )
        return delivery, session.get(OutboxMessage, delivery.outbox_message_id)


def test_the_http_connector_posts_the_approved_bytes_once_and_records_the_receipt(
    own_session_factory, store, receiver
):
    factory = own_session_factory
    request_id = approved(factory, store, "http", "belastingdienst")
    assert deliver_due(factory) >= 1
    [receipt] = receiver.ledger()["receipts"]
    with factory() as session:
        request = session.get(ApprovalRequest, request_id)
        assert receipt["files"]["document"]["sha256"] == request.document_sha256
        assert receipt["files"]["certificate"]["sha256"] == request.certificate_sha256
        delivery = request.delivery
        assert receipt["idempotency_key"] == delivery.idempotency_key
        assert receipt["metadata"]["document"]["version"] == 1
        assert (delivery.state, delivery.receipt_id) == ("sent", receipt["receipt_id"])
        assert delivery.sent_digest == request.document_sha256
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "approval.sent"))
        assert event.detail["receipt_id"] == receipt["receipt_id"]
        assert event.detail["sha256_sent"] == request.document_sha256
        # Sent on: the step is done, and the run's resume queued.
        step = get_step(session, dossier_id=request.dossier_id, step_key=APPROVAL_STEP)
        assert step.state == "done"
        resume = session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == "resume_flow_run", OutboxMessage.done_at.is_(None)))  # fmt: skip
        assert resume.payload["step_key"] == APPROVAL_STEP
    deliver_due(factory)  # delivered already: nothing is sent again
    assert len(receiver.ledger()["posts"]) == 1


def test_the_email_connector_mails_the_document_and_the_certificate(
    own_session_factory, store, tmp_path, monkeypatch
):
    factory = own_session_factory
    with MailSink(tmp_path / "mailbox") as sink:
        monkeypatch.setenv("DOSSIERFLOW_SMTP_HOST", sink.host)
        monkeypatch.setenv("DOSSIERFLOW_SMTP_PORT", str(sink.port))
        request_id = approved(factory, store, "mail", "kvk")
        deliver_due(factory)
        [mail] = sink.messages()
    delivery, _message = delivery_of(factory, request_id)
    assert mail["To"] == "deponeringen@kvk.example"
    assert mail["Message-ID"].strip() == f"<{delivery.idempotency_key}@dossierflow.localhost>"
    assert mail["X-Idempotency-Key"] == delivery.idempotency_key
    assert delivery.receipt_id == mail["Message-ID"].strip()
    attachments = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert set(attachments) == {"jaarrekening.pdf", f"accorderingsbewijs-{request_id}.pdf"}
    body = mail.get_body(("plain",)).get_content()
    assert "Jaarrekening (versie 1)" in body and delivery.idempotency_key in body


def test_a_refused_sending_is_retried_and_shown_with_its_error(
    own_session_factory, store, receiver_factory
):
    factory = own_session_factory
    receiver = receiver_factory(fail=1)
    request_id = approved(factory, store, "retry", "belastingdienst")
    deliver_due(factory)
    delivery, message = delivery_of(factory, request_id)
    assert delivery.state == "queued" and message.attempts == 1
    assert "503" in message.last_error and message.done_at is None
    with factory() as session:  # staff ask for a try now rather than after the back-off
        delivery = session.get(ApprovalDelivery, delivery.id)
        staff = session.scalar(select(User).where(User.email == "staff-retry@example.nl"))
        retry(session, delivery=delivery, actor=staff)
        session.commit()
    deliver_due(factory)
    delivery, message = delivery_of(factory, request_id)
    assert delivery.state == "sent" and message.done_at is not None
    assert len(receiver.ledger()["receipts"]) == 1


def test_bytes_that_no_longer_match_are_not_sent(own_session_factory, store, receiver):
    factory = own_session_factory
    request_id = approved(factory, store, "tamper", "belastingdienst")
    with factory() as session:
        sha256 = session.get(ApprovalRequest, request_id).document_sha256
    path = store.path(sha256)
    path.chmod(0o600)
    path.write_bytes(path.read_bytes() + b"% changed")
    deliver_due(factory)
    delivery, message = delivery_of(factory, request_id)
    assert delivery.state == "queued" and "does not match" in message.last_error
    assert receiver.ledger()["posts"] == []


def relay_process(database_url: str, tmp_path) -> subprocess.Popen:
    """`flask outbox relay` as the deployment runs it, in a process of its own."""
    env = {
        **os.environ,
        "DOSSIERFLOW_DATABASE_URL": database_url,
        "DOSSIERFLOW_INSTANCE": str(tmp_path / "relay-instance"),
        "PREFECT_API_URL": "http://127.0.0.1:9/api",  # the resumes wait; the sending does not
        # A killed relay's claim on its message runs out after this (the receiver takes 4 s).
        "DOSSIERFLOW_OUTBOX_LEASE_SECONDS": "10",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "webapp", "outbox", "relay", "--interval", "0.2"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_relay_killed_while_sending_does_not_make_the_receiver_keep_it_twice(
    own_session_factory, own_database_url, store, receiver_factory, tmp_path
):
    """The receiver keeps the document and then takes 4 s to answer; the relay is killed in
    between (SIGKILL: no clean-up), so its outbox row is not done. The next relay sends again,
    with the same idempotency key: the receiver recognises it and answers the same receipt."""
    factory = own_session_factory
    receiver = receiver_factory(delay=4)
    request_id = approved(factory, store, "killed", "belastingdienst")
    first = relay_process(own_database_url, tmp_path)
    try:
        wait_for(lambda: receiver.ledger()["posts"], timeout=60, what="the first post")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    delivery, message = delivery_of(factory, request_id)
    assert delivery.state == "queued" and message.done_at is None
    second = relay_process(own_database_url, tmp_path)
    try:
        wait_for(lambda: delivery_of(factory, request_id)[0].state == "sent", timeout=90,
                 what="the sending by the second relay")  # fmt: skip
    finally:
        second.terminate()
        second.wait(15)
    ledger = receiver.ledger()
    assert len(ledger["receipts"]) == 1
    keys = {post["idempotency_key"] for post in ledger["posts"]}
    assert len(ledger["posts"]) == 2 and keys == {delivery.idempotency_key}
    delivery, _message = delivery_of(factory, request_id)
    assert delivery.receipt_id == ledger["receipts"][0]["receipt_id"]
