"""The `approval` step kind on a real Prefect server and worker: "Niet akkoord" sends the run back
to the compiling step, which it walks again in a second attempt (new cache and suspension keys),
the second version is approved and sent to a real receiver, and the run goes on; and an
approval made while Prefect cannot be reached is kept and resumes the run once it can."""

from __future__ import annotations

import io
import itertools

import pyotp
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import select

from casemodel.casetemplates import parse_template
from casemodel.db import session_scope
from casemodel.filestore import FileStore
from casemodel.models import ApprovalRequest, HumanTask, Membership, OutboxMessage, Step, User
from casemodel.services.approvals import (
    Outcome,
    approve,
    reject,
    start_challenge,
)
from casemodel.services.approvals.step_kind import place_document
from casemodel.services.dossiers import open_dossier
from flows.relay import deliver_due
from tests.approvals import BROWSER, opened
from tests.files import pdf_bytes
from tests.fixtures.domain import make_firm
from tests.fixtures.prefect import wait_for
from tests.integration.test_dossier_flow import (
    complete,
    flow_run,
    read,
    step_state,
    suspended_on,
    task_run_states,
)

pytestmark = [pytest.mark.prefect, pytest.mark.postgres]


def step(key, kind, nl, en, **extra):
    return {"key": key, "title": {"nl": nl, "en": en}, "kind": kind, **extra}


def template(recipient: str):
    return parse_template(
        {
            "key": f"approval-flow-test-{recipient}",
            "version": 1,
            "office_kind": "accountancy",
            "title": {"nl": "Accorderingstest", "en": "Approval test"},
            "steps": [
                step("compile", "staff_task", "Samenstellen", "Compiling"),
                step("approve", "approval", "Akkoord", "Approval",
                     settings={"recipient": recipient, "on_reject": "compile",
                               "title": {"nl": "Aangifte", "en": "Return"}}),
                step("after", "staff_task", "Daarna", "After"),
            ],
        },
        "approval-flow-test.yaml",
    )  # fmt: skip


_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def one_file_store(flow_stack, monkeypatch):
    """The relay here (deliver_due) reads the approved bytes from the store the worker's runs
    and these tests write to, as a deployment's relay shares DOSSIERFLOW_FILES."""
    monkeypatch.setenv("DOSSIERFLOW_FILES", str(flow_stack.files_path))


@pytest.fixture
def people(flow_stack):
    """An accountancy firm's client, who may approve with an authenticator, and its staff."""
    with session_scope(flow_stack.session_factory) as session:
        firm = make_firm(session, f"aflow{next(_numbers)}", kind="accountancy")
        membership = session.scalar(select(Membership).where(Membership.user_id == firm.client.id))
        membership.can_approve = True
        firm.client.second_factor, firm.client.totp_secret = "totp", pyotp.random_base32()
        return firm.organisation.id, firm.staff.id, firm.client.id


def open_test_dossier(flow_stack, recipient: str, organisation_id: int, staff_id: int) -> int:
    with session_scope(flow_stack.session_factory) as session:
        dossier = open_dossier(
            session, template=template(recipient), organisation_id=organisation_id,
            description="Aangifte 2025", actor=session.get(User, staff_id),
        )  # fmt: skip
        dossier_id = dossier.id
    deliver_due(flow_stack.session_factory)
    return dossier_id


def staff_completes(flow_stack, dossier_id: int, key: str, staff_id: int) -> None:
    complete(flow_stack, dossier_id, key, staff_id)
    deliver_due(flow_stack.session_factory)


def staff_places(flow_stack, dossier_id: int, staff_id: int, text: str) -> int:
    with session_scope(flow_stack.session_factory) as session:
        task_id = session.scalar(
            select(HumanTask.id).join(HumanTask.step)
            .where(Step.dossier_id == dossier_id, Step.key == "approve", HumanTask.state == "open")
        )  # fmt: skip
        store = FileStore(flow_stack.files_path)
        stored = store.put(io.BytesIO(pdf_bytes(text)), max_bytes=10**6)
        request = place_document(session, task_id=task_id, actor=session.get(User, staff_id),
                                 stored=stored, filename="aangifte.pdf")  # fmt: skip
        return request.id


