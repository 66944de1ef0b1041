"""What may happen once under concurrent requests (both backends, real commits, each request its
own transaction as the portal's are): twenty posts of the right code for one challenge give one
approval, one resumed run and one sending; the others find it approved, and none of them counts
as a wrong code."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casemodel.filestore import FileStore
from casemodel.models import (
    ApprovalChallenge,
    ApprovalDelivery,
    ApprovalRequest,
    AuditEvent,
    OutboxMessage,
    User,
)
from casemodel.services.approvals import Outcome, approve, change_recipient
from casemodel.services.audit import verify_chain
from tests.approvals import BROWSER, accountancy_case, agreed, own_file_store, totp_now
from tests.concurrency import all_at_once

POSTS = 20


@pytest.fixture
def store(tmp_path, monkeypatch) -> FileStore:
    return own_file_store(tmp_path, monkeypatch)


def agreed_case(factory, store, name: str, recipient: str) -> tuple[int, int, int, str]:
    """A request agreed to and committed: (request id, challenge id, user id, a right code)."""
    with factory() as session:
        case = accountancy_case(session, store, name)
        if recipient != "kvk":
            change_recipient(session, request=case.request, recipient=recipient,
                             actor=case.firm.staff)  # fmt: skip
        client = case.firm.client
        challenge = agreed(session, case.request, client)
        session.commit()
        return case.request.id, challenge.id, client.id, totp_now(client)


def post(factory, store, challenge_id: int, user_id: int, code: str):
    def request():
        with factory() as session:
            result = approve(
                session, challenge=session.get(ApprovalChallenge, challenge_id),
                user=session.get(User, user_id), method="totp", code=code, client=BROWSER,
                store=store, locale="nl",
            )  # fmt: skip
            session.commit()
            return result.outcome

    return request


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("recipient", ["kvk", "office"])
def test_twenty_posts_of_one_code_approve_once_and_send_once(
    own_session_factory, store, recipient
):
    factory = own_session_factory
    request_id, challenge_id, user_id, code = agreed_case(factory, store, f"race-{recipient}",
                                                     recipient)  # fmt: skip
    outcomes = all_at_once([post(factory, store, challenge_id, user_id, code)] * POSTS)
    assert outcomes.count(Outcome.APPROVED) == 1
    assert set(outcomes) == {Outcome.APPROVED, Outcome.ALREADY_APPROVED}
    with factory() as session:
        request = session.get(ApprovalRequest, request_id)
        assert request.state == "approved"
        assert count(session, AuditEvent, AuditEvent.action == "approval.approved") == 1
        assert count(session, AuditEvent, AuditEvent.action == "approval.code_wrong") == 0
        assert session.get(User, user_id).failed_logins == 0
        sends = count(session, OutboxMessage, OutboxMessage.kind == "send_approved_document")
        resumes = count(session, OutboxMessage, OutboxMessage.kind == "resume_flow_run")
        if recipient == "office":  # approved is done: the run is resumed at once
            assert (sends, resumes) == (0, 1)
        else:  # sent on first: the resume comes with the sending
            assert (sends, resumes, count(session, ApprovalDelivery)) == (1, 0, 1)
        assert verify_chain(session, request.dossier_id)
