"""Approvals in casemodel (SECURITY.md "Approvals"), on SQLite and PostgreSQL: what you see is
what you sign, codes bound to one challenge, the evidence and the certificate, and what a
rejection, a withdrawal, a new version or a new recipient do."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import func, select

from casemodel.filestore import FileStore
from casemodel.models import (
    ApprovalChallenge,
    ApprovalDelivery,
    AuditEvent,
    HumanTask,
    Membership,
    Message,
    Notification,
    OutboxMessage,
)
from casemodel.services.approvals import (
    ApprovalRefused,
    Outcome,
    approve,
    ask_question,
    change_recipient,
    reject,
    send_code,
    start_challenge,
    withdraw,
)
from casemodel.services.audit import verify_chain
from casemodel.services.documents import add_version
from casemodel.services.errors import NotAllowed, TooManyWrongPasswords
from casemodel.services.second_factor import CodeCheck, check_login_code, send_sms_code
from casemodel.services.steps import get_step
from tests.approvals import (
    APPROVAL_STEP,
    BROWSER,
    accountancy_case,
    agreed,
    latest_sms,
    opened,
    own_file_store,
    place,
    totp_now,
)
from tests.files import pdf_bytes


@pytest.fixture
def store(tmp_path, monkeypatch) -> FileStore:
    return own_file_store(tmp_path, monkeypatch)


@pytest.fixture
def case(session, store):
    return accountancy_case(session, store, "acc")


def agree(session, case, user=None):
    return agreed(session, case.request, user or case.firm.client)


def approve_with(session, store, challenge, user, method, code):
    return approve(session, challenge=challenge, user=user, method=method, code=code,
                   client=BROWSER, store=store, locale="nl")  # fmt: skip


def test_the_office_places_the_accounts_and_the_approvers_are_told(session, case):
    request = case.request
    assert (request.state, request.version, request.recipient) == ("open", 1, "kvk")
    assert request.document.title == "Jaarrekening"
    assert request.document.published_at is not None
    assert get_step(session, dossier_id=case.dossier.id, step_key=APPROVAL_STEP).state == "waiting"
    told = session.scalars(select(Notification.user_id).where(Notification.kind == "approval"))
    assert list(told) == [case.firm.client.id]


def test_agreeing_is_refused_until_this_user_opened_this_version(session, case):
    with pytest.raises(ApprovalRefused) as refused:
        start_challenge(session, request=case.request, user=case.firm.client, client=BROWSER,
                        locale="nl")  # fmt: skip
    assert refused.value.reason == "not_opened"


def test_approving_with_the_authenticator_records_the_evidence_and_queues_the_sending(
    session, store, case
):
    client = case.firm.client
    challenge = agree(session, case)
    assert "Jaarrekening (versie 1)" in challenge.confirmation_text
    assert "de Kamer van Koophandel" in challenge.confirmation_text
    result = approve_with(session, store, challenge, client, "totp", totp_now(client))
    assert result.outcome is Outcome.APPROVED
    request = result.request
    assert request.state == "approved" and request.decided_by_id == client.id
    assert (request.document.approved_version, request.document.approved_at) == (
        1,
        request.decided_at,
    )
    evidence = request.evidence
    assert evidence["document"]["sha256"] == request.document_sha256
    assert evidence["method"] == "totp" and evidence["ip"] == BROWSER.ip
    assert evidence["user_agent"] == BROWSER.user_agent
    assert evidence["right"]["name"] == "can_approve"
    assert evidence["confirmation_text"] == challenge.confirmation_text
    assert [e["action"] for e in evidence["events"]] == ["approval.opened", "approval.agreed"]
    assert evidence["approved_at_local"].endswith(("+01:00", "+02:00"))
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "approval.approved"))
    assert event.detail == evidence and event.dossier_id == case.dossier.id
    assert verify_chain(session, case.dossier.id)
    # The sending on is one outbox row with the delivery's key; the step waits for it.
    delivery = session.scalar(select(ApprovalDelivery))
    assert (delivery.connector, delivery.target) == ("email", "deponeringen@kvk.example")
    message = session.get(OutboxMessage, delivery.outbox_message_id)
    assert message.kind == "send_approved_document"
    assert get_step(session, dossier_id=case.dossier.id, step_key=APPROVAL_STEP).state == "waiting"


def test_the_certificate_lists_the_evidence(session, store, case):
    client = case.firm.client
    challenge = agree(session, case)
    request = approve_with(session, store, challenge, client, "totp", totp_now(client)).request
    with store.open(request.certificate_sha256) as file:
        text = " ".join("".join(page.extract_text() for page in PdfReader(file).pages).split())
    evidence = request.evidence
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "approval.approved"))
    for expected in (
        "Accorderingsbewijs", evidence["document"]["title"], evidence["document"]["sha256"],
        f"Versie {evidence['document']['version']}", evidence["user"]["name"],
        evidence["user"]["email"], evidence["organisation"]["name"],
        evidence["organisation"]["client_number"], evidence["dossier"]["number"],
        evidence["recipient"]["name"], evidence["approved_at_utc"],
        evidence["approved_at_local"], evidence["ip"], evidence["user_agent"],
        "Authenticator-app (TOTP)", evidence["binding_hash"], event.hash, f"#{event.id}",
        " ".join(evidence["confirmation_text"].split()), "Document geopend", "Akkoord gegeven",
        f"lidmaatschap {evidence['right']['membership_id']}",
    ):  # fmt: skip
        assert expected in text, expected


def test_an_sms_code_names_the_document_and_the_recipient_and_approves_once(session, store):
    case = accountancy_case(session, store, "sms", totp=False)
    client = case.firm.client
    challenge = agree(session, case)
    code = send_code(session, challenge=challenge, user=client, locale="nl")
    assert code.purpose == "approval" and code.expires_at - code.created_at == dt.timedelta(
        minutes=5
    )
    text, digits = latest_sms(session)
    assert '"Jaarrekening" (versie 1)' in text and "de Kamer van Koophandel" in text
    assert (
        approve_with(session, store, challenge, client, "sms", digits).outcome is Outcome.APPROVED
    )
    again = approve_with(session, store, challenge, client, "sms", digits)
    assert again.outcome is Outcome.ALREADY_APPROVED
    assert session.scalar(select(func.count()).select_from(ApprovalDelivery)) == 1


def test_an_sms_code_after_five_minutes_is_refused(session, store):
    case = accountancy_case(session, store, "late", totp=False)
    client = case.firm.client
    challenge = agree(session, case)
    send_code(session, challenge=challenge, user=client, locale="nl")
    _text, digits = latest_sms(session)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5, seconds=5)):
        result = approve_with(session, store, challenge, client, "sms", digits)
    assert result.outcome is Outcome.WRONG
    assert case.request.state == "open"


def test_a_login_code_never_approves_and_an_approval_code_never_logs_in(session, store):
    case = accountancy_case(session, store, "purpose", totp=False)
    client = case.firm.client
    challenge = agree(session, case)
    send_sms_code(session, user=client, purpose="login")
    _text, login_code = latest_sms(session)
    # No approval code was sent for the challenge: the login code has nothing to match.
    with pytest.raises(ApprovalRefused):
        approve_with(session, store, challenge, client, "sms", login_code)
    send_code(session, challenge=challenge, user=client, locale="nl")
    _text, approval_code = latest_sms(session)
    assert (
        approve_with(session, store, challenge, client, "sms", login_code).outcome is Outcome.WRONG
    )
    assert check_login_code(session, user=client, method="sms", code=approval_code).check in (
        CodeCheck.WRONG, CodeCheck.EXPIRED,
    )  # fmt: skip
    assert approve_with(session, store, challenge, client, "sms", approval_code).outcome is (
        Outcome.APPROVED
    )


def test_a_code_for_document_a_fails_on_document_b(session, store):
    first = accountancy_case(session, store, "aa", totp=False)
    second = accountancy_case(session, store, "bb", totp=False)
    client = first.firm.client  # one approver for both organisations' documents
    session.add(Membership(user_id=client.id, organisation_id=second.firm.organisation.id,
                           can_approve=True))  # fmt: skip
    session.flush()
    challenge_a = agree(session, first, client)
    challenge_b = agree(session, second, client)
    send_code(session, challenge=challenge_a, user=client, locale="nl")
    _text, code_a = latest_sms(session)
    with pytest.raises(ApprovalRefused) as refused:  # no code was sent for B
        approve_with(session, store, challenge_b, client, "sms", code_a)
    assert refused.value.reason == "code_not_sent"
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)):
        send_code(session, challenge=challenge_b, user=client, locale="nl")
        _text, code_b = latest_sms(session)
        assert approve_with(session, store, challenge_b, client, "sms", code_a).outcome is (
            Outcome.WRONG
        )
        # Pointed at A's code row, B still refuses it: the row is bound to A's challenge.
        challenge_b.code_id = challenge_a.code_id
        assert approve_with(session, store, challenge_b, client, "sms", code_a).outcome is (
            Outcome.WRONG
        )
    assert (first.request.state, second.request.state) == ("open", "open")


def test_a_new_version_cancels_the_open_challenge_and_is_put_up_instead(session, store, case):
    client = case.firm.client
    challenge = agree(session, case)
    stored = store.put(io.BytesIO(pdf_bytes("Jaarrekening v2")), max_bytes=10**6)
    add_version(session, document=case.request.document, stored=stored, filename="jr.pdf",
                actor=case.firm.staff)  # fmt: skip
    session.refresh(challenge)
    assert challenge.cancel_reason == "new_version"
    assert case.request.state == "withdrawn" and case.request.withdrawn_reason == "new_version"
    result = approve_with(session, store, challenge, client, "totp", totp_now(client))
    assert (result.outcome, result.ended_because) == (Outcome.ENDED, "new_version")
    newer = session.scalar(
        select(ApprovalChallenge.request_id).where(ApprovalChallenge.id == challenge.id)
    )
    assert newer == case.request.id
    current = case.request.document
    assert current.latest_version == 2
    from casemodel.services.approvals.requests import open_request_of

    replacement = open_request_of(session, get_step(session, dossier_id=case.dossier.id,
                                                    step_key=APPROVAL_STEP))  # fmt: skip
    assert (replacement.version, replacement.document_sha256) == (2, stored.sha256)
    # This version must be opened before it can be agreed to.
    with pytest.raises(ApprovalRefused) as refused:
        start_challenge(session, request=replacement, user=client, client=BROWSER, locale="nl")
    assert refused.value.reason == "not_opened"


@pytest.mark.parametrize("change", ["withdrawal", "recipient"])
def test_a_withdrawal_or_a_new_recipient_cancels_the_open_challenge(session, store, case, change):
    client, staff = case.firm.client, case.firm.staff
    challenge = agree(session, case)
    if change == "withdrawal":
        withdraw(session, request=case.request, actor=staff)
    else:
        change_recipient(session, request=case.request, recipient="belastingdienst", actor=staff)
    session.refresh(challenge)
    assert challenge.cancelled_at is not None
    result = approve_with(session, store, challenge, client, "totp", totp_now(client))
    assert result.outcome is Outcome.ENDED
    assert result.ended_because == ("withdrawn" if change == "withdrawal" else "recipient_changed")
    assert session.scalar(select(func.count()).select_from(ApprovalDelivery)) == 0


def test_a_withdrawn_step_request_asks_the_office_for_a_document_again(session, store, case):
    withdraw(session, request=case.request, actor=case.firm.staff)
    step = get_step(session, dossier_id=case.dossier.id, step_key=APPROVAL_STEP)
    task = session.scalar(select(HumanTask).where(HumanTask.step_id == step.id))
    assert (task.state, task.audience, step.state) == ("open", "staff", "waiting")


def test_without_the_right_nothing_is_approved_and_a_revoked_right_stops_the_next_request(
    session, store, case
):
    client = case.firm.client
    challenge = agree(session, case)
    membership = session.scalar(select(Membership).where(Membership.user_id == client.id))
    membership.can_approve = False
    session.flush()
    with pytest.raises(NotAllowed):
        approve_with(session, store, challenge, client, "totp", totp_now(client))
    with pytest.raises(NotAllowed):
        start_challenge(session, request=case.request, user=client, client=BROWSER, locale="nl")
    assert case.request.state == "open"


def test_five_wrong_codes_end_the_challenge(session, store, case):
    client = case.firm.client
    challenge = agree(session, case)
    right = totp_now(client)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    outcomes = [approve_with(session, store, challenge, client, "totp", wrong).outcome
                for _ in range(4)]  # fmt: skip
    assert outcomes == [Outcome.WRONG] * 4
    client.failed_logins = 0  # (the account's own count is the next test's)
    session.flush()
    assert approve_with(session, store, challenge, client, "totp", wrong).outcome is Outcome.ENDED
    assert approve_with(session, store, challenge, client, "totp", right).outcome is Outcome.ENDED
    assert case.request.state == "open"
    wrong_events = session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "approval.code_wrong"))  # fmt: skip
    assert wrong_events == 5


def test_wrong_codes_count_toward_the_account_lock(session, store, case):
    client = case.firm.client
    client.failed_logins = 4  # four wrong codes at login, say
    session.flush()
    challenge = agree(session, case)
    with pytest.raises(TooManyWrongPasswords):
        approve_with(session, store, challenge, client, "totp", "000000")
    assert client.locked_until is not None


def test_an_authenticator_code_is_accepted_once_per_time_step(session, store):
    first = accountancy_case(session, store, "t1")
    client = first.firm.client
    code = totp_now(client)
    assert approve_with(session, store, agree(session, first), client, "totp", code).outcome is (
        Outcome.APPROVED
    )
    # The same code again (for the login, or another approval) is a replay.
    assert check_login_code(session, user=client, method="totp", code=code).check is (
        CodeCheck.REPLAYED
    )


def test_niet_akkoord_needs_a_reason_and_goes_back_to_the_compiling_step(session, store, case):
    client = case.firm.client
    opened(session, case.request, client)
    with pytest.raises(ApprovalRefused) as refused:
        reject(session, request=case.request, actor=client, reason="  ", client=BROWSER)
    assert refused.value.reason == "reason_required"
    assert case.request.state == "open"
    reject(session, request=case.request, actor=client, reason="De afschrijvingen kloppen niet",
           client=BROWSER)  # fmt: skip
    assert case.request.state == "rejected"
    steps = {key: get_step(session, dossier_id=case.dossier.id, step_key=key)
             for key in ("compile", "review", APPROVAL_STEP, "meeting")}  # fmt: skip
    assert {key: (s.state, s.attempt) for key, s in steps.items()} == {
        "compile": ("pending", 2), "review": ("pending", 2), APPROVAL_STEP: ("pending", 2),
        "meeting": ("pending", 1),
    }  # fmt: skip
    resume = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "resume_flow_run"))
    assert resume.payload == {"dossier_id": case.dossier.id, "step_key": APPROVAL_STEP}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "approval.rejected"))
    assert event.detail["reason"] == "De afschrijvingen kloppen niet"


def test_the_second_attempt_puts_up_the_new_version_and_it_can_be_approved(session, store, case):
    from casemodel.stepkinds.approval import open_for_step

    client = case.firm.client
    opened(session, case.request, client)
    reject(session, request=case.request, actor=client, reason="Fout", client=BROWSER)
    # The run walks compile and review again; the approval step's second attempt finds only the
    # refused version, and asks the office for a new one.
    assert open_for_step(session, dossier_id=case.dossier.id, step_key=APPROVAL_STEP) is None
    second = place(session, store, case.dossier, case.firm.staff, "Jaarrekening, gecorrigeerd")
    assert (second.version, second.step_attempt, second.document_id) == (
        2, 2, case.request.document_id,
    )  # fmt: skip
    challenge = agree(session, type(case)(case.firm, case.dossier, second))
    assert approve_with(session, store, challenge, client, "totp", totp_now(client)).outcome is (
        Outcome.APPROVED
    )
    assert second.document.approved_version == 2


def test_a_question_goes_to_the_handler_and_the_approval_stays_open(session, case):
    client = case.firm.client
    message = ask_question(session, request=case.request, actor=client,
                           question="Waarom is de voorraad lager?", contact_by="phone",
                           phone="06 1234 5678")  # fmt: skip
    assert message.subject == "Vraag over Jaarrekening (v1)"
    assert "Waarom is de voorraad lager?" in message.body
    assert re.search(r"telefonisch contact \(06 1234 5678\)", message.body)
    assert session.get(Message, message.id).from_office is False
    assert case.request.state == "open"
    handler = case.dossier.handler_id
    told = session.scalar(select(Notification).where(Notification.kind == "client_message"))
    assert told.user_id == handler


def test_the_approvers_digest_says_a_document_waits_for_their_approval(session, case):
    from casemodel.services.notifications import send_digest

    assert send_digest(session, case.firm.client.id)
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "send_mail")
                          .order_by(OutboxMessage.id.desc()).limit(1))  # fmt: skip
    text = mail.payload["text"]
    assert f"1 document wacht op uw akkoord in dossier {case.dossier.number}" in text
    assert "Jaarrekening" not in text  # where, never what


def test_the_draft_deed_a_publish_step_placed_is_put_up_and_placed_again_after_a_rejection(
    session, store
):
    """The notary's template: the approval puts up what the publish step before it placed;
    "Niet akkoord" goes back to drawing up the deed, and the publish step, run again, adds a
    version to the same document, which is put up in its turn."""
    from casemodel.casetemplates import TemplateRegistry
    from casemodel.services.dossiers import open_dossier
    from casemodel.stepkinds.approval import open_for_step
    from casemodel.stepkinds.publish import complete_publish_task, run_publish_step
    from tests.approvals import approver
    from tests.fixtures.domain import make_firm

    firm = make_firm(session, "deed")
    client = approver(session, firm)
    transfer = TemplateRegistry.from_folder().latest("levering-woning")
    dossier = open_dossier(session, template=transfer, organisation_id=firm.organisation.id,
                           description="Herengracht 1", actor=firm.staff)  # fmt: skip

    def staff_publish(text: str):
        assert (
            run_publish_step(session, dossier_id=dossier.id, step_key="draft-deed-published")
            is False
        )
        step = get_step(session, dossier_id=dossier.id, step_key="draft-deed-published")
        task = session.scalar(select(HumanTask).where(HumanTask.step_id == step.id))
        assert (task.state, task.attempt) == ("open", step.attempt)
        stored = store.put(io.BytesIO(pdf_bytes(text)), max_bytes=10**6)
        return complete_publish_task(session, task_id=task.id, actor=firm.staff, stored=stored,
                                     filename="akte.pdf")  # fmt: skip

    deed = staff_publish("Concept akte")
    first = open_for_step(session, dossier_id=dossier.id, step_key="draft-deed-approval")
    assert (first.document_id, first.version, first.recipient) == (deed.id, 1, "office")
    opened(session, first, client)
    reject(session, request=first, actor=client, reason="Mijn naam is verkeerd gespeld",
           client=BROWSER)  # fmt: skip
    assert get_step(session, dossier_id=dossier.id, step_key="draft-deed").attempt == 2
    again = staff_publish("Concept akte, naam hersteld")
    assert (again.id, again.latest_version) == (deed.id, 2)
    second = open_for_step(session, dossier_id=dossier.id, step_key="draft-deed-approval")
    assert (second.document_id, second.version, second.step_attempt) == (deed.id, 2, 2)


def test_the_waiting_list_reads_the_approvers_membership_once(session, store, case):
    from sqlalchemy import event

    from casemodel.casetemplates import TemplateRegistry
    from casemodel.queries.approvals import waiting_for
    from casemodel.services.dossiers import open_dossier
    from casemodel.stepkinds.approval import open_for_step

    template = TemplateRegistry.from_folder().latest("jaarrekening-ib")
    for year in (2023, 2024):  # two more years of accounts wait for the same approver
        dossier = open_dossier(session, template=template, actor=case.firm.staff,
                               organisation_id=case.firm.organisation.id,
                               description=f"Jaarrekening {year}")  # fmt: skip
        open_for_step(session, dossier_id=dossier.id, step_key=APPROVAL_STEP)
        place(session, store, dossier, case.firm.staff, f"Jaarrekening {year}")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        waiting = waiting_for(session, case.firm.client, case.firm.organisation.id)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(waiting) == 3
    assert sum(s.lstrip().startswith("SELECT memberships.") for s in statements) == 1