def client_approves(flow_stack, request_id: int, client_id: int) -> None:
    with session_scope(flow_stack.session_factory) as session:
        request, client = session.get(ApprovalRequest, request_id), session.get(User, client_id)
        opened(session, request, client)
        challenge = start_challenge(session, request=request, user=client, client=BROWSER,
                                    locale="nl")  # fmt: skip
        result = approve(
            session, challenge=challenge, user=client, method="totp",
            code=pyotp.TOTP(client.totp_secret).now(), client=BROWSER,
            store=FileStore(flow_stack.files_path), locale="nl",
        )  # fmt: skip
        assert result.outcome is Outcome.APPROVED


def pause_key(flow_stack, dossier_id: int) -> str | None:
    state = flow_run(flow_stack, dossier_id).state
    return state.state_details.pause_key if state and state.name == "Suspended" else None


def attempt_of(flow_stack, dossier_id: int, key: str) -> int:
    return read(flow_stack, lambda s: s.scalar(
        select(Step.attempt).where(Step.dossier_id == dossier_id, Step.key == key)))  # fmt: skip


def test_a_rejection_goes_back_to_compiling_and_the_second_version_is_approved_and_sent(
    flow_stack, people, receiver
):
    organisation_id, staff_id, client_id = people
    dossier_id = open_test_dossier(flow_stack, "belastingdienst", organisation_id, staff_id)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "compile"), what="on compile")
    staff_completes(flow_stack, dossier_id, "compile", staff_id)
    # No document yet: the office is asked to place it, and the run waits on the approval.
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "approve"), what="on approve")
    assert pause_key(flow_stack, dossier_id) == "approve#0"
    first = staff_places(flow_stack, dossier_id, staff_id, "Aangifte v1")

    with session_scope(flow_stack.session_factory) as session:
        request, client = session.get(ApprovalRequest, first), session.get(User, client_id)
        opened(session, request, client)
        reject(session, request=request, actor=client, reason="Mijn hypotheekrente ontbreekt",
               client=BROWSER)  # fmt: skip
    deliver_due(flow_stack.session_factory)  # the resume, as the portal does after its commit

    # The run walks back: compiling again, as its second attempt, under a key of its own.
    wait_for(lambda: pause_key(flow_stack, dossier_id) == "compile@2#0", what="compile again")
    assert (step_state(flow_stack, dossier_id, "compile"), attempt_of(flow_stack, dossier_id,
            "compile")) == ("waiting", 2)  # fmt: skip
    staff_completes(flow_stack, dossier_id, "compile", staff_id)
    wait_for(lambda: pause_key(flow_stack, dossier_id) == "approve@2#0", what="approve again")
    second = staff_places(flow_stack, dossier_id, staff_id, "Aangifte v2")
    version = read(flow_stack, lambda s: s.get(ApprovalRequest, second).version)
    assert version == 2

    client_approves(flow_stack, second, client_id)
    deliver_due(flow_stack.session_factory)  # the sending, then (next round) the resume
    deliver_due(flow_stack.session_factory)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "after"), what="on after")
    [receipt] = receiver.ledger()["receipts"]
    assert receipt["metadata"]["document"]["version"] == 2
    states = task_run_states(flow_stack, dossier_id)
    assert states["approval:approve"].count("Completed") == 2, states  # one per attempt
    assert states["open-task:compile"].count("Completed") == 2, states


def test_an_approval_while_prefect_is_down_is_kept_and_resumes_the_run_later(flow_stack, people):
    organisation_id, staff_id, client_id = people
    dossier_id = open_test_dossier(flow_stack, "office", organisation_id, staff_id)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "compile"), what="on compile")
    staff_completes(flow_stack, dossier_id, "compile", staff_id)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "approve"), what="on approve")
    request_id = staff_places(flow_stack, dossier_id, staff_id, "Aangifte")

    client_approves(flow_stack, request_id, client_id)
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        deliver_due(flow_stack.session_factory)  # Prefect cannot be reached: nothing lost
    resume = read(flow_stack, lambda s: s.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "resume_flow_run", OutboxMessage.done_at.is_(None),
        OutboxMessage.payload["step_key"].as_string() == "approve")))  # fmt: skip
    assert resume is not None and resume.attempts == 1
    assert step_state(flow_stack, dossier_id, "approve") == "done"
    assert read(flow_stack, lambda s: s.get(ApprovalRequest, request_id).state) == "approved"
    with session_scope(flow_stack.session_factory) as session:  # the relay's next round
        session.get(OutboxMessage, resume.id).due_at = resume.created_at
    deliver_due(flow_stack.session_factory)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "after"), what="on after")
